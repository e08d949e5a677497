/*
 * The streams consumer (--redis-mode streams): each inbound channel is a
 * stream read with XREADGROUP from a consumer group. An entry is acknowledged
 * (XACK) only after its command committed, together with a record of its key
 * in a capped sorted set, in one MULTI/EXEC. At every (re)connection the
 * consumer first re-reads its own pending entries (delivered before a crash,
 * never acknowledged), then claims entries other consumers left idle.
 */
#include "consumer_internal.h"
#include "conn.h"
#include "inbound.h"

#include <allocation/sys/ports.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define READ_COUNT       "100"
#define BLOCK_MS         "1000"
#define READ_WAIT_MS     5000    /* no reply to a BLOCK 1000 read by then: dead link */
#define PENDING_RETRY_MS 5000    /* retry entries that failed transiently this often */
#define CLAIM_IDLE_MS    "60000" /* claim other consumers' entries idle this long */
#define PROCESSED_KEEP   100000  /* keys kept in the durable processed record */

typedef struct session {
	la_redis_consumer *c;
	redisContext *ctx;
	char processed_key[300];
	int retry_pending;
} session;

static long long now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a command; NULL when the connection broke. */
static redisReply *command(session *s, int argc, const char **argv)
{
	return redis_conn_command(s->ctx, argc, argv, NULL);
}

static int create_groups(session *s)
{
	for (int i = 0; i < REDIS_INBOUND_COUNT; i++) {
		/* from "0": entries added before the group first existed are consumed too */
		const char *argv[6] = {"XGROUP",    "CREATE", redis_inbound_channels[i],
		                       s->c->group, "0",      "MKSTREAM"};
		redisReply *reply = command(s, 6, argv);
		int rc = LA_OK;

		if (!reply)
			return LA_EIO;
		if (reply->type == REDIS_REPLY_ERROR && !redis_reply_is_error(reply, "BUSYGROUP"))
			rc = la_error_set(LA_EIO, "XGROUP CREATE %s: %s", redis_inbound_channels[i],
			                  reply->str);
		freeReplyObject(reply);
		if (rc != LA_OK)
			return rc;
	}
	return LA_OK;
}

/* 1 when key is in the durable record, 0 when not, -1 when the link broke. */
static int processed_before(session *s, const char *key)
{
	const char *argv[3] = {"ZSCORE", s->processed_key, key};
	redisReply *reply = command(s, 3, argv);
	int found;

	if (!reply)
		return -1;
	found = reply->type == REDIS_REPLY_STRING;
	freeReplyObject(reply);
	return found;
}

/* XACK the entry and record key (may be NULL), atomically. */
static int acknowledge(session *s, const char *stream, const char *entry_id, const char *key)
{
	char score[32], keep[32];
	const char *multi[1] = {"MULTI"}, *exec[1] = {"EXEC"};
	const char *xack[4] = {"XACK", stream, s->c->group, entry_id};
	const char *zadd[4] = {"ZADD", s->processed_key, score, key};
	const char *trim[4] = {"ZREMRANGEBYRANK", s->processed_key, "0", keep};
	int n = key ? 5 : 3, rc = LA_OK;

	(void)snprintf(score, sizeof(score), "%lld", now_ms(CLOCK_REALTIME)); /* fits */
	(void)snprintf(keep, sizeof(keep), "%d", -(PROCESSED_KEEP + 1));
	if (redis_conn_append(s->ctx, 1, multi, NULL) != REDIS_OK ||
	    redis_conn_append(s->ctx, 4, xack, NULL) != REDIS_OK ||
	    (key && redis_conn_append(s->ctx, 4, zadd, NULL) != REDIS_OK) ||
	    (key && redis_conn_append(s->ctx, 4, trim, NULL) != REDIS_OK) ||
	    redis_conn_append(s->ctx, 1, exec, NULL) != REDIS_OK)
		return la_error_set(LA_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		void *reply = NULL;

		if (redis_conn_get_reply(s->ctx, &reply) != REDIS_OK)
			return la_error_set(LA_EIO, "Redis XACK: %s", s->ctx->errstr);
		if (i == n - 1 && ((redisReply *)reply)->type != REDIS_REPLY_ARRAY)
			rc = la_error_set(LA_EIO, "Redis refused XACK of %s %s", stream, entry_id);
		freeReplyObject(reply);
	}
	return rc;
}

