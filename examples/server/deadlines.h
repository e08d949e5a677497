/*
 * allocation-server — a deadline for each request's headers and body.
 *
 * libmicrohttpd's own timeout is an idle timeout: a client sending a byte
 * every few seconds keeps a connection forever (slowloris). Here every
 * connection has until its deadline — timeout seconds from its start, or
 * from the end of its previous reply — to deliver a whole request; a
 * request being handled has none. A reaper thread shuts down the socket of
 * a connection past its deadline, and libmicrohttpd then closes it in its
 * own thread.
 */
#ifndef SERVER_DEADLINES_H
#define SERVER_DEADLINES_H

#include <microhttpd.h>

struct deadlines;

/* Start the reaper. NULL when out of memory or threads. */
struct deadlines *deadlines_start(unsigned int timeout_s);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the deadlines). */
void deadlines_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);

/* The request on connection is complete: no deadline while it is handled. */
void deadlines_pause(struct MHD_Connection *connection);

/* Its reply is out: the next request's clock starts. */
void deadlines_restart(struct MHD_Connection *connection);

/* Connections open now. */
unsigned int deadlines_open(const struct deadlines *d);

/* Connections shut down for missing their deadline so far. */
unsigned long deadlines_expired(const struct deadlines *d);

/* Stop the reaper (after the daemon stopped: no connection is left). */
void deadlines_stop(struct deadlines *d);

#endif
