/*
 * allocation-server — the write pipeline (group commit).
 *
 * HTTP threads only parse and validate: a command goes on the queue of one
 * writer thread, chosen by its sku, so commands for one sku always meet in
 * the same writer and one process never conflicts with itself over single
 * lines. Commands that span skus (a whole order, Confirm, ExpireHolds) may
 * meet another writer's commands on a product: the store sees a concurrent
 * change and the bus retries (la_bus_options.max_retries); none can deadlock,
 * as every writer runs one unit of work at a time and an order takes its
 * products in sku order (docs/http.md, "Whole orders"). A writer
 * takes whatever is waiting on its queue (up to PIPELINE_MAX_BATCH), runs it
 * as one unit of work (la_bus_handle_pull) with its own store and bus, what
 * comes meanwhile joining it, and only after the commit hands each job back
 * with the command's own result.
 * It never waits for company: a lone command goes at once; and when it is
 * the server's only request in flight and its writer is idle, the HTTP
 * thread runs it itself (pipeline_run_if_idle), holding the writer, which
 * spares the two thread wake-ups of the hand-off and keeps the order.
 */
#ifndef SERVER_PIPELINE_H
#define SERVER_PIPELINE_H

#include <allocation/allocation.h>

/* Most commands one writer runs in one unit of work. */
#define PIPELINE_MAX_BATCH 512

/* One line of a whole order's result (AllocateOrder). */
struct line_result {
	char sku[256];
	char batchref[256]; /* "" when the order was not placed */
	int is_short;       /* no room for this line */
};

/* What a command came to, copied out of the writer's bus. */
struct command_result {
	int status; /* LA_OK or the command's error */
	int has_batchref;
	int outcome; /* la_outcome: allocated, out of stock, backordered */
	char batchref[256];
	char error[1024];
	char orderid[256]; /* AllocateOrder's */
	size_t line_count;
	struct line_result *lines; /* AllocateOrder's lines, freed by command_result_release */
};

/* Free the lines of a result (NULL and a result without lines are fine). */
void command_result_release(struct command_result *result);

struct pipeline_job {
	la_message *command; /* taken by the pipeline: freed once done */
	struct command_result result;
	/* Called on the writer's thread once result is final (after the commit,
	 * or when the command could not run). */
	void (*done)(struct pipeline_job *job);
	void *context;  /* the submitter's */
	int background; /* the server's own (holds' expiry): not in the batch metrics */
	struct pipeline_job *next;
};

/* Start `writers` writer threads (each opens its store and bus on first
 * use). after_batch, when not NULL, runs on a writer after each unit of
 * work that committed (e.g. to wake the outbox relay). 0 or -1. */
int pipeline_start(unsigned int writers, void (*after_batch)(void *), void *after_batch_arg);

/* Queue job on the writer for its command's sku (for a batch reference, the
 * sku it belongs to, read from the store; for a whole order, its first sku in
 * sku order; Confirm by its orderid; ExpireHolds on the first writer). LA_OK:
 * done() will be called; else the pipeline is stopping and job was not
 * taken. */
int pipeline_submit(struct pipeline_job *job);

/* A batch of one without the hand-off: when job's writer is idle (nothing
 * running, nothing queued), run job's unit of work on the calling thread now,
 * the writer held meanwhile (what is queued for it runs after: the same
 * order as pipeline_submit). 1: done, job->result is final and done() was
 * not called; 0: not run (busy writer, or stopping), submit it instead. */
int pipeline_run_if_idle(struct pipeline_job *job);

/* Run what is queued, then stop and join the writers. */
void pipeline_stop(void);

#endif
