/*
 * HTTP over libmicrohttpd. A request's body is gathered (at most
 * BODY_MAX_BYTES, else 413), then routed to its handler on the same thread;
 * one log line per request goes to stderr when it completes.
 */
#include "http.h"

#include "body.h"
#include "routes.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct http_server {
	struct MHD_Daemon *daemon;
	atomic_int in_flight;
	atomic_int draining;
	int quiet;
	unsigned int port;
	char host[INET6_ADDRSTRLEN];
	int ipv6;
};

/* One request: its start time, route and body so far. */
struct request_state {
	int64_t start_us;
	const struct route *route;
	char *body;
	size_t length;
	size_t capacity;
	int too_large;
	unsigned int status;
	char method[16];
	char path[512];
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Copy for the log line: control characters and spaces become '?'. */
static void copy_printable(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c <= ' ' || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

static void log_request(const struct request_state *st)
{
	char line[700];
	int n = snprintf(line, sizeof line, "%s %s %u %lldus\n", st->method, st->path, st->status,
	                 (long long)(now_us() - st->start_us));
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	/* One write per line, so lines from several threads never interleave. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing sensible to do when stderr is gone */
	}
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct http_server *server,
                             struct request_state *st, struct reply *r)
{
	struct MHD_Response *response;
	if (r->body_static)
		response =
		    MHD_create_response_from_buffer(r->length, r->body, MHD_RESPMEM_PERSISTENT);
	else {
		response =
		    MHD_create_response_from_buffer(r->length, r->body, MHD_RESPMEM_MUST_FREE);
		if (response)
			r->body = NULL; /* MHD frees it */
	}
	reply_release(r);
	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (atomic_load(&server->draining))
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	st->status = r->status;
	enum MHD_Result ret = MHD_queue_response(conn, r->status, response);
	MHD_destroy_response(response);
	return ret;
}

static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* First call for a request: route it and decide whether to read a body. */
static enum MHD_Result begin_request(struct MHD_Connection *conn, struct http_server *server,
                                     struct request_state *st, const char *url, const char *method)
{
	struct reply r = {0};
	st->route = route_find(url);
	if (!st->route) {
		reply_message(&r, 404, "no such endpoint: %s %s", method, url);
		return queue(conn, server, st, &r);
	}
	if (!route_allows(st->route, method)) {
		reply_message(&r, 405, "method %s not allowed on %s (allowed: %s)", method, url,
		              st->route->allow);
		r.allow = st->route->allow;
		return queue(conn, server, st, &r);
	}
	const char *length =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && st->route->has_body) {
		unsigned long long n = strtoull(length, NULL, 10);
		if (n > BODY_MAX_BYTES) {
			reply_message(&r, 413, "request body is %llu bytes; the limit is %d bytes",
			              n, BODY_MAX_BYTES);
			return queue(conn, server, st, &r);
		}
		st->capacity = (size_t)n; /* exact: no realloc for the usual case */
	}
	return MHD_YES;
}

