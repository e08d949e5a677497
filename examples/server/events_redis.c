/*
 * --redis: the relay and the consumer threads, over liballocation-redis.
 */
#include "events.h"

#include "log.h"

#include <allocation/redis.h>
#include <allocation/sys/errors.h>

#include <pthread.h>
#include <stdlib.h>

struct events {
	la_store *relay_store;
	la_redis_relay *relay;
	struct worker *consumer_worker;
	la_redis_consumer *consumer;
	pthread_t relay_thread;
	pthread_t consumer_thread;
	int relay_running;
	int consumer_running;
	/* /metrics asks the backlog on this store, never the relay's: the relay
	 * thread uses its own without a lock. Opened on first use. */
	pthread_mutex_t status_lock;
	la_store *status_store;
};

struct publisher_arg {
	const char *url;
	int mode;
};
static struct publisher_arg publisher_arg;

int events_available(void)
{
	return 1;
}

static int publisher_new(void **out, void *arg)
{
	const struct publisher_arg *a = arg;
	return la_redis_new((la_redis **)out, a->url, a->mode);
}

static void publisher_free(void *publisher)
{
	la_redis_free(publisher);
}

int events_configure(struct worker_config *config, const char *url, int streams)
{
	/* la_redis_new checks the URL without connecting. */
	la_redis *probe;
	int mode = streams ? LA_REDIS_STREAMS : LA_REDIS_PUBSUB;
	int rc = la_redis_new(&probe, url, mode);
	if (rc != LA_OK)
		return rc;
	la_redis_free(probe);
	publisher_arg.url = url;
	publisher_arg.mode = mode;
	config->store_flags |= LA_STORE_OUTBOX;
	config->publish = la_redis_publish;
	config->publisher_new = publisher_new;
	config->publisher_free = publisher_free;
	config->publisher_arg = &publisher_arg;
	return LA_OK;
}

static void *relay_main(void *arg)
{
	struct events *ev = arg;
	if (la_redis_relay_run(ev->relay) != LA_OK)
		log_message(LA_LOG_ERROR, "relay stopped: %s", la_error_last());
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct events *ev = arg;
	if (la_redis_consumer_run(ev->consumer) != LA_OK)
		log_message(LA_LOG_ERROR, "consumer stopped: %s", la_error_last());
	return NULL;
}

int events_start(struct events **out, const char *url, int streams)
{
	int mode = streams ? LA_REDIS_STREAMS : LA_REDIS_PUBSUB;
	struct events *ev = calloc(1, sizeof *ev);
	if (!ev)
		return la_error_set(LA_ENOMEM, "out of memory");
	pthread_mutex_init(&ev->status_lock, NULL);
	int rc = workers_open_store(&ev->relay_store, LA_STORE_OUTBOX);
	/* A store without an outbox (memory:) publishes from the bus instead. */
	if (rc == LA_OK && !la_store_has_outbox(ev->relay_store)) {
		la_store_free(ev->relay_store);
		ev->relay_store = NULL;
	}
	if (rc == LA_OK && ev->relay_store)
		rc = la_redis_relay_new(&ev->relay, url, mode, ev->relay_store);
	if (rc == LA_OK)
		rc = worker_open(&ev->consumer_worker);
	if (rc == LA_OK)
		rc = la_redis_consumer_new(&ev->consumer, url, mode,
		                           worker_bus(ev->consumer_worker));
	if (rc == LA_OK && ev->relay)
		la_redis_consumer_set_relay(ev->consumer, ev->relay);
	if (rc == LA_OK && ev->relay) {
		if (pthread_create(&ev->relay_thread, NULL, relay_main, ev) != 0)
			rc = la_error_set(LA_ENOMEM, "cannot start the relay thread");
		else
			ev->relay_running = 1;
	}
	if (rc == LA_OK) {
		if (pthread_create(&ev->consumer_thread, NULL, consumer_main, ev) != 0)
			rc = la_error_set(LA_ENOMEM, "cannot start the consumer thread");
		else
			ev->consumer_running = 1;
	}
	if (rc != LA_OK) {
		events_stop(ev);
		return rc;
	}
	*out = ev;
	return LA_OK;
}

void events_wake(void *arg)
{
	struct events *ev = arg;
	if (ev && ev->relay)
		la_redis_relay_wake(ev->relay);
}

int events_counts(struct events *ev, struct events_counts *out)
{
	*out = (struct events_counts){0};
	out->has_relay = ev->relay != NULL;
	if (ev->relay)
		la_redis_relay_stats(ev->relay, &out->published, &out->publish_failures);
	la_redis_consumer_stats(ev->consumer, &out->applied, &out->malformed, &out->duplicates,
	                        &out->failed);
	return 1;
}

int events_outbox_status(struct events *ev, size_t *out_pending, double *out_age_seconds)
{
	*out_pending = 0;
	*out_age_seconds = 0;
	if (!ev->relay)
		return la_error_set(LA_EUNSUPPORTED, "the store keeps no outbox");
	pthread_mutex_lock(&ev->status_lock);
	int rc = LA_OK;
	if (!ev->status_store)
		rc = workers_open_store(&ev->status_store, LA_STORE_OUTBOX);
	if (rc == LA_OK)
		rc = la_store_outbox_status(ev->status_store, out_pending, out_age_seconds);
	if (rc != LA_OK) {
		/* A broken connection is not reused: the next scrape opens another. */
		la_store_free(ev->status_store);
		ev->status_store = NULL;
	}
	pthread_mutex_unlock(&ev->status_lock);
	return rc;
}

void events_stop(struct events *ev)
{
	if (!ev)
		return;
	if (ev->consumer_running) {
		la_redis_consumer_stop(ev->consumer);
		pthread_join(ev->consumer_thread, NULL);
	}
	/* The relay goes last, so events of the consumer's last commands are
	 * published before the process exits. */
	if (ev->relay_running) {
		la_redis_relay_stop(ev->relay);
		pthread_join(ev->relay_thread, NULL);
	}
	la_redis_consumer_free(ev->consumer);
	worker_free(ev->consumer_worker);
	la_redis_relay_free(ev->relay);
	la_store_free(ev->relay_store);
	la_store_free(ev->status_store);
	pthread_mutex_destroy(&ev->status_lock);
	free(ev);
}
