/*
 * allocation-server — counters for GET /metrics (Prometheus text format
 * 0.0.4). Every function here may be called from any thread: the counters
 * are atomics, so counting never takes a lock on the request path.
 */
#ifndef SERVER_METRICS_H
#define SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct notifier;
struct events;

/* A request answered: route index (ROUTE_COUNT for an unknown path), status
 * code and the time from its first call to the end of the reply. */
void metrics_request(unsigned int route_index, unsigned int status, int64_t duration_us);

/* A request in flight (+1 when it starts, -1 when it is done). */
void metrics_in_flight(int delta);

/* A command of a route (is_command) finished with outcome: "allocated",
 * "out_of_stock", "ok", "invalid", "rejected", "conflict" or "failed". */
void metrics_command(unsigned int route_index, const char *outcome);

/* Retries of conflicted commands (la_bus_stats), as they happen. */
void metrics_conflict_retries(uint64_t retries);

/* A store operation failed with LA_EDB or LA_EIO (or could not open). */
void metrics_store_error(void);

/* The write pipeline ran a unit of work of this many commands (the
 * histogram allocation_write_batch_size). */
void metrics_observe_write_batch(size_t commands);

/* Where the queue and relay figures come from (NULL: not configured). */
void metrics_set_sources(struct notifier *notifier, struct events *events);

/* The exposition text (malloc'ed, *length bytes), or NULL when out of memory. */
char *metrics_render(size_t *length);

#endif