static int decode_entry(la_message **cmd, char **key, session *s, const char *stream,
                        const redisReply *fields, const char *fallback)
{
	size_t count = fields->elements / 2;
	const char **names = calloc(count + 1, sizeof(*names));
	const char **values = calloc(count + 1, sizeof(*values));
	size_t *lens = calloc(count + 1, sizeof(*lens));
	int rc = LA_OK;

	if (!names || !values || !lens) {
		free(names);
		free(values);
		free(lens);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	for (size_t i = 0; rc == LA_OK && i < count; i++) {
		const redisReply *name = fields->element[2 * i],
		                 *value = fields->element[2 * i + 1];

		if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
			rc = la_error_set(LA_EIO, "unexpected reply shape from XREADGROUP");
		names[i] = name->str;
		values[i] = value->str;
		lens[i] = value->len;
	}
	if (rc == LA_OK)
		rc = redis_consumer_decode_fields(cmd, key, s->c, stream, names, values, lens,
		                                  count, fallback);
	free(names);
	free(values);
	free(lens);
	return rc;
}

/* Handle one entry [id, [field, value, ...]]: LA_OK, or LA_EIO when the link broke. */
static int handle_entry(session *s, const char *stream, const redisReply *entry)
{
	const redisReply *fields;
	const char *entry_id;
	char fallback[600];
	la_message *cmd = NULL;
	char *key = NULL;
	int rc, seen;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING)
		return la_error_set(LA_EIO, "unexpected reply shape from XREADGROUP");
	entry_id = entry->element[0]->str;
	fields = entry->element[1];
	if (fields->type != REDIS_REPLY_ARRAY) /* trimmed from the stream while pending */
		return acknowledge(s, stream, entry_id, NULL);
	(void)snprintf(fallback, sizeof(fallback), "%s/%s", stream,
	               entry_id); /* a name, may be cut */
	rc = decode_entry(&cmd, &key, s, stream, fields, fallback);
	if (rc == LA_EINVAL) /* malformed: logged, skip it for good */
		return acknowledge(s, stream, entry_id, NULL);
	if (rc != LA_OK)
		return rc;
	seen = redis_consumer_seen(s->c, key) ? 1 : processed_before(s, key);
	if (seen == 1 && !redis_seen_contains(s->c->seen, key))
		redis_consumer_count_duplicate(s->c, key);
	if (seen < 0)
		rc = LA_EIO;
	else if (seen == 1 || redis_consumer_apply(s->c, stream, cmd, key) == REDIS_DONE)
		rc = acknowledge(s, stream, entry_id, key);
	else
		s->retry_pending = 1;
	la_message_free(cmd);
	free(key);
	return rc;
}

/* One entry of a read reply, with the stream it came from. */
typedef struct entry_ref {
	const char *stream;
	const redisReply *entry;
	unsigned long long ms, seq;
	size_t position; /* in the reply: stream order, then entry order */
} entry_ref;

/* "<ms>-<seq>" into its two numbers (0 and 0 when it is not one: sorted first). */
static void parse_entry_id(const char *id, unsigned long long *ms, unsigned long long *seq)
{
	char *end;

	errno = 0;
	*ms = strtoull(id, &end, 10);
	*seq = end != id && *end == '-' ? strtoull(end + 1, &end, 10) : 0;
	if (errno != 0 || *end != '\0')
		*ms = *seq = 0;
}

static int by_entry_id(const void *a, const void *b)
{
	const entry_ref *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->position < y->position ? -1 : x->position > y->position;
}

static int check_shape(const redisReply *reply)
{
	if (reply->type == REDIS_REPLY_ERROR)
		return la_error_set(LA_EIO, "XREADGROUP failed: %s", reply->str);
	if (reply->type != REDIS_REPLY_ARRAY)
		return la_error_set(LA_EIO, "unexpected reply shape from XREADGROUP");
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *pair = reply->element[i];

		if (pair->type != REDIS_REPLY_ARRAY || pair->elements != 2 ||
		    pair->element[0]->type != REDIS_REPLY_STRING ||
		    pair->element[1]->type != REDIS_REPLY_ARRAY)
			return la_error_set(LA_EIO, "unexpected reply shape from XREADGROUP");
		for (size_t j = 0; j < pair->element[1]->elements; j++) {
			const redisReply *e = pair->element[1]->element[j];

			if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
			    e->element[0]->type != REDIS_REPLY_STRING)
				return la_error_set(LA_EIO,
				                    "unexpected reply shape from XREADGROUP");
		}
	}
	return LA_OK;
}

/*
 * Handle a reply [[stream, [entry, ...]], ...]. Entries of different streams
 * are taken in entry-id order (the millisecond Redis added them), so that a
 * batch created just before its quantity changes is created first; ties go
 * in the order of redis_inbound_channels. *count gets the number of entries.
 */
