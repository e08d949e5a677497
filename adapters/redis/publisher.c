/* la_redis: PUBLISH (pub/sub) or XADD (streams) one message at a time. */
#include "publisher.h"
#include "conn.h"

#include <allocation/sys/ports.h>

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISH_TIMEOUT_MS 2000

struct la_redis {
	redis_endpoint ep;
	int mode;
	redisContext *c;
};

int redis_check_mode(int mode)
{
	if (mode != LA_REDIS_PUBSUB && mode != LA_REDIS_STREAMS)
		return la_error_set(
		    LA_EINVAL, "Redis mode must be LA_REDIS_PUBSUB (0) or LA_REDIS_STREAMS (1)");
	return LA_OK;
}

int la_redis_new(la_redis **out, const char *url, int mode)
{
	la_redis *r;
	int rc;

	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	*out = NULL;
	if ((rc = redis_check_mode(mode)) != LA_OK)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return la_error_set(LA_ENOMEM, "out of memory");
	if ((rc = redis_endpoint_parse(&r->ep, url)) != LA_OK) {
		free(r);
		return rc;
	}
	r->mode = mode;
	*out = r;
	return LA_OK;
}

void redis_publisher_disconnect(la_redis *r)
{
	if (r && r->c) {
		redisFree(r->c);
		r->c = NULL;
	}
}

void la_redis_free(la_redis *r)
{
	if (!r)
		return;
	redis_publisher_disconnect(r);
	redis_endpoint_clear(&r->ep);
	free(r);
}

/* The message's "id" as text, "" when it has none. */
static void message_id(char *buf, size_t size, const char *json)
{
	json_t *obj = json_loads(json, 0, NULL);
	json_t *id = obj ? json_object_get(obj, "id") : NULL;

	buf[0] = '\0';
	if (json_is_string(id))
		snprintf(buf, size, "%s", json_string_value(id));
	else if (json_is_integer(id))
		snprintf(buf, size, "%lld", (long long)json_integer_value(id));
	json_decref(obj);
}

static redisReply *send_once(la_redis *r, const char *channel, const char *json)
{
	char id[256];

	if (r->mode == LA_REDIS_PUBSUB) {
		const char *argv[3] = {"PUBLISH", channel, json};

		return redis_conn_command(r->c, 3, argv, NULL);
	}
	message_id(id, sizeof(id), json);
	{
		const char *argv[7] = {"XADD", channel, "*", "id", id, "json", json};

		return redis_conn_command(r->c, 7, argv, NULL);
	}
}

int la_redis_publish(const char *channel, const char *json, void *redis)
{
	la_redis *r = redis;
	int rc;

	if (!channel || !json || !r)
		return la_error_set(LA_EINVAL,
		                    "la_redis_publish: channel, json and redis are required");
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *reply;
		int fresh = r->c == NULL;

		if (fresh && (rc = redis_conn_open(&r->c, &r->ep, PUBLISH_TIMEOUT_MS)) != LA_OK)
			return rc;
		reply = send_once(r, channel, json);
		if (!reply) { /* stale connection (Redis restarted?): reconnect once */
			redis_publisher_disconnect(r);
			if (fresh)
				return LA_EIO;
			continue;
		}
		rc = LA_OK;
		if (reply->type == REDIS_REPLY_ERROR)
			rc = la_error_set(LA_EIO, "Redis refused to publish on %s: %s", channel,
			                  reply->str);
		freeReplyObject(reply);
		return rc;
	}
	return LA_EIO;
}
