/*
 * la_redis_relay: publishes the store's transactional outbox. The store
 * hands out committed Allocated events oldest first and marks each sent once
 * it is published, so an event is published at least once, in commit order,
 * and a crash in between re-publishes it (with the same "id").
 */
#include "publisher.h"
#include "waker.h"
#include "conn.h"

#include <allocation/sys/ports.h>

#include <stdatomic.h>
#include <stdlib.h>

#define RELAY_BATCH          256
#define RELAY_POLL_MS        10
#define RELAY_BACKOFF_MIN_MS 50
#define RELAY_BACKOFF_MAX_MS 2000

struct la_redis_relay {
	la_redis *pub;
	la_store *store;
	redis_waker w;
	int delay_ms; /* test hook: ALLOCATION_TEST_RELAY_DELAY_MS */
	atomic_uint_fast64_t published;
	atomic_uint_fast64_t failures;
};

int la_redis_relay_new(la_redis_relay **out, const char *url, int mode, la_store *store)
{
	la_redis_relay *r;
	const char *delay = getenv("ALLOCATION_TEST_RELAY_DELAY_MS");
	int rc;

	if (!out || !store)
		return la_error_set(LA_EINVAL, "la_redis_relay_new: out and store are required");
	*out = NULL;
	if (!la_store_has_outbox(store))
		return la_error_set(LA_EUNSUPPORTED,
		                    "the %s store has no outbox: open it with LA_STORE_OUTBOX",
		                    la_store_adapter(store));
	r = calloc(1, sizeof(*r));
	if (!r)
		return la_error_set(LA_ENOMEM, "out of memory");
	if ((rc = la_redis_new(&r->pub, url, mode)) != LA_OK ||
	    (rc = redis_waker_init(&r->w)) != LA_OK) {
		la_redis_free(r->pub);
		free(r);
		return rc;
	}
	r->store = store;
	r->delay_ms = delay ? (int)strtol(delay, NULL, 10) : 0; /* a test knob: not a number is 0 */
	if (r->delay_ms > 0)
		la_log(LA_LOG_WARN, "relay: test delay of %d ms before each publish", r->delay_ms);
	atomic_init(&r->published, 0);
	atomic_init(&r->failures, 0);
	*out = r;
	return LA_OK;
}

void la_redis_relay_free(la_redis_relay *r)
{
	if (!r)
		return;
	la_redis_free(r->pub);
	redis_waker_close(&r->w);
	free(r);
}

static int relay_publish(const char *channel, const char *json, void *payload)
{
	la_redis_relay *r = payload;
	int rc;

	if (r->delay_ms > 0) {
		redis_waker_sleep(&r->w, r->delay_ms);
		if (redis_waker_stopping(&r->w)) /* leave it queued */
			return la_error_set(LA_EUSER, "relay stopped");
	}
	rc = la_redis_publish(channel, json, r->pub);
	if (rc == LA_OK)
		atomic_fetch_add(&r->published, 1);
	return rc;
}

int la_redis_relay_flush(la_redis_relay *r, size_t *out_sent)
{
	size_t total = 0, sent;
	int rc;

	if (out_sent)
		*out_sent = 0;
	if (!r)
		return la_error_set(LA_EINVAL, "relay is NULL");
	do {
		sent = 0;
		rc = la_store_relay_outbox(&sent, r->store, RELAY_BATCH, relay_publish, r);
		total += sent;
	} while (rc == LA_OK && sent == RELAY_BATCH);
	if (rc != LA_OK)
		atomic_fetch_add(&r->failures, 1);
	if (out_sent)
		*out_sent = total;
	return rc;
}

int la_redis_relay_run(la_redis_relay *r)
{
	int backoff = 0, expected = 0;

	if (!r)
		return la_error_set(LA_EINVAL, "relay is NULL");
	if (!atomic_compare_exchange_strong(&r->w.running, &expected, 1))
		return la_error_set(LA_ESTATE, "the relay is already running");
	la_log(LA_LOG_INFO, "relay: publishing the outbox of the %s store",
	       la_store_adapter(r->store));
	while (!redis_waker_stopping(&r->w)) {
		int rc = la_redis_relay_flush(r, NULL);

		if (rc != LA_OK) {
			if (redis_waker_stopping(&r->w))
				break;
			if (backoff == 0)
				la_log(LA_LOG_WARN, "relay: cannot publish, will retry: %s",
				       la_error_last());
			backoff =
			    redis_backoff_next(backoff, RELAY_BACKOFF_MIN_MS, RELAY_BACKOFF_MAX_MS);
			redis_waker_sleep(&r->w, backoff);
			continue;
		}
		if (backoff != 0)
			la_log(LA_LOG_INFO, "relay: publishing again");
		backoff = 0;
		redis_waker_wait(&r->w, -1, RELAY_POLL_MS);
	}
	redis_publisher_disconnect(r->pub);
	atomic_store(&r->w.stop, 0);
	atomic_store(&r->w.running, 0);
	return LA_OK;
}

void la_redis_relay_wake(la_redis_relay *r)
{
	if (r)
		redis_waker_poke(&r->w);
}

void la_redis_relay_stop(la_redis_relay *r)
{
	if (r)
		redis_waker_stop(&r->w);
}

void la_redis_relay_stats(const la_redis_relay *r, uint64_t *published, uint64_t *failures)
{
	la_redis_relay *m = (la_redis_relay *)r; /* atomics need a non-const object */

	if (published)
		*published = r ? atomic_load(&m->published) : 0;
	if (failures)
		*failures = r ? atomic_load(&m->failures) : 0;
}
