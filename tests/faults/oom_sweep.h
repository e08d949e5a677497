/*
 * The out-of-memory sweep of one entry point: run it once cleanly, then
 * again with the first, the second, ... allocation it makes failing (in its
 * thread: the adapter and every library under it), until a run makes fewer
 * allocations than the one that would fail. Each run: setup (not armed),
 * the call (armed), check (not armed: the outcome, the store's invariants,
 * the next command), teardown; and the process holds as many blocks after
 * the run as before it (nothing leaked on any error path).
 */
#ifndef TEST_OOM_SWEEP_H
#define TEST_OOM_SWEEP_H

#include <stdint.h>

struct oom_step {
	const char *name;
	void (*setup)(void *ctx);
	int (*call)(void *ctx);
	/* rc is the call's status; fired says whether an allocation failed. */
	void (*check)(void *ctx, int rc, int fired);
	void (*teardown)(void *ctx);
	/* Codes besides LA_OK a failed allocation may end in, 0-terminated
	 * (NULL: LA_ENOMEM only). */
	const int *errors;
};

struct oom_figures {
	uint64_t allocations; /* made by a clean call */
	uint64_t runs;        /* failing runs swept */
	double seconds;
};

/* The allocation failing in the current run (0 in a clean run), for messages. */
unsigned long long oom_sweep_failing(void);
/* The call's status and error message in the current run, for messages. */
const char *oom_sweep_outcome(void);

/* Sweep step with ctx; figures (may be NULL) say how far it went. */
void oom_sweep(const struct oom_step *step, void *ctx, struct oom_figures *figures);

/* Sweep every step and print one line of figures per step on stderr,
 * "oom <suite>: <step>: N allocations, N runs, S s". */
void oom_sweep_all(const char *suite, const struct oom_step *steps, void *ctx);

#endif
