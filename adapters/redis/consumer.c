/*
 * la_redis_consumer: inbound messages → commands on the bus. This file has
 * the parts common to both transports: decoding, de-duplication by message
 * id, running the command and classifying its failure.
 */
#include "consumer_internal.h"
#include "conn.h"
#include "inbound.h"
#include "publisher.h"

#include <allocation/sys/ports.h>

#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLY_ATTEMPTS   4
#define APPLY_BACKOFF_MS 100

int la_redis_consumer_new(la_redis_consumer **out, const char *url, int mode, la_bus *bus)
{
	la_redis_consumer *c;
	int rc;

	if (!out || !bus)
		return la_error_set(LA_EINVAL, "la_redis_consumer_new: out and bus are required");
	*out = NULL;
	if ((rc = redis_check_mode(mode)) != LA_OK)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return la_error_set(LA_ENOMEM, "out of memory");
	if ((rc = redis_endpoint_parse(&c->ep, url)) != LA_OK) {
		free(c);
		return rc;
	}
	c->mode = mode;
	c->bus = bus;
	c->group = la__strdup("allocation");
	c->name = la__strdup("allocation");
	if (!c->group || !c->name) {
		rc = la_error_set(LA_ENOMEM, "out of memory");
	} else if ((rc = redis_seen_new(&c->seen, CONSUMER_SEEN_CAPACITY)) == LA_OK &&
	           (rc = redis_waker_init(&c->w)) != LA_OK) {
		redis_seen_free(c->seen);
		c->seen = NULL;
	}
	if (rc != LA_OK) {
		free(c->group);
		free(c->name);
		redis_endpoint_clear(&c->ep);
		free(c);
		return rc;
	}
	atomic_init(&c->applied, 0);
	atomic_init(&c->malformed, 0);
	atomic_init(&c->duplicates, 0);
	atomic_init(&c->failed, 0);
	*out = c;
	return LA_OK;
}

void la_redis_consumer_free(la_redis_consumer *c)
{
	if (!c)
		return;
	redis_waker_close(&c->w);
	redis_seen_free(c->seen);
	redis_endpoint_clear(&c->ep);
	free(c->group);
	free(c->name);
	free(c);
}

