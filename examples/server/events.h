/*
 * allocation-server — external events over Redis (spec §4), run inside the
 * server with --redis: a relay thread publishing the transactional outbox
 * and a consumer thread turning inbound messages into commands, each with
 * its own store (and bus).
 */
#ifndef SERVER_EVENTS_H
#define SERVER_EVENTS_H

#include "workers.h"

#include <stddef.h>
#include <stdint.h>

struct events;

/* Non-zero when this build has Redis support. */
int events_available(void);

/* Check the URL and fill the parts of the worker configuration that Redis
 * needs (outbox flag, publisher for stores without an outbox). */
int events_configure(struct worker_config *config, const char *url, int streams);

/* Start the relay and consumer threads (after workers_init). */
int events_start(struct events **out, const char *url, int streams);

/* Wake the relay after a command committed (may be NULL-safe). */
void events_wake(void *events);

/* Counters of the relay and the consumer since start. */
struct events_counts {
	int has_relay; /* 0 when the store has no outbox (the bus publishes) */
	uint64_t published, publish_failures;
	uint64_t applied, malformed, duplicates, failed;
};

/* Fill *out; 0 when this build has no Redis support. Any thread. */
int events_counts(struct events *events, struct events_counts *out);

/* The outbox backlog at this moment (la_store_outbox_status), read on a
 * store of its own, not the relay's or a writer's: messages not yet
 * published and the age in seconds of the oldest. LA_OK;
 * LA_EUNSUPPORTED when there is no relay (no outbox, or no Redis support);
 * the store's code when it fails (the next call opens a new store). Any
 * thread: concurrent calls take turns. */
int events_outbox_status(struct events *events, size_t *out_pending, double *out_age_seconds);

/* Stop both threads and free everything. NULL is fine. */
void events_stop(struct events *events);

#endif
