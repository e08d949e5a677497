/* hiredis plumbing shared by the publisher, the consumer and the relay. */
#include "conn.h"

#include <allocation/sys/ports.h>

#include <stdio.h>
#include <string.h>

static int conn_error(redisContext *c, const char *what)
{
	return la_error_set(LA_EIO, "Redis %s: %s", what,
	                    c && c->errstr[0] ? c->errstr : "connection lost");
}

static int check_ok(redisContext *c, int argc, const char **argv, const char *what)
{
	redisReply *reply = redis_conn_command(c, argc, argv, NULL);
	int rc = LA_OK;

	if (!reply)
		return LA_EIO;
	if (reply->type == REDIS_REPLY_ERROR)
		rc = la_error_set(LA_EIO, "Redis %s failed: %s", what, reply->str);
	freeReplyObject(reply);
	return rc;
}

int redis_conn_open(redisContext **out, const redis_endpoint *ep, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000};
	redisContext *c;
	int rc = LA_OK;
	char name[300];

	*out = NULL;
	if (ep->unix_path)
		c = redisConnectUnixWithTimeout(ep->unix_path, tv);
	else
		c = redisConnectWithTimeout(ep->host, ep->port, tv);
	if (!c)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (c->err) {
		rc = la_error_set(LA_EIO, "cannot connect to Redis at %s: %s",
		                  redis_endpoint_name(ep, name, sizeof(name)), c->errstr);
		redisFree(c);
		return rc;
	}
	redisSetTimeout(c, tv);
	if (!ep->unix_path)
		redisEnableKeepAlive(c);
	if (ep->password) {
		const char *argv[3] = {"AUTH", ep->username ? ep->username : ep->password,
		                       ep->password};

		rc = check_ok(c, ep->username ? 3 : 2, argv, "AUTH");
	}
	if (rc == LA_OK && ep->db != 0) {
		char db[16];
		const char *argv[2] = {"SELECT", db};

		(void)snprintf(db, sizeof(db), "%d", ep->db); /* fits */
		rc = check_ok(c, 2, argv, "SELECT");
	}
	if (rc != LA_OK) {
		redisFree(c);
		return rc;
	}
	*out = c;
	return LA_OK;
}

redisReply *redis_conn_command(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	redisReply *reply = redisCommandArgv(c, argc, argv, lens);

	if (!reply)
		conn_error(c, argv[0]);
	return reply;
}

int redis_conn_send(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	int done = 0;

	if (redisAppendCommandArgv(c, argc, argv, lens) != REDIS_OK)
		return conn_error(c, argv[0]);
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return conn_error(c, argv[0]);
	return LA_OK;
}

int redis_conn_read(redisReply **out, redisContext *c, redis_waker *w, int timeout_ms)
{
	void *reply = NULL;

	*out = NULL;
	for (;;) {
		if (redisGetReplyFromReader(c, &reply) != REDIS_OK) {
			conn_error(c, "read");
			return -1;
		}
		if (reply) {
			*out = reply;
			return 1;
		}
		if (!redis_waker_wait(w, c->fd, timeout_ms))
			return 0;
		if (redisBufferRead(c) != REDIS_OK) {
			conn_error(c, "read");
			return -1;
		}
	}
}

int redis_reply_is_error(const redisReply *reply, const char *prefix)
{
	if (!reply || reply->type != REDIS_REPLY_ERROR)
		return 0;
	return !prefix || strncmp(reply->str, prefix, strlen(prefix)) == 0;
}

int redis_backoff_next(int current_ms, int min_ms, int max_ms)
{
	if (current_ms <= 0)
		return min_ms;
	return current_ms >= max_ms / 2 ? max_ms : current_ms * 2;
}