static int set_name(char **slot, const char *value, const char *what)
{
	char *copy;
	int rc;

	if (!value)
		return LA_OK;
	if ((rc = la_check_string(value, what)) != LA_OK)
		return rc;
	if (!(copy = la__strdup(value)))
		return la_error_set(LA_ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return LA_OK;
}

int la_redis_consumer_set_group(la_redis_consumer *c, const char *group, const char *consumer)
{
	int rc;

	if (!c)
		return la_error_set(LA_EINVAL, "consumer is NULL");
	if (atomic_load(&c->w.running))
		return la_error_set(LA_ESTATE, "the consumer is running");
	if ((rc = set_name(&c->group, group, "group")) != LA_OK)
		return rc;
	return set_name(&c->name, consumer, "consumer");
}

void la_redis_consumer_set_relay(la_redis_consumer *c, la_redis_relay *relay)
{
	if (c)
		c->relay = relay;
}

int la_redis_consumer_run(la_redis_consumer *c)
{
	int expected = 0, rc;

	if (!c)
		return la_error_set(LA_EINVAL, "consumer is NULL");
	if (!atomic_compare_exchange_strong(&c->w.running, &expected, 1))
		return la_error_set(LA_ESTATE, "the consumer is already running");
	if (c->mode == LA_REDIS_STREAMS)
		rc = redis_consumer_run_streams(c);
	else
		rc = redis_consumer_run_pubsub(c);
	atomic_store(&c->w.stop, 0);
	atomic_store(&c->w.running, 0);
	return rc;
}

void la_redis_consumer_stop(la_redis_consumer *c)
{
	if (c)
		redis_waker_stop(&c->w);
}

void la_redis_consumer_stats(const la_redis_consumer *c, uint64_t *applied, uint64_t *malformed,
                             uint64_t *duplicates, uint64_t *failed)
{
	la_redis_consumer *m = (la_redis_consumer *)c; /* atomics need a non-const object */

	if (applied)
		*applied = c ? atomic_load(&m->applied) : 0;
	if (malformed)
		*malformed = c ? atomic_load(&m->malformed) : 0;
	if (duplicates)
		*duplicates = c ? atomic_load(&m->duplicates) : 0;
	if (failed)
		*failed = c ? atomic_load(&m->failed) : 0;
}

int redis_consumer_backoff(la_redis_consumer *c, int backoff_ms, const char *what)
{
	if (backoff_ms == 0)
		la_log(LA_LOG_WARN, "redis consumer: %s, reconnecting: %s", what, la_error_last());
	backoff_ms =
	    redis_backoff_next(backoff_ms, CONSUMER_BACKOFF_MIN_MS, CONSUMER_BACKOFF_MAX_MS);
	redis_waker_sleep(&c->w, backoff_ms);
	return backoff_ms;
}

static int finish_decode(la_message **out_cmd, char **out_key, la_redis_consumer *c, int rc,
                         char *id, const char *fallback_key)
{
	if (rc != LA_OK) {
		if (rc == LA_EINVAL) {
			atomic_fetch_add(&c->malformed, 1);
			la_log(LA_LOG_WARN, "redis consumer: skipped: %s", la_error_last());
		}
		return rc;
	}
	if (!id && fallback_key && !(id = la__strdup(fallback_key))) {
		la_message_free(*out_cmd);
		*out_cmd = NULL;
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	*out_key = id;
	return LA_OK;
}

int redis_consumer_decode(la_message **out_cmd, char **out_key, la_redis_consumer *c,
                          const char *channel, const char *json, size_t len,
                          const char *fallback_key)
{
	char *id = NULL;
	int rc = redis_inbound_parse(out_cmd, &id, channel, json, len);

	*out_key = NULL;
	return finish_decode(out_cmd, out_key, c, rc, id, fallback_key);
}

int redis_consumer_decode_fields(la_message **out_cmd, char **out_key, la_redis_consumer *c,
                                 const char *channel, const char *const *names,
                                 const char *const *values, const size_t *lens, size_t count,
                                 const char *fallback_key)
{
	char *id = NULL;
	int rc = redis_inbound_parse_fields(out_cmd, &id, channel, names, values, lens, count);

	*out_key = NULL;
	return finish_decode(out_cmd, out_key, c, rc, id, fallback_key);
}

int redis_consumer_seen(la_redis_consumer *c, const char *key)
{
	if (!key || !redis_seen_contains(c->seen, key))
		return 0;
	redis_consumer_count_duplicate(c, key);
	return 1;
}

void redis_consumer_count_duplicate(la_redis_consumer *c, const char *key)
{
	atomic_fetch_add(&c->duplicates, 1);
	la_log(LA_LOG_INFO, "redis consumer: message %s was already handled; skipped", key);
}

/*
 * Run cmd once. *retry is set when the failure is worth another try: the
 * unit of work failed as a whole — the store (LA_EDB, LA_EIO), a concurrent
 * change that outlasted the bus's own retries (LA_ECONFLICT), memory
 * (LA_ENOMEM). The command's own failure is the domain's answer (an unknown
 * batch, "already exists with different values", "already allocated with
 * qty"): it would fail the same way every time, so it is never retried.
 * la_bus_handle_many tells the two apart: it returns LA_OK once the unit of
 * work is done, and the command's own status is its result.
 */
static int run_once(la_redis_consumer *c, const la_message *cmd, int *retry, const char **why)
{
	int rc = la_bus_handle_many(c->bus, &cmd, 1);

	*retry = rc == LA_EDB || rc == LA_ECONFLICT || rc == LA_EIO || rc == LA_ENOMEM;
	if (rc == LA_OK) {
		rc = la_bus_result_status(c->bus, 0);
		*retry = rc == LA_ENOMEM;
	}
	*why = rc == LA_OK ? "" : la_bus_result_error(c->bus, 0);
	if (!*why || !**why)
		*why = la_error_last();
	return rc;
}

redis_verdict redis_consumer_apply(la_redis_consumer *c, const char *channel, const la_message *cmd,
                                   const char *key)
{
	int rc = LA_OK, retry = 0, pause = APPLY_BACKOFF_MS;
	const char *why = "";

	for (int attempt = 1; attempt <= APPLY_ATTEMPTS; attempt++) {
		rc = run_once(c, cmd, &retry, &why);
		if (!retry || redis_waker_stopping(&c->w))
			break;
		if (attempt < APPLY_ATTEMPTS) {
			redis_waker_sleep(&c->w, pause);
			pause *= 2;
		}
	}
	if (rc == LA_OK) {
		atomic_fetch_add(&c->applied, 1);
		if (c->relay)
			la_redis_relay_wake(c->relay);
	} else {
		atomic_fetch_add(&c->failed, 1);
		la_log(retry ? LA_LOG_ERROR : LA_LOG_WARN,
		       "redis consumer: %s from %s%s%s failed (%s): %s%s", la_message_name(cmd),
		       channel, key ? " id " : "", key ? key : "", la_strerror(rc), why,
		       retry ? (c->mode == LA_REDIS_STREAMS ? "; left for redelivery" : "; dropped")
		             : "; skipped");
		if (retry)
			return REDIS_RETRY;
	}
	if (key && redis_seen_add(c->seen, key) != LA_OK)
		la_log(LA_LOG_WARN, "redis consumer: out of memory remembering id %s", key);
	return REDIS_DONE;
}
