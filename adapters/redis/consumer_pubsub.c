/*
 * The pub/sub consumer (the book's contract): SUBSCRIBE to the inbound
 * channels and run each message's command. Nothing is acknowledged; what is
 * published while we are disconnected is lost, which is why streams exist.
 */
#include "consumer_internal.h"
#include "conn.h"
#include "inbound.h"

#include <allocation/sys/ports.h>

#include <stdlib.h>
#include <string.h>

#define READ_SLICE_MS 1000
#define PING_AFTER_MS 15000 /* idle this long: PING to check the connection */
#define DEAD_AFTER_MS 30000 /* and no answer by then: reconnect */

static int subscribe(redisContext *ctx)
{
	const char *argv[1 + REDIS_INBOUND_COUNT] = {"SUBSCRIBE"};

	for (int i = 0; i < REDIS_INBOUND_COUNT; i++)
		argv[1 + i] = redis_inbound_channels[i];
	return redis_conn_send(ctx, 1 + REDIS_INBOUND_COUNT, argv, NULL);
}

static int is_kind(const redisReply *reply, const char *kind, size_t elements)
{
	return reply->type == REDIS_REPLY_ARRAY && reply->elements == elements &&
	       reply->element[0]->type == REDIS_REPLY_STRING &&
	       strcmp(reply->element[0]->str, kind) == 0;
}

static void on_message(la_redis_consumer *c, const redisReply *reply)
{
	const redisReply *channel = reply->element[1], *payload = reply->element[2];
	la_message *cmd = NULL;
	char *key = NULL;

	if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING)
		return;
	if (redis_consumer_decode(&cmd, &key, c, channel->str, payload->str, payload->len, NULL) !=
	    LA_OK)
		return;
	if (!redis_consumer_seen(c, key))
		redis_consumer_apply(c, channel->str, cmd, key);
	la_message_free(cmd);
	free(key);
}

/*
 * Read and handle messages until stopped or the connection fails. Returns
 * non-zero when the subscription was confirmed (so the failure, if any, came
 * later), zero when Redis refused it (e.g. NOAUTH) or never answered.
 */
static int consume_messages(la_redis_consumer *c, redisContext *ctx)
{
	int idle_ms = 0, ping_sent = 0, subscribed = 0;

	while (!redis_waker_stopping(&c->w)) {
		redisReply *reply = NULL;
		int rv = redis_conn_read(&reply, ctx, &c->w, READ_SLICE_MS);

		if (rv < 0) {
			if (subscribed)
				la_log(LA_LOG_WARN, "redis consumer: connection lost: %s",
				       la_error_last());
			return subscribed;
		}
		if (rv == 0) {
			idle_ms += READ_SLICE_MS;
			if (idle_ms >= DEAD_AFTER_MS) {
				la_error_set(LA_EIO, "no answer from Redis for %d s",
				             idle_ms / 1000);
				if (subscribed)
					la_log(LA_LOG_WARN, "redis consumer: %s; reconnecting",
					       la_error_last());
				return subscribed;
			}
			if (idle_ms >= PING_AFTER_MS && !ping_sent) {
				const char *argv[1] = {"PING"};

				if (redis_conn_send(ctx, 1, argv, NULL) != LA_OK)
					return subscribed;
				ping_sent = 1;
			}
			continue;
		}
		idle_ms = 0;
		ping_sent = 0;
		if (reply->type == REDIS_REPLY_ERROR) {
			la_error_set(LA_EIO, "Redis refused SUBSCRIBE: %s", reply->str);
			freeReplyObject(reply);
			return subscribed;
		}
		if (is_kind(reply, "message", 3)) {
			on_message(c, reply);
		} else if (is_kind(reply, "subscribe", 3) &&
		           reply->element[2]->integer == REDIS_INBOUND_COUNT) {
			subscribed = 1;
			la_log(LA_LOG_INFO, "redis consumer: subscribed to the inbound channels");
		}
		freeReplyObject(reply);
	}
	return subscribed;
}

int redis_consumer_run_pubsub(la_redis_consumer *c)
{
	int backoff = 0;

	while (!redis_waker_stopping(&c->w)) {
		redisContext *ctx = NULL;
		int subscribed = 0;

		if (redis_conn_open(&ctx, &c->ep, CONSUMER_TIMEOUT_MS) == LA_OK &&
		    subscribe(ctx) == LA_OK)
			subscribed = consume_messages(c, ctx);
		if (ctx)
			redisFree(ctx);
		if (redis_waker_stopping(&c->w))
			break;
		if (subscribed) { /* lost later: come back at once, but don't hammer */
			backoff = 0;
			redis_waker_sleep(&c->w, CONSUMER_BACKOFF_MIN_MS);
		} else {
			backoff = redis_consumer_backoff(c, backoff, "cannot subscribe");
		}
	}
	return LA_OK;
}
