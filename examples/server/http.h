/*
 * allocation-server — the HTTP front: libmicrohttpd with a pool of worker
 * threads (epoll), one request at a time per thread, each thread with its
 * own bus and store (workers.h).
 */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stddef.h>

struct http_server;

/* Start listening on host:port ("127.0.0.1:5005", "[::1]:0", ":8080").
 * NULL on failure, with a message on stderr. */
struct http_server *http_start(const char *listen, unsigned int threads, int quiet);

/* The bound port (useful with port 0). */
unsigned int http_port(const struct http_server *server);

/* "http://HOST:PORT/" of the bound address. */
void http_url(const struct http_server *server, char *buf, size_t size);

/* Stop accepting, wait up to grace_ms for the requests in flight, stop. */
void http_stop(struct http_server *server, unsigned int grace_ms);

#endif
