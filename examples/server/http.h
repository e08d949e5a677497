/*
 * allocation-server — the HTTP front: libmicrohttpd with a pool of worker
 * threads (epoll), one request at a time per thread, each thread with its
 * own bus and store (workers.h). Requests pass the gate (size limits, Host,
 * token, route, content type) before any handler runs.
 */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stddef.h>

struct http_config {
	const char *listen;           /* "127.0.0.1:5005", "[::1]:0", ":8080" */
	unsigned int threads;         /* worker threads */
	int quiet;                    /* no access log */
	const char *token;            /* bearer token, or NULL: no authentication */
	const char *allowed_hosts;    /* comma list of extra Host names, or NULL */
	const char *tls_cert;         /* PEM text (not a path), or NULL: plain HTTP */
	const char *tls_key;          /* PEM text */
	unsigned int per_ip;          /* connections per client address, 0: no limit */
	unsigned int request_timeout; /* seconds for a whole request */
};

struct http_server;

/* Start listening. NULL on failure, after logging why. */
struct http_server *http_start(const struct http_config *config);

/* "http://HOST:PORT/" (or https) of the bound address. */
void http_url(const struct http_server *server, char *buf, size_t size);

/* Non-zero when bound to loopback only. */
int http_is_loopback(const struct http_server *server);

/* Connections accepted at once at most, and per client address. */
void http_limits(const struct http_server *server, unsigned int *total, unsigned int *per_ip);

/* Stop accepting connections and wait up to grace_ms for the requests in
 * flight (commands waiting on the write pipeline among them). */
void http_drain(struct http_server *server, unsigned int grace_ms);

/* Wait up to grace_ms more for the requests in flight, then stop. Call once
 * the write pipeline has stopped: no request is waiting on it then. */
void http_stop(struct http_server *server, unsigned int grace_ms);

#endif
