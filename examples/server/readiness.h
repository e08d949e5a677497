/*
 * allocation-server — readiness: does the store answer a trivial query
 * within a deadline? One probe thread with its own store runs the query,
 * so a request waiting on a hung database never holds a worker's
 * connection, and concurrent /readyz calls share one probe.
 */
#ifndef SERVER_READINESS_H
#define SERVER_READINESS_H

#include <stddef.h>

/* Start the probe thread (after workers_init). LA_OK or a code. */
int readiness_start(void);

/* 1 when the store answered within timeout_ms; else 0 with a message for
 * the client in why (no file names or database server text: those are
 * logged). */
int readiness_check(unsigned int timeout_ms, char *why, size_t size);

/* Stop the probe thread (waits for a probe in progress) and close its store. */
void readiness_stop(void);

#endif
