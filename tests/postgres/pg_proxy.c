/*
 * A TCP proxy in front of the fixture's PostgreSQL that can lose the
 * connection at the worst moment: once armed, it forwards the client's bytes
 * that carry a COMMIT, lets the server answer (so the commit is done), and
 * then closes the connection instead of passing the answer on. The client
 * sent COMMIT and never hears back: the outcome, for it, is unknown.
 */
#define _POSIX_C_SOURCE 200809L
#include "pg_test.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROXY_BUF 65536

struct pg_proxy {
	int listener, stop_pipe[2];
	int upstream_port, port;
	int client, upstream; /* one connection at a time; -1 when none */
	pthread_t thread;
	atomic_int armed, drops, connections;
};

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void close_both(struct pg_proxy *x)
{
	if (x->client >= 0)
		close(x->client);
	if (x->upstream >= 0)
		close(x->upstream);
	x->client = x->upstream = -1;
}

static int contains(const char *buf, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

/* The server's answer to the COMMIT, read and dropped for up to ms. */
static void swallow_answer(int fd, int ms)
{
	char buf[PROXY_BUF];
	struct pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, ms) > 0 && read(fd, buf, sizeof buf) > 0)
		ms = 100; /* keep reading while it keeps talking */
}

static void from_client(struct pg_proxy *x)
{
	char buf[PROXY_BUF];
	ssize_t n = read(x->client, buf, sizeof buf);
	if (n <= 0 || write_all(x->upstream, buf, (size_t)n) != 0) {
		close_both(x);
		return;
	}
	/* "COMMIT\0": the query text of the Parse message libpq sends for it */
	if (atomic_load(&x->armed) && contains(buf, (size_t)n, "COMMIT", sizeof "COMMIT")) {
		atomic_store(&x->armed, 0);
		swallow_answer(x->upstream, 2000);
		atomic_fetch_add(&x->drops, 1);
		close_both(x);
	}
}

static void from_upstream(struct pg_proxy *x)
{
	char buf[PROXY_BUF];
	ssize_t n = read(x->upstream, buf, sizeof buf);
	if (n <= 0 || write_all(x->client, buf, (size_t)n) != 0)
		close_both(x);
}

static void accept_client(struct pg_proxy *x)
{
	int client = accept(x->listener, NULL, NULL);
	if (client < 0)
		return;
	if (x->client >= 0) { /* one at a time */
		close(client);
		return;
	}
	struct sockaddr_in addr = {0};
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)x->upstream_port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int upstream = socket(AF_INET, SOCK_STREAM, 0);
	if (upstream < 0 || connect(upstream, (struct sockaddr *)&addr, sizeof addr) != 0) {
		if (upstream >= 0)
			close(upstream);
		close(client);
		return;
	}
	x->client = client;
	x->upstream = upstream;
	atomic_fetch_add(&x->connections, 1);
}

static void *proxy_main(void *arg)
{
	struct pg_proxy *x = arg;
	for (;;) {
		struct pollfd fds[4] = {{x->stop_pipe[0], POLLIN, 0},
		                        {x->listener, POLLIN, 0},
		                        {x->client, POLLIN, 0},
		                        {x->upstream, POLLIN, 0}};
		if (poll(fds, 4, 1000) < 0 || fds[0].revents)
			break;
		if (fds[1].revents & POLLIN)
			accept_client(x);
		if (x->client >= 0 && fds[2].revents)
			from_client(x);
		if (x->upstream >= 0 && fds[3].revents)
			from_upstream(x);
	}
	close_both(x);
	return NULL;
}

struct pg_proxy *pg_proxy_start(int upstream_port)
{
	struct pg_proxy *x = calloc(1, sizeof *x);
	cr_assert_not_null(x);
	x->upstream_port = upstream_port;
	x->client = x->upstream = -1;
	atomic_init(&x->armed, 0);
	atomic_init(&x->drops, 0);
	atomic_init(&x->connections, 0);
	x->listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {0};
	socklen_t len = sizeof addr;
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(x->listener >= 0);
	cr_assert_eq(bind(x->listener, (struct sockaddr *)&addr, sizeof addr), 0);
	cr_assert_eq(listen(x->listener, 4), 0);
	cr_assert_eq(getsockname(x->listener, (struct sockaddr *)&addr, &len), 0);
	cr_assert_eq(pipe(x->stop_pipe), 0);
	cr_assert_eq(pthread_create(&x->thread, NULL, proxy_main, x), 0);
	x->port = ntohs(addr.sin_port);
	return x;
}

int pg_proxy_port(const struct pg_proxy *x)
{
	return x->port;
}

void pg_proxy_arm(struct pg_proxy *x)
{
	atomic_store(&x->armed, 1);
}

int pg_proxy_drops(struct pg_proxy *x)
{
	return atomic_load(&x->drops);
}

int pg_proxy_connections(struct pg_proxy *x)
{
	return atomic_load(&x->connections);
}

void pg_proxy_stop(struct pg_proxy *x)
{
	if (!x)
		return;
	cr_assert_eq(write_all(x->stop_pipe[1], "x", 1), 0);
	pthread_join(x->thread, NULL);
	close(x->stop_pipe[0]);
	close(x->stop_pipe[1]);
	close(x->listener);
	free(x);
}