static void append_body(struct request_state *st, const char *data, size_t size)
{
	if (st->too_large)
		return;
	if (st->length + size > BODY_MAX_BYTES) {
		st->too_large = 1;
		return;
	}
	if (!st->body || st->length + size > st->capacity) {
		size_t cap = st->length + size;
		if (cap < st->capacity)
			cap = st->capacity;
		if (cap < 2 * st->length)
			cap = 2 * st->length;
		char *grown = realloc(st->body, cap);
		if (!grown) {
			st->too_large = 1;
			return;
		}
		st->body = grown;
		st->capacity = cap;
	}
	memcpy(st->body + st->length, data, size);
	st->length += size;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http_server *server = cls;
	struct request_state *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		st->start_us = now_us();
		copy_printable(st->method, sizeof st->method, method);
		copy_printable(st->path, sizeof st->path, url);
		*con_cls = st;
		atomic_fetch_add(&server->in_flight, 1);
		return begin_request(conn, server, st, url, method);
	}
	if (st->status) /* already answered (404, 405, 413): drop any body */ {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		append_body(st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct reply r = {0};
	if (st->too_large) {
		reply_message(&r, 413, "request body is over the limit of %d bytes",
		              BODY_MAX_BYTES);
		return queue(conn, server, st, &r);
	}
	struct request req = {
	    .path = url,
	    .body = st->body ? st->body : "",
	    .body_length = st->length,
	    .query = query_arg,
	    .query_ctx = conn,
	};
	st->route->handler(&r, &req);
	return queue(conn, server, st, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *server = cls;
	struct request_state *st = *con_cls;
	if (!st)
		return;
	if (!server->quiet)
		log_request(st);
	free(st->body);
	free(st);
	*con_cls = NULL;
	atomic_fetch_sub(&server->in_flight, 1);
}

/* "host:port", "[v6]:port", ":port" → a socket address. */
static int resolve(struct sockaddr_storage *out, socklen_t *out_len, const char *listen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon[1] == '\0') {
		fprintf(stderr, "allocation-server: --listen must be HOST:PORT, not '%s'\n",
		        listen);
		return -1;
	}
	size_t n = (size_t)(colon - listen);
	const char *h = listen;
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= sizeof host)
		n = sizeof host - 1;
	memcpy(host, h, n);
	host[n] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535) {
		fprintf(stderr, "allocation-server: bad port in --listen '%s'\n", listen);
		return -1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(n ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "allocation-server: cannot resolve '%s': %s\n", host,
		        gai_strerror(rc));
		return -1;
	}
	const struct addrinfo *pick = res; /* prefer IPv4, as 127.0.0.1 is the default */
	for (const struct addrinfo *a = res; a; a = a->ai_next)
		if (a->ai_family == AF_INET) {
			pick = a;
			break;
		}
	memcpy(out, pick->ai_addr, pick->ai_addrlen);
	*out_len = pick->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct http_server *http_start(const char *listen, unsigned int threads, int quiet)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	if (resolve(&addr, &addr_len, listen) != 0)
		return NULL;
	struct http_server *server = calloc(1, sizeof *server);
	if (!server)
		return NULL;
	server->quiet = quiet;
	unsigned int flags =
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
	                                                 : ((struct sockaddr_in *)&addr)->sin_port);
	server->daemon = MHD_start_daemon(
	    flags, port, NULL, NULL, on_request, server, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, server, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)60, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024, MHD_OPTION_END);
	if (!server->daemon) {
		fprintf(stderr, "allocation-server: cannot listen on %s\n", listen);
		free(server);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->port = info ? info->port : port;
	server->ipv6 = addr.ss_family == AF_INET6;
	const void *raw = server->ipv6 ? (const void *)&((struct sockaddr_in6 *)&addr)->sin6_addr
	                               : (const void *)&((struct sockaddr_in *)&addr)->sin_addr;
	if (!inet_ntop(addr.ss_family, raw, server->host, sizeof server->host))
		strcpy(server->host, "?");
	return server;
}

unsigned int http_port(const struct http_server *server)
{
	return server->port;
}

void http_url(const struct http_server *server, char *buf, size_t size)
{
	snprintf(buf, size, server->ipv6 ? "http://[%s]:%u/" : "http://%s:%u/", server->host,
	         server->port);
}

void http_stop(struct http_server *server, unsigned int grace_ms)
{
	if (!server)
		return;
	atomic_store(&server->draining, 1);
	MHD_socket fd = MHD_quiesce_daemon(server->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* Requests already read finish and are answered; idle keep-alive
	 * connections are closed by MHD_stop_daemon. */
	int64_t deadline = now_us() + (int64_t)grace_ms * 1000;
	while (atomic_load(&server->in_flight) > 0 && now_us() < deadline) {
		struct timespec pause = {0, 5 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	MHD_stop_daemon(server->daemon);
	free(server);
}