static int handle_streams(session *s, const redisReply *reply, size_t *count)
{
	entry_ref *refs;
	size_t n = 0;
	int rc;

	*count = 0;
	if (reply->type == REDIS_REPLY_NIL)
		return LA_OK;
	if ((rc = check_shape(reply)) != LA_OK)
		return rc;
	for (size_t i = 0; i < reply->elements; i++)
		n += reply->element[i]->element[1]->elements;
	if (n == 0)
		return LA_OK;
	if (!(refs = calloc(n, sizeof(*refs))))
		return la_error_set(LA_ENOMEM, "out of memory");
	n = 0;
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *entries = reply->element[i]->element[1];

		for (size_t j = 0; j < entries->elements; j++, n++) {
			refs[n].stream = reply->element[i]->element[0]->str;
			refs[n].entry = entries->element[j];
			refs[n].position = n;
			parse_entry_id(refs[n].entry->element[0]->str, &refs[n].ms, &refs[n].seq);
		}
	}
	qsort(refs, n, sizeof(*refs), by_entry_id);
	for (size_t k = 0; k < n && rc == LA_OK; k++)
		rc = handle_entry(s, refs[k].stream, refs[k].entry);
	free(refs);
	*count = n;
	return rc;
}

/* Last entry id of stream in reply, into cursor (unchanged when none). */
static void advance_cursor(char *cursor, size_t size, const redisReply *reply, const char *stream)
{
	if (reply->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *entries = reply->element[i]->element[1];

		if (strcmp(reply->element[i]->element[0]->str, stream) == 0 &&
		    entries->elements > 0) {
			const char *last = entries->element[entries->elements - 1]->element[0]->str;

			if (strlen(last) < size) /* an id is at most 41 bytes: never cut */
				(void)snprintf(cursor, size, "%s", last);
		}
	}
}

/* Our own entries delivered earlier and never acknowledged (a crash, a failure). */
static int pending_pass(session *s)
{
	char cursors[REDIS_INBOUND_COUNT][64];
	const char *argv[7 + REDIS_INBOUND_COUNT * 2] = {
	    "XREADGROUP", "GROUP", s->c->group, s->c->name, "COUNT", READ_COUNT, "STREAMS"};
	size_t count;

	for (int i = 0; i < REDIS_INBOUND_COUNT; i++) {
		(void)snprintf(cursors[i], sizeof(cursors[i]), "0");
		argv[7 + i] = redis_inbound_channels[i];
		argv[7 + REDIS_INBOUND_COUNT + i] = cursors[i];
	}
	do {
		redisReply *reply = command(s, 7 + REDIS_INBOUND_COUNT * 2, argv);
		int rc;

		if (!reply)
			return LA_EIO;
		rc = handle_streams(s, reply, &count);
		if (rc == LA_OK)
			for (int i = 0; i < REDIS_INBOUND_COUNT; i++)
				advance_cursor(cursors[i], sizeof(cursors[i]), reply,
				               redis_inbound_channels[i]);
		freeReplyObject(reply);
		if (rc != LA_OK)
			return rc;
	} while (count > 0 && !redis_waker_stopping(&s->c->w));
	return LA_OK;
}

/* An entry as XREADGROUP and XAUTOCLAIM send it: [id, [field, value, ...]]
 * (the fields nil when it was deleted while pending). */
static int is_entry(const redisReply *e)
{
	return e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
	       e->element[0]->type == REDIS_REPLY_STRING &&
	       (e->element[1]->type == REDIS_REPLY_ARRAY || e->element[1]->type == REDIS_REPLY_NIL);
}

/*
 * Handle one XAUTOCLAIM reply of stream: [cursor, [entry, ...]] and, since
 * Redis 7, [deleted id, ...]. Every element's type is checked. A nil in place
 * of an entry (Redis 6.2: deleted from the stream while pending, sent again at
 * every claim) or anything else that is not an entry is skipped — never a
 * reason to reconnect, which would only claim it again. The next cursor goes
 * to cursor ("0-0" when the reply has none: stop claiming this stream).
 */
static int handle_claimed(session *s, const char *stream, const redisReply *reply, char *cursor,
                          size_t size)
{
	const redisReply *entries;
	int rc = LA_OK;
	size_t skipped = 0;

	(void)snprintf(cursor, size, "0-0");  /* fits */
	if (reply->type == REDIS_REPLY_ERROR) /* Redis < 6.2: no XAUTOCLAIM */
		return LA_OK;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY) {
		la_log(LA_LOG_WARN,
		       "redis consumer: unexpected reply shape from XAUTOCLAIM %s; "
		       "not claiming from it",
		       stream);
		return LA_OK;
	}
	entries = reply->element[1];
	for (size_t j = 0; rc == LA_OK && j < entries->elements; j++) {
		if (is_entry(entries->element[j]))
			rc = handle_entry(s, stream, entries->element[j]);
		else
			skipped++;
	}
	if (skipped)
		la_log(LA_LOG_INFO,
		       "redis consumer: XAUTOCLAIM %s: skipped %zu element(s) that are not entries "
		       "(deleted while pending)",
		       stream, skipped);
	if (reply->elements > 2 && reply->element[2]->type == REDIS_REPLY_ARRAY &&
	    reply->element[2]->elements > 0)
		la_log(LA_LOG_INFO,
		       "redis consumer: XAUTOCLAIM %s: %zu pending entries were deleted from the "
		       "stream; Redis dropped them",
		       stream, reply->element[2]->elements);
	(void)snprintf(cursor, size, "%s", reply->element[0]->str); /* an id: fits */
	return rc;
}

