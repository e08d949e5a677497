/*
 * A TCP proxy in front of a real redis-server that answers one command
 * itself with a canned reply — what an older Redis (6.2 sends a nil for an
 * entry deleted while pending) or a misbehaving server could send — and
 * passes everything else through byte for byte. It reads the client's
 * commands as RESP arrays of bulk strings, which is all hiredis sends.
 */
#define _POSIX_C_SOURCE 200809L
#include "redis_test_support.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_PAIRS 8
#define PROXY_BUF   65536

typedef struct pair {
	int client, upstream; /* -1 when unused */
	char in[PROXY_BUF];   /* the client's bytes not yet forwarded */
	size_t in_len;
} pair;

struct test_redis_proxy {
	int listener, stop_pipe[2];
	int upstream_port;
	char url[64];
	char command[32], key[64];
	char *reply;
	pthread_t thread;
	pair pairs[PROXY_PAIRS];
	atomic_int connections, intercepted;
};

static void write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n <= 0)
			return; /* the peer went away: the read side notices */
		data += n;
		len -= (size_t)n;
	}
}

static int connect_upstream(int port)
{
	struct sockaddr_in addr = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void close_pair(pair *p)
{
	if (p->client >= 0)
		close(p->client);
	if (p->upstream >= 0)
		close(p->upstream);
	p->client = p->upstream = -1;
	p->in_len = 0;
}

/* "<digits>\r\n" at *at (after a type byte): the number, *at moved past it;
 * -1 when the line is not complete yet. */
static long read_number(const char *buf, size_t len, size_t *at)
{
	const char *end = memchr(buf + *at, '\r', len - *at);
	long n;

	if (!end || (size_t)(end - buf) + 1 >= len)
		return -1;
	n = strtol(buf + *at, NULL, 10);
	*at = (size_t)(end - buf) + 2;
	return n;
}

/* Length of the first complete command in buf (0: incomplete); its first two
 * arguments into name and key. */
static size_t next_command(const char *buf, size_t len, char *name, size_t name_size, char *key,
                           size_t key_size)
{
	size_t at = 1;
	long argc;

	name[0] = key[0] = '\0';
	if (len == 0 || buf[0] != '*' || (argc = read_number(buf, len, &at)) < 0)
		return 0;
	for (long i = 0; i < argc; i++) {
		long arg_len;

		if (at >= len || buf[at] != '$')
			return 0;
		at++;
		if ((arg_len = read_number(buf, len, &at)) < 0 || at + (size_t)arg_len + 2 > len)
			return 0;
		if (i < 2) {
			char *slot = i == 0 ? name : key;
			size_t size = i == 0 ? name_size : key_size;

			snprintf(slot, size, "%.*s", (int)arg_len, buf + at);
		}
		at += (size_t)arg_len + 2;
	}
	return at;
}

/* Forward the client's complete commands, answering the intercepted one. */
static void from_client(test_redis_proxy *x, pair *p)
{
	ssize_t n = read(p->client, p->in + p->in_len, sizeof(p->in) - p->in_len);
	size_t used;
	char name[32], key[64];

	if (n <= 0) {
		close_pair(p);
		return;
	}
	p->in_len += (size_t)n;
	while ((used = next_command(p->in, p->in_len, name, sizeof(name), key, sizeof(key))) > 0) {
		if (strcasecmp(name, x->command) == 0 && strcmp(key, x->key) == 0) {
			atomic_fetch_add(&x->intercepted, 1);
			write_all(p->client, x->reply, strlen(x->reply));
		} else {
			write_all(p->upstream, p->in, used);
		}
		memmove(p->in, p->in + used, p->in_len - used);
		p->in_len -= used;
	}
}

static void from_upstream(pair *p)
{
	char buf[PROXY_BUF];
	ssize_t n = read(p->upstream, buf, sizeof(buf));

	if (n <= 0)
		close_pair(p);
	else
		write_all(p->client, buf, (size_t)n);
}

static void accept_client(test_redis_proxy *x)
{
	int client = accept(x->listener, NULL, NULL);

	if (client < 0)
		return;
	for (int i = 0; i < PROXY_PAIRS; i++) {
		if (x->pairs[i].client < 0) {
			x->pairs[i].client = client;
			x->pairs[i].upstream = connect_upstream(x->upstream_port);
			if (x->pairs[i].upstream < 0)
				close_pair(&x->pairs[i]);
			else
				atomic_fetch_add(&x->connections, 1);
			return;
		}
	}
	close(client);
}

static void *proxy_main(void *arg)
{
	test_redis_proxy *x = arg;

	for (;;) {
		struct pollfd fds[2 + 2 * PROXY_PAIRS];
		int n = 0;

		fds[n++] = (struct pollfd){x->stop_pipe[0], POLLIN, 0};
		fds[n++] = (struct pollfd){x->listener, POLLIN, 0};
		for (int i = 0; i < PROXY_PAIRS; i++) {
			fds[n++] = (struct pollfd){x->pairs[i].client, POLLIN, 0};
			fds[n++] = (struct pollfd){x->pairs[i].upstream, POLLIN, 0};
		}
		if (poll(fds, (nfds_t)n, 1000) < 0 || fds[0].revents)
			break;
		if (fds[1].revents & POLLIN)
			accept_client(x);
		for (int i = 0; i < PROXY_PAIRS; i++) {
			pair *p = &x->pairs[i];

			if (p->client >= 0 && fds[2 + 2 * i].revents)
				from_client(x, p);
			if (p->upstream >= 0 && fds[3 + 2 * i].revents)
				from_upstream(p);
		}
	}
	for (int i = 0; i < PROXY_PAIRS; i++)
		close_pair(&x->pairs[i]);
	return NULL;
}

test_redis_proxy *test_redis_proxy_start(const char *upstream_url, const char *command,
                                         const char *key, const char *reply)
{
	test_redis_proxy *x = calloc(1, sizeof(*x));
	struct sockaddr_in addr = {0};
	socklen_t addr_len = sizeof(addr);
	const char *port = strrchr(upstream_url, ':');

	cr_assert_not_null(x);
	cr_assert_not_null(port, "no port in %s", upstream_url);
	x->upstream_port = (int)strtol(port + 1, NULL, 10);
	snprintf(x->command, sizeof(x->command), "%s", command);
	snprintf(x->key, sizeof(x->key), "%s", key);
	x->reply = strdup(reply);
	for (int i = 0; i < PROXY_PAIRS; i++)
		x->pairs[i].client = x->pairs[i].upstream = -1;
	atomic_init(&x->connections, 0);
	atomic_init(&x->intercepted, 0);
	x->listener = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(x->listener >= 0 && x->reply);
	cr_assert_eq(bind(x->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	cr_assert_eq(listen(x->listener, 16), 0);
	cr_assert_eq(getsockname(x->listener, (struct sockaddr *)&addr, &addr_len), 0);
	snprintf(x->url, sizeof(x->url), "redis://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
	cr_assert_eq(pipe(x->stop_pipe), 0);
	cr_assert_eq(pthread_create(&x->thread, NULL, proxy_main, x), 0);
	return x;
}

const char *test_redis_proxy_url(const test_redis_proxy *x)
{
	return x->url;
}

int test_redis_proxy_connections(test_redis_proxy *x)
{
	return atomic_load(&x->connections);
}

int test_redis_proxy_intercepted(test_redis_proxy *x)
{
	return atomic_load(&x->intercepted);
}

void test_redis_proxy_stop(test_redis_proxy *x)
{
	if (!x)
		return;
	write_all(x->stop_pipe[1], "x", 1);
	pthread_join(x->thread, NULL);
	close(x->stop_pipe[0]);
	close(x->stop_pipe[1]);
	close(x->listener);
	free(x->reply);
	free(x);
}
