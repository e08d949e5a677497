/* The sweep loop of oom_sweep.h. */
#include "oom_sweep.h"

#include "fault_alloc.h"

#include <allocation/allocation.h>
#include <criterion/criterion.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const int enomem_only[] = {LA_ENOMEM, 0};
static uint64_t failing;
static char outcome[1100];

const char *oom_sweep_outcome(void)
{
	return outcome;
}

unsigned long long oom_sweep_failing(void)
{
	return (unsigned long long)failing;
}

static int allowed(const int *errors, int rc)
{
	for (const int *e = errors ? errors : enomem_only; *e; e++)
		if (*e == rc)
			return 1;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One run with the fail_at-th allocation failing (0: none); its count. */
static uint64_t run(const struct oom_step *s, void *ctx, uint64_t fail_at, int *fired,
                    int count_leaks)
{
	failing = fail_at;
	fault_alloc_track();
	s->setup(ctx);
	la_error_clear();
	fault_alloc_arm(fail_at);
	int rc = s->call(ctx);
	uint64_t count = fault_alloc_disarm();
	*fired = fault_alloc_fired();
	snprintf(outcome, sizeof outcome, "%s%s%s", la_strerror(rc), rc ? ": " : "",
	         rc ? la_error_last() : "");
	if (rc != LA_OK) {
		cr_assert(*fired, "%s: %s (%s) though no allocation failed", s->name,
		          la_strerror(rc), la_error_last());
		cr_assert(allowed(s->errors, rc), "%s, allocation %llu failing: %s (%s)", s->name,
		          (unsigned long long)fail_at, la_strerror(rc), la_error_last());
		cr_assert(la_error_last()[0], "%s, allocation %llu failing: %s without a message",
		          s->name, (unsigned long long)fail_at, la_strerror(rc));
	}
	s->check(ctx, rc, *fired);
	s->teardown(ctx);
	uint64_t leaked = fault_alloc_untrack();
	cr_assert(!count_leaks || leaked == 0, "%s, allocation %llu failing: %llu blocks leaked",
	          s->name, (unsigned long long)fail_at, (unsigned long long)leaked);
	return count;
}

/* FAULT_ALLOC_DEBUG=1: a crash prints the stack (Criterion only says
 * "CRASH!"). */
static void on_crash(int sig)
{
	void *frames[48];
	int n = backtrace(frames, 48);
	backtrace_symbols_fd(frames, n, 2);
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

static void debug_crashes(void)
{
	static int done;
	void *warm[1];
	if (done || !getenv("FAULT_ALLOC_DEBUG"))
		return;
	done = 1;
	(void)backtrace(warm, 1); /* loads what it needs now, not in the handler */
	(void)signal(SIGSEGV, on_crash);
	(void)signal(SIGABRT, on_crash);
	(void)signal(SIGBUS, on_crash);
}

void oom_sweep(const struct oom_step *s, void *ctx, struct oom_figures *figures)
{
	double start = now_s();
	debug_crashes();
	int fired;
	/* The first clean run may set up what lives for the whole process
	 * (library initialisation); the second must give back all it takes. */
	run(s, ctx, 0, &fired, 0);
	uint64_t total = run(s, ctx, 0, &fired, 1);
	cr_assert_gt(total, 0, "%s makes no allocation", s->name);
	uint64_t n;
	for (n = 1;; n++) {
		run(s, ctx, n, &fired, 1);
		if (!fired)
			break;
		cr_assert_lt(n, 20 * total + 1000, "%s: the sweep does not end (%llu)", s->name,
		             (unsigned long long)n);
	}
	if (figures) {
		figures->allocations = total;
		figures->runs = n - 1;
		figures->seconds = now_s() - start;
	}
}

void oom_sweep_all(const char *suite, const struct oom_step *steps, void *ctx)
{
	uint64_t runs = 0;
	double seconds = 0;
	size_t count = 0;
	for (const struct oom_step *s = steps; s->name; s++, count++) {
		struct oom_figures f;
		oom_sweep(s, ctx, &f);
		fprintf(stderr, "oom %s: %s: %llu allocations, %llu failing runs, %.2f s\n", suite,
		        s->name, (unsigned long long)f.allocations, (unsigned long long)f.runs,
		        f.seconds);
		runs += f.runs;
		seconds += f.seconds;
	}
	if (count > 1)
		fprintf(stderr, "oom %s: %llu failing runs in %.1f s\n", suite,
		        (unsigned long long)runs, seconds);
}
