/* la_redis: PUBLISH (pub/sub) or XADD (streams) one message at a time. */
#include "publisher.h"
#include "conn.h"
#include "json_valid.h"

#include <allocation/sys/ports.h>

#include <jansson.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PUBLISH_TIMEOUT_MS 2000

struct la_redis {
	redis_endpoint ep;
	int mode;
	redisContext *c;
	uint64_t id_prefix; /* ids for messages that come without one */
	uint64_t id_counter;
};

int redis_check_mode(int mode)
{
	if (mode != LA_REDIS_PUBSUB && mode != LA_REDIS_STREAMS)
		return la_error_set(
		    LA_EINVAL, "Redis mode must be LA_REDIS_PUBSUB (0) or LA_REDIS_STREAMS (1)");
	return LA_OK;
}

/* 64 random bits for the ids this publisher makes up. */
static uint64_t random_prefix(const void *salt)
{
	uint64_t prefix = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (!f || fread(&prefix, sizeof(prefix), 1, f) != 1)
		prefix =
		    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)salt;
	if (f)
		(void)fclose(f); /* read only: nothing to lose */
	return prefix;
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
	r->id_prefix = random_prefix(r);
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

/* The "id" of json's top-level object into buf ("" when none); 1 if it is an object. */
static int read_id(char *buf, size_t size, json_t *obj)
{
	json_t *id = json_object_get(obj, "id");

	buf[0] = '\0';
	if (json_is_string(id))
		(void)snprintf(buf, size, "%s",
		               json_string_value(id)); /* only "is there one" counts */
	else if (json_is_integer(id))
		(void)snprintf(buf, size, "%lld", (long long)json_integer_value(id));
	return json_is_object(obj);
}

/*
 * Every message leaves with a unique "id": the outbox's (the fast path: its
 * JSON starts with it), or one made up here for messages the bus publishes
 * directly (stores without an outbox). *owned is a rewritten message to free,
 * or NULL when json goes out as it is. LA_ENOMEM when the id cannot be added
 * (the message is not published without one).
 */
static int ensure_id(la_redis *r, const char *json, char *id, size_t size, char **owned)
{
	static const char lead[] = "{\"id\":\"";
	json_error_t error;
	json_t *obj;
	const char *body;

	*owned = NULL;
	if (strncmp(json, lead, sizeof(lead) - 1) == 0) {
		const char *start = json + sizeof(lead) - 1, *end = strchr(start, '"');

		if (end && (size_t)(end - start) < size && !memchr(start, '\\', end - start)) {
			memcpy(id, start, (size_t)(end - start));
			id[end - start] = '\0';
			return LA_OK;
		}
	}
	obj = json_loads(json, 0, &error);
	/* jansson reports running out of memory as a syntax error */
	if (!obj && redis_json_out_of_memory(&error, json, strlen(json)))
		return la_error_set(LA_ENOMEM, "out of memory reading a message to publish");
	/* not an object, or has an id (one that is not a string or a number is
	 * left as it is: a second "id" would make the message invalid) */
	if (!read_id(id, size, obj) || id[0] != '\0' || json_object_get(obj, "id")) {
		json_decref(obj);
		return LA_OK;
	}
	json_decref(obj);
	/* 37 bytes at most: fits */
	(void)snprintf(id, size, "%016llx-%llu", (unsigned long long)r->id_prefix,
	               (unsigned long long)++r->id_counter);
	/* Written as text after the "{": jansson's json_dumps, short of
	 * memory, can return a message with a key left out (found by
	 * oom_redis_test.c). */
	body = json + strspn(json, " \t\r\n") + 1;
	size = strlen(id) + strlen(body) + 16;
	if (!(*owned = malloc(size)))
		return la_error_set(LA_ENOMEM, "out of memory giving a message its id");
	(void)snprintf(*owned, size, /* sized for it */ "{\"id\":\"%s\"%s%s", id,
	               body[strspn(body, " \t\r\n")] == '}' ? "" : ",", body);
	return LA_OK;
}

static redisReply *send_once(la_redis *r, const char *channel, const char *json, const char *id)
{
	if (r->mode == LA_REDIS_PUBSUB) {
		const char *argv[3] = {"PUBLISH", channel, json};

		return redis_conn_command(r->c, 3, argv, NULL);
	} else {
		const char *argv[7] = {"XADD", channel, "*", "id", id, "json", json};

		return redis_conn_command(r->c, 7, argv, NULL);
	}
}

int la_redis_publish(const char *channel, const char *json, void *redis)
{
	la_redis *r = redis;
	char id[256], *owned = NULL;
	int rc = LA_EIO;

	if (!channel || !json || !r)
		return la_error_set(LA_EINVAL,
		                    "la_redis_publish: channel, json and redis are required");
	if ((rc = ensure_id(r, json, id, sizeof(id), &owned)) != LA_OK)
		return rc;
	if (owned)
		json = owned;
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *reply;
		int fresh = r->c == NULL;

		if (fresh && (rc = redis_conn_open(&r->c, &r->ep, PUBLISH_TIMEOUT_MS)) != LA_OK)
			break;
		reply = send_once(r, channel, json, id);
		if (!reply) { /* stale connection (Redis restarted?): reconnect once */
			redis_publisher_disconnect(r);
			rc = la_error_last_code();
			if (fresh || rc == LA_ENOMEM) /* sent, perhaps: not twice */
				break;
			continue;
		}
		rc = LA_OK;
		if (reply->type == REDIS_REPLY_ERROR)
			rc = la_error_set(LA_EIO, "Redis refused to publish on %s: %s", channel,
			                  reply->str);
		freeReplyObject(reply);
		break;
	}
	free(owned);
	return rc;
}
