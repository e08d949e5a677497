/*
 * The expiry of holds: one thread, one ExpireHolds a second (expirer.h).
 * The time is the system's, as the buses' clock is: a hold made at t with
 * hold_seconds n ends at t + n and is gone by t + n + 1.
 */
#include "expirer.h"

#include "log.h"
#include "pipeline.h"

#include <allocation/sys/errors.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct expirer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC */
	int stopping;
	int job_done;
	struct pipeline_job job;
};

static void job_done(struct pipeline_job *job)
{
	struct expirer *e = job->context;
	pthread_mutex_lock(&e->lock);
	e->job_done = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

/* One ExpireHolds through the pipeline, waited for. 0 to go on, -1 when
 * there is no point (the store keeps no holds, or the server stops). */
static int expire_once(struct expirer *e)
{
	la_message *command;
	if (la_command_expire_holds(&command, (int64_t)time(NULL)) != LA_OK) {
		log_message(LA_LOG_ERROR, "holds: %s", la_error_last());
		return 0;
	}
	e->job = (struct pipeline_job){
	    .command = command, .done = job_done, .context = e, .background = 1};
	e->job_done = 0;
	if (pipeline_submit(&e->job) != LA_OK) {
		la_message_free(command);
		return -1;
	}
	pthread_mutex_lock(&e->lock);
	while (!e->job_done)
		pthread_cond_wait(&e->wake, &e->lock);
	pthread_mutex_unlock(&e->lock);
	int status = e->job.result.status;
	command_result_release(&e->job.result);
	if (status == LA_EUNSUPPORTED) {
		log_message(LA_LOG_INFO, "holds do not expire here: %s", e->job.result.error);
		return -1;
	}
	if (status != LA_OK) /* a store that failed for a while: the next tick retries */
		log_message(LA_LOG_WARN, "holds: expiry failed: %s", e->job.result.error);
	return 0;
}

static void *expirer_main(void *arg)
{
	struct expirer *e = arg;
	struct timespec next, now;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1) /* a slow expiry: no burst to catch up */
			next = now;
		next.tv_sec += 1;
		pthread_mutex_lock(&e->lock);
		int rc = 0;
		while (!e->stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&e->wake, &e->lock, &next);
		int stopping = e->stopping;
		pthread_mutex_unlock(&e->lock);
		if (stopping || expire_once(e) != 0)
			break;
	}
	return NULL;
}

int expirer_start(struct expirer **out)
{
	struct expirer *e = calloc(1, sizeof *e);
	pthread_condattr_t attr;
	int ok = e && pthread_condattr_init(&attr) == 0;
	if (ok) {
		ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
		     pthread_cond_init(&e->wake, &attr) == 0;
		pthread_condattr_destroy(&attr);
	}
	if (ok && pthread_mutex_init(&e->lock, NULL) != 0) {
		pthread_cond_destroy(&e->wake);
		ok = 0;
	}
	if (ok && pthread_create(&e->thread, NULL, expirer_main, e) != 0) {
		pthread_mutex_destroy(&e->lock);
		pthread_cond_destroy(&e->wake);
		ok = 0;
	}
	if (!ok) {
		free(e);
		log_message(LA_LOG_ERROR, "cannot start the thread that expires holds");
		return -1;
	}
	*out = e;
	return 0;
}

void expirer_stop(struct expirer *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = 1;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}
