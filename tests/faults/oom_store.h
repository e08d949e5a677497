/*
 * The out-of-memory sweep of a store adapter's entry points, the same for
 * every adapter: opening (existing data, and an empty place), each command
 * through the bus (create batch, allocate, out of stock, deallocate, change
 * quantity and cancel with reallocation, a batch of commands), both views,
 * and the outbox relay where there is one.
 *
 * Each run starts from the same data, made once through the store. A failed
 * call leaves the data exactly as it was (all or nothing) and the store's
 * invariants true; a call that succeeds, even after an allocation failed
 * inside it, leaves exactly what a clean call leaves; retrying what failed
 * on the same store gives that same result; and the next command works.
 */
#ifndef TEST_OOM_STORE_H
#define TEST_OOM_STORE_H

#include <allocation/allocation.h>
#include <stddef.h>

#define OOM_STATE_MAX 8192

/* What the sweep needs to know of an adapter. Every function but open runs
 * with the failures disarmed. */
struct oom_store_adapter {
	const char *name;
	/* Put the data back in the state the template was left in (after
	 * oom_store_prepare): the start of every run. */
	void (*reset)(void);
	/* Make the place empty, for opening without data (NULL: not swept). */
	void (*reset_empty)(void);
	/* Open a store on the working data (armed in the open steps). */
	int (*open)(la_store **out, unsigned int flags);
	/* The stored data as text, without what a retry may draw anew (row
	 * sequences, message ids), outbox rows ordered by content. */
	void (*read_state)(char *out, size_t size);
	/* Assert the store's invariants on the stored data. */
	void (*check_invariants)(void);
	/* The outbox's rows marked sent, each handed to fn; how many rows the
	 * outbox has in all (NULL: the adapter has no outbox). */
	size_t (*outbox_sent)(void (*fn)(const char *payload, void *arg), void *arg);
	/* Codes besides LA_OK a failing allocation may end in, 0-terminated. */
	const int *errors;
};

/* Fill the store (open on the template's place) with the data every run
 * starts from. */
void oom_store_prepare(la_store *store);

/* The sweeps; each prints its figures on stderr. */
void oom_store_sweep_commands(const struct oom_store_adapter *a);
void oom_store_sweep_views(const struct oom_store_adapter *a);
/* A held allocation and a backordered one (stores that keep them; their
 * read_state shows held and waiting lines). */
void oom_store_sweep_holds(const struct oom_store_adapter *a);
void oom_store_sweep_relay(const struct oom_store_adapter *a);
/* Opening existing data; with empty != 0, an empty place (reset_empty). */
void oom_store_sweep_open(const struct oom_store_adapter *a, int empty);

#endif
