/**
 * @file allocation/redis.h
 * @brief liballocation-redis: external events over Redis (spec §4): a publisher,
 * a consumer of the inbound channels and a relay for the transactional
 * outbox. Link with liballocation-redis (pkg-config allocation-redis).
 *
 * Two transports, chosen per handle with `mode`:
 * - #LA_REDIS_PUBSUB: PUBLISH / SUBSCRIBE, the book's contract (default).
 *   Whatever is published while nobody listens is lost.
 * - #LA_REDIS_STREAMS: durable: outbound messages are appended with XADD to a
 *   stream named after the channel (entry fields "id" and "json"); inbound
 *   streams are read with XREADGROUP from a consumer group and acknowledged
 *   (XACK) only after the command's transaction committed, so a crash
 *   re-delivers.
 *
 * URLs: "redis://host[:port][/db]" (port 6379, db 0 by default); also
 * "redis://:password@host:port/db" and "unix:/path/to/socket".
 *
 * Every published message is the event's JSON with a unique "id" field
 * (taken from the outbox). The consumer treats a message whose id it has
 * already handled as done (see docs/redis.md for the exact rules).
 *
 * Threads: each handle is used by one thread at a time, except the _stop and
 * _wake functions, which may be called from any thread (and _stop from a
 * signal handler). The bus given to a consumer and the store given to a relay
 * are borrowed and must be used by nobody else while the consumer or relay
 * runs: open a separate store (and bus) for each.
 */
#ifndef ALLOCATION_REDIS_H
#define ALLOCATION_REDIS_H

#include "common.h"
#include "bus.h"
#include "store.h"

LA_BEGIN_DECL

/** Transport: PUBLISH / SUBSCRIBE (the default). */
#define LA_REDIS_PUBSUB 0
/** Transport: streams (XADD, XREADGROUP, XACK), durable. */
#define LA_REDIS_STREAMS 1

/* ---- publisher ---- */

/** A publisher (opaque). */
typedef struct la_redis la_redis;

/**
 * A publisher for url in mode (LA_REDIS_PUBSUB or LA_REDIS_STREAMS).
 * @param[out] out the publisher, owned by the caller (la_redis_free()).
 * @param url the server's URL (copied).
 * @param mode #LA_REDIS_PUBSUB or #LA_REDIS_STREAMS.
 * @return #LA_OK, #LA_EINVAL, #LA_ENOMEM.
 *
 * The URL is checked here (LA_EINVAL); the connection is made on first use and
 * re-made after a failure, so this succeeds while Redis is down.
 * *out owned by the caller (la_redis_free).
 */
LA_EXTERN(int) la_redis_new(la_redis **out, const char *url, int mode);

/**
 * Publish a message (a #la_publish_fn).
 * @param channel the channel or stream name (borrowed for the call).
 * @param json the message, a JSON object (borrowed for the call).
 * @param redis the la_redis publisher.
 * @return #LA_OK, #LA_EIO or #LA_EINVAL, as below.
 *
 * Publish json on channel: PUBLISH channel json, or in streams mode
 * XADD channel * id \<json's "id"\> json \<json\>. A JSON object without an "id"
 * (what the bus publishes for a store without an outbox) is given a unique
 * one first. Signature compatible with la_publish_fn, so a la_redis * can be
 * handed to la_bus_options.publish and la_store_relay_outbox as the payload.
 * LA_EIO (after one reconnect attempt) when Redis is unreachable, LA_EINVAL
 * for NULL arguments.
 */
LA_EXTERN(int) la_redis_publish(const char *channel, const char *json, void *redis);

/** Free the publisher; NULL is fine. */
LA_EXTERN(void) la_redis_free(la_redis *r);

/* ---- consumer of the inbound channels ---- */

/** A consumer of the inbound channels (opaque). */
typedef struct la_redis_consumer la_redis_consumer;

/**
 * A consumer turning inbound messages into commands on bus (borrowed):
 * @code{.unparsed}
 *   change_batch_quantity {"batchref","qty"}          → ChangeBatchQuantity
 *   batch_created         {"ref","sku","qty","eta"}    → CreateBatch
 *   batch_cancelled       {"ref"}                      → CancelBatch
 *   allocation_required   {"orderid","sku","qty"}      → Allocate
 * @endcode
 * @param[out] out the consumer, owned by the caller.
 * @param url the server's URL (copied).
 * @param mode #LA_REDIS_PUBSUB or #LA_REDIS_STREAMS.
 * @param bus the bus the commands go to (borrowed; used only by the consumer).
 * @return #LA_OK, #LA_EINVAL, #LA_ENOMEM.
 *
 * Does not connect yet. *out owned by the caller (la_redis_consumer_free).
 */
