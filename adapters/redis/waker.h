/*
 * A stop flag and a self-pipe, so that a loop blocked in poll() can be told
 * to stop or to look again from another thread or a signal handler.
 */
#ifndef REDIS_WAKER_H
#define REDIS_WAKER_H

#include <stdatomic.h>

typedef struct redis_waker {
	int fds[2];
	atomic_int stop;
	atomic_int running;
} redis_waker;

int redis_waker_init(redis_waker *w);
void redis_waker_close(redis_waker *w);
/* Wake the waiting thread (async-signal-safe). */
void redis_waker_poke(redis_waker *w);
/* Set the stop flag and wake (async-signal-safe). */
void redis_waker_stop(redis_waker *w);
int redis_waker_stopping(redis_waker *w);

/*
 * Wait up to timeout_ms (-1: no limit) for fd (< 0: none) to become readable
 * or for a poke. Returns 1 when fd is readable, 0 otherwise (timeout, poke or
 * stop). Pokes are consumed.
 */
int redis_waker_wait(redis_waker *w, int fd, int timeout_ms);

/* Sleep timeout_ms unless stopped first. */
void redis_waker_sleep(redis_waker *w, int timeout_ms);

#endif
