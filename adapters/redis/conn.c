/* hiredis plumbing shared by the publisher, the consumer and the relay. */
#include "conn.h"
#include "util/errno_text.h"

#include <allocation/sys/ports.h>

#include <hiredis/sds.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int conn_error(redisContext *c, const char *what)
{
	return la_error_set(c && c->err == REDIS_ERR_OOM ? LA_ENOMEM : LA_EIO, "Redis %s: %s", what,
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

/* Connect fd to addr within timeout_ms; 0, or an errno value. */
static int connect_within(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL);
	int err = 0;
	socklen_t size = sizeof(err);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	if (connect(fd, addr, len) != 0) {
		struct pollfd p = {fd, POLLOUT, 0};
		int n;

		if (errno != EINPROGRESS)
			return errno;
		while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
			;
		if (n == 0)
			return ETIMEDOUT;
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0)
			return errno;
		if (err)
			return err;
	}
	return fcntl(fd, F_SETFL, flags) < 0 ? errno : 0;
}

/*
 * A socket connected to ep, or -1 with the error set. Made here and handed
 * to redisConnectFd because hiredis 0.14's own connect functions use what
 * malloc and strdup return unchecked: out of memory there aborts the process
 * (found by tests/faults/oom_redis_test.c).
 */
static int open_socket(const redis_endpoint *ep, int timeout_ms, const char *name)
{
	int fd = -1, err = 0;
	char why[LA__ERRNO_TEXT_SIZE];

	if (ep->unix_path) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(ep->unix_path) >= sizeof(sa.sun_path)) {
			la_error_set(LA_EINVAL, "Redis socket path too long: %s", ep->unix_path);
			return -1;
		}
		(void)snprintf(sa.sun_path, sizeof sa.sun_path, "%s", ep->unix_path); /* checked */
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			err = errno;
		else
			err = connect_within(fd, (struct sockaddr *)&sa, sizeof(sa), timeout_ms);
	} else {
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
		struct addrinfo *found = NULL;
		char port[16];
		int gai;

		(void)snprintf(port, sizeof(port), "%d", ep->port); /* fits */
		if ((gai = getaddrinfo(ep->host, port, &hints, &found)) != 0) {
			if (gai == EAI_MEMORY)
				la_error_set(LA_ENOMEM, "out of memory resolving %s", name);
			else
				la_error_set(LA_EIO, "cannot connect to Redis at %s: %s", name,
				             gai == EAI_SYSTEM ? la__errno_text(errno, why)
				                               : gai_strerror(gai));
			return -1;
		}
		err = ENOENT;
		for (struct addrinfo *a = found; a && err; a = a->ai_next) {
			if (fd >= 0)
				close(fd);
			fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
			err = fd < 0 ? errno
			             : connect_within(fd, a->ai_addr, a->ai_addrlen, timeout_ms);
		}
		freeaddrinfo(found);
		if (!err) {
			int on = 1;

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		}
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		la_error_set(err == ENOMEM ? LA_ENOMEM : LA_EIO,
		             "cannot connect to Redis at %s: %s", name, la__errno_text(err, why));
		return -1;
	}
	return fd;
}

int redis_conn_open(redisContext **out, const redis_endpoint *ep, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (suseconds_t)(timeout_ms % 1000) * 1000};
	redisContext *c;
	int rc = LA_OK, fd;
	char name[300];

	*out = NULL;
	redis_endpoint_name(ep, name, sizeof(name));
	if ((fd = open_socket(ep, timeout_ms, name)) < 0)
		return la_error_last_code();
	if (!(c = redisConnectFd(fd))) {
		close(fd);
		return la_error_set(LA_ENOMEM, "out of memory connecting to Redis at %s", name);
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

static void set_out_of_memory(redisContext *c)
{
	c->err = REDIS_ERR_OOM;
	(void)snprintf(c->errstr, sizeof(c->errstr), "Out of memory");
}

/* hiredis 0.14 replaces its output buffer by a new empty one after a write
 * without checking the allocation, and dereferences the NULL the next time
 * (found by oom_redis_test.c): such a context is failed before hiredis
 * touches it again. */
static int usable(redisContext *c)
{
	if (!c->err && !c->obuf)
		set_out_of_memory(c);
	return !c->err;
}

/* Write out what is queued: what redisBufferWrite does, but that function
 * allocates a new empty buffer once all is written and uses it unchecked. */
static int flush_output(redisContext *c)
{
	while (sdslen(c->obuf) > 0) {
		ssize_t n = write(c->fd, c->obuf, sdslen(c->obuf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->err = REDIS_ERR_IO;
			char why[LA__ERRNO_TEXT_SIZE];
			(void)snprintf(c->errstr, sizeof(c->errstr), "%s", /* may be cut */
			               n < 0 ? la__errno_text(errno, why) : "nothing written");
			return REDIS_ERR;
		}
		sdsrange(c->obuf, (int)n, -1);
	}
	return REDIS_OK;
}

int redis_conn_get_reply(redisContext *c, void **reply)
{
	*reply = NULL;
	if (!usable(c) || flush_output(c) != REDIS_OK)
		return REDIS_ERR;
	return redisGetReply(c, reply); /* nothing left to write: reads only */
}

int redis_conn_append(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	char *cmd = NULL;
	long long len;
	int rc;

	if (!usable(c))
		return REDIS_ERR;
	if ((len = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0) {
		set_out_of_memory(c);
		return REDIS_ERR;
	}
	rc = redisAppendFormattedCommand(c, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return rc;
}

redisReply *redis_conn_command(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	void *reply = NULL;

	if (redis_conn_append(c, argc, argv, lens) != REDIS_OK ||
	    redis_conn_get_reply(c, &reply) != REDIS_OK) {
		conn_error(c, argv[0]);
		return NULL;
	}
	return reply;
}

int redis_conn_send(redisContext *c, int argc, const char **argv, const size_t *lens)
{
	if (redis_conn_append(c, argc, argv, lens) != REDIS_OK || flush_output(c) != REDIS_OK)
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