LA_EXTERN(int)
la_redis_consumer_new(la_redis_consumer **out, const char *url, int mode, la_bus *bus);

/**
 * Streams mode only (optional, before run): the consumer group (default
 * "allocation") and this consumer's name within it (default "allocation";
 * keep it stable across restarts so the consumer re-reads its own pending
 * entries). Copied. NULL keeps the current value.
 */
LA_EXTERN(int)
la_redis_consumer_set_group(la_redis_consumer *c, const char *group, const char *consumer);

/** A relay of a store's transactional outbox to Redis (opaque). */
typedef struct la_redis_relay la_redis_relay;

/**
 * Optional: wake relay (borrowed) after every command the consumer applied,
 * so the events it caused are published without waiting for the next poll.
 */
LA_EXTERN(void) la_redis_consumer_set_relay(la_redis_consumer *c, la_redis_relay *relay);

/**
 * Consume until la_redis_consumer_stop. Connects, subscribes (or creates the
 * groups and re-claims pending entries), and reconnects/resubscribes by
 * itself with capped backoff when Redis goes away. A malformed message is
 * logged and skipped; a command failing with a domain error (unknown batch,
 * invalid field, ...) is logged and acknowledged; one failing with LA_EDB or
 * LA_ECONFLICT (after the bus's retries) is logged and, in streams mode, left
 * unacknowledged to be re-delivered later. Returns LA_OK once stopped,
 * LA_ESTATE if already running.
 */
LA_EXTERN(int) la_redis_consumer_run(la_redis_consumer *c);

/** Ask run to return soon. Any thread; async-signal-safe. */
LA_EXTERN(void) la_redis_consumer_stop(la_redis_consumer *c);

/**
 * Counters since the consumer was made (any out pointer may be NULL):
 * commands applied, messages skipped as malformed, messages skipped as
 * already handled, commands that failed. Any thread.
 */
LA_EXTERN(void)
la_redis_consumer_stats(const la_redis_consumer *c, uint64_t *applied, uint64_t *malformed,
                        uint64_t *duplicates, uint64_t *failed);

/** Free the consumer (not while it runs); NULL is fine. */
LA_EXTERN(void) la_redis_consumer_free(la_redis_consumer *c);

/* ---- relay of the transactional outbox ---- */

/**
 * A relay publishing the outbox of store (borrowed; opened with
 * LA_STORE_OUTBOX, else LA_EUNSUPPORTED) to Redis in mode.
 * *out owned by the caller (la_redis_relay_free).
 */
LA_EXTERN(int)
la_redis_relay_new(la_redis_relay **out, const char *url, int mode, la_store *store);

/**
 * Publish what is queued now, oldest first, once, without waiting or
 * retrying (for embedders without a relay thread). *out_sent (may be NULL)
 * counts the messages published. LA_EIO when Redis is unreachable (what was
 * not published stays queued).
 */
LA_EXTERN(int) la_redis_relay_flush(la_redis_relay *r, size_t *out_sent);

/**
 * Poll the outbox and publish in commit order until la_redis_relay_stop.
 * Polls every 10 ms when idle (sooner after la_redis_relay_wake); Redis down →
 * retried with backoff doubling from 50 ms to 2 s. Returns LA_OK once stopped,
 * LA_ESTATE if already running.
 * Test hook: environment variable ALLOCATION_TEST_RELAY_DELAY_MS makes the
 * relay wait that long before publishing each message (the window between
 * commit and publish, for crash tests).
 */
LA_EXTERN(int) la_redis_relay_run(la_redis_relay *r);

/** Make a running relay poll now (e.g. after a command). Any thread. */
LA_EXTERN(void) la_redis_relay_wake(la_redis_relay *r);

/** Ask run to return soon. Any thread; async-signal-safe. */
LA_EXTERN(void) la_redis_relay_stop(la_redis_relay *r);

/** Messages published and failed publish attempts so far. Any thread. */
LA_EXTERN(void)
la_redis_relay_stats(const la_redis_relay *r, uint64_t *published, uint64_t *failures);

/** Free the relay (not while it runs); NULL is fine. */
LA_EXTERN(void) la_redis_relay_free(la_redis_relay *r);

LA_END_DECL

#endif
