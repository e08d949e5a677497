/* The consumer's state, shared by its pub/sub and streams loops. */
#ifndef REDIS_CONSUMER_INTERNAL_H
#define REDIS_CONSUMER_INTERNAL_H

#include "endpoint.h"
#include "seen.h"
#include "waker.h"

#include <allocation/redis.h>

#include <stdatomic.h>

#define CONSUMER_TIMEOUT_MS     2000
#define CONSUMER_BACKOFF_MIN_MS 50
#define CONSUMER_BACKOFF_MAX_MS 2000
#define CONSUMER_SEEN_CAPACITY  100000

struct la_redis_consumer {
	redis_endpoint ep;
	int mode;
	la_bus *bus;
	char *group;
	char *name;
	la_redis_relay *relay;
	redis_waker w;
	redis_seen *seen; /* ids handled lately, in this process */
	atomic_uint_fast64_t applied, malformed, duplicates, failed;
};

/* What to do with a message once handled. */
typedef enum redis_verdict {
	REDIS_DONE = 0, /* applied, skipped or failed for good: acknowledge it */
	REDIS_RETRY = 1 /* a transient failure: leave it to be delivered again */
} redis_verdict;

/*
 * Decode json received on channel into *out_cmd and its dedup key *out_key
 * (free(): the message's "id", else fallback_key, else NULL). A malformed
 * message is logged and counted, and LA_EINVAL returned: skip it.
 */
int redis_consumer_decode(la_message **out_cmd, char **out_key, la_redis_consumer *c,
                          const char *channel, const char *json, size_t len,
                          const char *fallback_key);

/* The same for a stream entry's field/value pairs. */
int redis_consumer_decode_fields(la_message **out_cmd, char **out_key, la_redis_consumer *c,
                                 const char *channel, const char *const *names,
                                 const char *const *values, const size_t *lens, size_t count,
                                 const char *fallback_key);

/* Non-zero (and counted) when key was handled lately by this process. */
int redis_consumer_seen(la_redis_consumer *c, const char *key);

/* Count a message skipped because a durable record says it was handled. */
void redis_consumer_count_duplicate(la_redis_consumer *c, const char *key);

/*
 * Run cmd (from channel) on the bus, retrying transient failures a few
 * times; remembers key (may be NULL) unless the verdict is REDIS_RETRY.
 */
redis_verdict redis_consumer_apply(la_redis_consumer *c, const char *channel, const la_message *cmd,
                                   const char *key);

int redis_consumer_run_pubsub(la_redis_consumer *c);
int redis_consumer_run_streams(la_redis_consumer *c);

/* Log a lost or failed connection once per outage; returns the next backoff. */
int redis_consumer_backoff(la_redis_consumer *c, int backoff_ms, const char *what);

#endif