/* Entries other consumers of the group took and left idle (they died). */
static int claim_pass(session *s)
{
	for (int i = 0; i < REDIS_INBOUND_COUNT; i++) {
		char cursor[64] = "0-0";

		for (int round = 0; round < 100 && !redis_waker_stopping(&s->c->w); round++) {
			const char *argv[8] = {"XAUTOCLAIM",  redis_inbound_channels[i],
			                       s->c->group,   s->c->name,
			                       CLAIM_IDLE_MS, cursor,
			                       "COUNT",       READ_COUNT};
			redisReply *reply = command(s, 8, argv);
			int rc;

			if (!reply)
				return LA_EIO;
			rc = handle_claimed(s, redis_inbound_channels[i], reply, cursor,
			                    sizeof(cursor));
			freeReplyObject(reply);
			if (rc != LA_OK)
				return rc;
			if (strcmp(cursor, "0-0") == 0)
				break;
		}
	}
	return LA_OK;
}

/* New entries until stopped or the link breaks. */
static int read_new(session *s)
{
	const char *argv[9 + REDIS_INBOUND_COUNT * 2] = {"XREADGROUP", "GROUP",  s->c->group,
	                                                 s->c->name,   "COUNT",  READ_COUNT,
	                                                 "BLOCK",      BLOCK_MS, "STREAMS"};
	long long last_pending = now_ms(CLOCK_MONOTONIC);

	for (int i = 0; i < REDIS_INBOUND_COUNT; i++) {
		argv[9 + i] = redis_inbound_channels[i];
		argv[9 + REDIS_INBOUND_COUNT + i] = ">";
	}
	while (!redis_waker_stopping(&s->c->w)) {
		redisReply *reply = NULL;
		size_t count;
		int rc, rv = 0;
		long long start = now_ms(CLOCK_MONOTONIC);

		if (redis_conn_send(s->ctx, 9 + REDIS_INBOUND_COUNT * 2, argv, NULL) != LA_OK)
			return LA_EIO;
		while (rv == 0 && !redis_waker_stopping(&s->c->w) &&
		       now_ms(CLOCK_MONOTONIC) - start < READ_WAIT_MS)
			rv = redis_conn_read(&reply, s->ctx, &s->c->w, READ_WAIT_MS);
		if (redis_waker_stopping(&s->c->w)) {
			freeReplyObject(reply);
			return LA_OK;
		}
		if (rv <= 0)
			return rv < 0 ? LA_EIO
			              : la_error_set(LA_EIO, "Redis did not answer XREADGROUP");
		rc = handle_streams(s, reply, &count);
		freeReplyObject(reply);
		if (rc != LA_OK)
			return rc;
		if (s->retry_pending &&
		    now_ms(CLOCK_MONOTONIC) - last_pending >= PENDING_RETRY_MS) {
			s->retry_pending = 0;
			last_pending = now_ms(CLOCK_MONOTONIC);
			if ((rc = pending_pass(s)) != LA_OK)
				return rc;
		}
	}
	return LA_OK;
}

int redis_consumer_run_streams(la_redis_consumer *c)
{
	session s = {c, NULL, "", 0};
	int backoff = 0;

	/* fits: a group name is at most 255 bytes (la_check_string) */
	(void)snprintf(s.processed_key, sizeof(s.processed_key), "allocation:processed:%s",
	               c->group);
	while (!redis_waker_stopping(&c->w)) {
		int rc = redis_conn_open(&s.ctx, &c->ep, CONSUMER_TIMEOUT_MS);

		if (rc == LA_OK && (rc = create_groups(&s)) == LA_OK &&
		    (rc = pending_pass(&s)) == LA_OK && (rc = claim_pass(&s)) == LA_OK) {
			if (backoff != 0)
				la_log(LA_LOG_INFO, "redis consumer: reconnected");
			la_log(LA_LOG_INFO, "redis consumer: reading streams as %s/%s", c->group,
			       c->name);
			backoff = 0;
			rc = read_new(&s);
		}
		if (s.ctx) {
			redisFree(s.ctx);
			s.ctx = NULL;
		}
		if (rc != LA_OK && !redis_waker_stopping(&c->w))
			backoff = redis_consumer_backoff(c, backoff, "stream read failed");
	}
	return LA_OK;
}
