/*
 * The tracked connections are a list under one mutex. An entry leaves the
 * list in the MHD_CONNECTION_NOTIFY_CLOSED callback, which libmicrohttpd
 * calls before it closes the socket; the reaper shuts sockets down only
 * while holding the mutex, so it never touches a descriptor that was
 * closed (and perhaps reused).
 */
#include "deadlines.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_INTERVAL_MS 100

struct tracked {
	struct tracked *prev, *next;
	struct deadlines *owner;
	MHD_socket fd;
	atomic_int_fast64_t deadline_us; /* 0: none */
};

struct deadlines {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct tracked head; /* sentinel of a circular list */
	int64_t timeout_us;
	int stopping;
	atomic_ulong expired;
	atomic_uint open; /* connections open, tracked or not */
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *reaper_main(void *arg)
{
	struct deadlines *d = arg;
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		int64_t now = now_us();
		for (struct tracked *t = d->head.next; t != &d->head; t = t->next) {
			int64_t due = atomic_load(&t->deadline_us);
			if (due && now > due) {
				atomic_store(&t->deadline_us, 0);
				atomic_fetch_add(&d->expired, 1);
				shutdown(t->fd, SHUT_RDWR);
			}
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += REAP_INTERVAL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct deadlines *deadlines_start(unsigned int timeout_s)
{
	struct deadlines *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->head.next = d->head.prev = &d->head;
	d->timeout_us = (int64_t)timeout_s * 1000000;
	if (pthread_create(&d->thread, NULL, reaper_main, d) != 0) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return NULL;
	}
	return d;
}

void deadlines_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
	struct deadlines *d = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		atomic_fetch_add(&d->open, 1);
		const union MHD_ConnectionInfo *info =
		    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct tracked *t = info ? calloc(1, sizeof *t) : NULL;
		if (!t)
			return; /* untracked: only the idle timeout applies */
		t->owner = d;
		t->fd = info->connect_fd;
		atomic_init(&t->deadline_us, now_us() + d->timeout_us);
		pthread_mutex_lock(&d->lock);
		t->next = d->head.next;
		t->prev = &d->head;
		d->head.next->prev = t;
		d->head.next = t;
		pthread_mutex_unlock(&d->lock);
		*socket_context = t;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&d->open, 1);
		struct tracked *t = *socket_context;
		if (!t)
			return;
		pthread_mutex_lock(&d->lock);
		t->prev->next = t->next;
		t->next->prev = t->prev;
		pthread_mutex_unlock(&d->lock);
		free(t);
		*socket_context = NULL;
	}
}

static struct tracked *tracked_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

void deadlines_pause(struct MHD_Connection *connection)
{
	struct tracked *t = tracked_of(connection);
	if (t)
		atomic_store(&t->deadline_us, 0);
}

void deadlines_restart(struct MHD_Connection *connection)
{
	struct tracked *t = tracked_of(connection);
	if (t)
		atomic_store(&t->deadline_us, now_us() + t->owner->timeout_us);
}

unsigned int deadlines_open(const struct deadlines *d)
{
	return atomic_load(&d->open);
}

unsigned long deadlines_expired(const struct deadlines *d)
{
	return d ? atomic_load(&((struct deadlines *)d)->expired) : 0;
}

void deadlines_stop(struct deadlines *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
