/*
 * The probe thread waits for a request, runs one page of the batch read
 * model (limit 1) on its own store, and publishes the outcome with a
 * generation number; callers wait on the condition variable with a
 * deadline. A failed store is closed and opened afresh by the next probe,
 * so readiness comes back by itself once the database does.
 */
#include "readiness.h"

#include "log.h"
#include "metrics.h"
#include "workers.h"

#include <allocation/sys/errors.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_t thread;
static int running;
static int stopping;
static unsigned long requested; /* probes asked for */
static unsigned long done;      /* probes finished */
static int last_ok;
static la_store *store;

/* One query on the probe's store; LA_OK or the code. Outside the lock. */
static int probe_once(void)
{
	int rc = LA_OK;
	if (!store)
		rc = workers_open_store(&store, 0);
	la_batch_page *page = NULL;
	if (rc == LA_OK)
		rc = la_view_batches(&page, store, NULL, 1, NULL);
	la_batch_page_free(page);
	if (rc != LA_OK) {
		log_message(LA_LOG_WARN, "readiness: the store did not answer: %s",
		            la_error_last());
		metrics_store_error();
		la_store_free(store);
		store = NULL;
	}
	return rc;
}

static void *probe_main(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!stopping && done == requested)
			pthread_cond_wait(&changed, &lock);
		if (stopping)
			break;
		unsigned long target = requested;
		pthread_mutex_unlock(&lock);
		int rc = probe_once();
		pthread_mutex_lock(&lock);
		last_ok = rc == LA_OK;
		done = target;
		pthread_cond_broadcast(&changed);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int readiness_start(void)
{
	if (pthread_create(&thread, NULL, probe_main, NULL) != 0)
		return la_error_set(LA_ENOMEM, "cannot start the readiness thread");
	running = 1;
	return LA_OK;
}

int readiness_check(unsigned int timeout_ms, char *why, size_t size)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	/* A probe started before this call may have read an older state: ask
	 * for one more unless one is queued and not yet begun. */
	unsigned long target = ++requested;
	pthread_cond_broadcast(&changed);
	int rc = 0;
	while (running && done < target && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&changed, &lock, &deadline);
	int answered = done >= target;
	int ok = answered && last_ok;
	pthread_mutex_unlock(&lock);
	if (!answered)
		(void)snprintf(why, size, "the store did not answer within %u ms", timeout_ms);
	else if (!ok)
		(void)snprintf(why, size,
		               "the store cannot be reached or failed; details are in the "
		               "server log");
	return ok;
}

void readiness_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	running = 0;
	la_store_free(store);
	store = NULL;
}
