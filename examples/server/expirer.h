/*
 * allocation-server — holds end on time: once a second, ExpireHolds(now)
 * goes through the write pipeline like any command (so it commits with the
 * writers' stores and never from a request's thread), and waits for its
 * result before the next.
 */
#ifndef SERVER_EXPIRER_H
#define SERVER_EXPIRER_H

struct expirer;

/* Start the thread (after pipeline_start). 0, or -1 with the error logged. */
int expirer_start(struct expirer **out);

/* Stop and join it (before pipeline_stop); NULL is fine. */
void expirer_stop(struct expirer *expirer);

#endif
