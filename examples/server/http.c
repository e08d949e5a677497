/*
 * HTTP over libmicrohttpd. The first call for a request passes it through
 * the gate; a refusal is sent only once the client has finished sending
 * its body (read and thrown away, up to DISCARD_MAX_BYTES), because a reply
 * sent while the client is still writing ends in a connection reset on the
 * client's side instead of the status. A request that passes has its body
 * gathered (at most BODY_MAX_BYTES, else 413), then is routed to its
 * handler on the same thread; one access-log line and the metrics are
 * recorded when the reply is done.
 */
#include "http.h"

#include "access.h"
#include "body.h"
#include "deadlines.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "routes.h"

#include <allocation/allocation.h>
#include <microhttpd.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define URL_MAX_BYTES     2048     /* longer: 414 */
#define HEADERS_MAX_BYTES 8192     /* all header lines: longer, 431 */
#define MHD_MEMORY_BYTES  65536    /* beyond: libmicrohttpd answers 414/431 */
#define DISCARD_MAX_BYTES 16777216 /* 16 MiB: body read only to be refused */
#define FD_RESERVE        64       /* descriptors kept for stores, files */

struct http_server {
	struct MHD_Daemon *daemon;
	struct deadlines *deadlines;
	atomic_int in_flight;
	atomic_int draining;
	int quiet;
	const char *token;
	struct host_policy hosts;
	unsigned int port;
	unsigned int connection_limit;
	unsigned int per_ip;
	char host[INET6_ADDRSTRLEN];
	int ipv6;
	int tls;
};

/* One request: its start time, route, body so far, a refusal waiting for
 * the body to be read, and a command waiting on the write pipeline. */
struct request_state {
	struct pipeline_job job; /* a command: handed to the pipeline */
	struct MHD_Connection *conn;
	atomic_int job_done; /* the writer filled job.result: answer it */
	int waiting;         /* suspended until job_done */
	int64_t start_us;
	const struct route *route;
	char *body;
	size_t length;
	size_t capacity;
	size_t discarded;
	int too_large;
	int refused; /* the reply in refusal goes out once the body is read */
	struct reply refusal;
	int begun;         /* on_request has seen it */
	size_t uri_length; /* the request line's URI, query string included */
	unsigned int status;
	const char *outcome;
	char method[16];
	char path[512];
	char remote[INET6_ADDRSTRLEN];
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
		dst[i] = (char)(c <= ' ' || c == 0x7f ? '?' : c);
	}
	dst[i] = '\0';
}

static void remote_address(struct MHD_Connection *conn, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	(void)snprintf(buf, size, "-");
	if (!info || !info->client_addr)
		return;
	const struct sockaddr *sa = info->client_addr;
	const void *raw = sa->sa_family == AF_INET6
	                      ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
	                      : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (!inet_ntop(sa->sa_family, raw, buf, (socklen_t)size))
		(void)snprintf(buf, size, "-");
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
	if (r->www_authenticate)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        r->www_authenticate);
	if (atomic_load(&server->draining))
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
	st->status = r->status;
	st->outcome = r->outcome;
	enum MHD_Result ret = MHD_queue_response(conn, r->status, response);
	MHD_destroy_response(response);
	return ret;
}

static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

/* Fill r when the request must be refused before its handler runs. */
static int gate(struct reply *r, struct MHD_Connection *conn, struct http_server *server,
                struct request_state *st, const char *url, const char *method)
{
	size_t headers = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &headers);
	if (st->uri_length > URL_MAX_BYTES) {
		reply_message(r, 414, "the URL is %zu bytes; the limit is %d", st->uri_length,
		              URL_MAX_BYTES);
		return 1;
	}
	if (headers > HEADERS_MAX_BYTES) {
		reply_message(r, 431, "the headers are %zu bytes; the limit is %d", headers,
		              HEADERS_MAX_BYTES);
		return 1;
	}
	if (!access_host_ok(&server->hosts, header(conn, MHD_HTTP_HEADER_HOST))) {
		reply_message(r, 421,
		              "this server does not answer for the host '%.100s' (see "
		              "--allowed-host)",
		              header(conn, MHD_HTTP_HEADER_HOST));
		return 1;
	}
	if (server->token && !(st->route && st->route->public) &&
	    !access_bearer_ok(header(conn, MHD_HTTP_HEADER_AUTHORIZATION), server->token)) {
		reply_message(r, 401,
		              header(conn, MHD_HTTP_HEADER_AUTHORIZATION)
		                  ? "the bearer token is wrong"
		                  : "authentication required: send Authorization: Bearer <token>");
		r->www_authenticate = header(conn, MHD_HTTP_HEADER_AUTHORIZATION)
		                          ? "Bearer realm=\"allocation\", error=\"invalid_token\""
		                          : "Bearer realm=\"allocation\"";
		return 1;
	}
	if (!st->route) {
		reply_message(r, 404, "no such endpoint: %s %s", method, url);
		return 1;
	}
	if (!route_allows(st->route, method)) {
		reply_message(r, 405, "method %s not allowed on %s (allowed: %s)", method, url,
		              st->route->allow);
		r->allow = st->route->allow;
		return 1;
	}
	if (st->route->has_body && !access_is_json(header(conn, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		const char *type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (type)
			reply_message(r, 415,
			              "the body must be sent as Content-Type: application/json, "
			              "not %.100s",
			              type);
		else
			reply_message(r, 415,
			              "the body must be sent with Content-Type: "
			              "application/json (none was given)");
		return 1;
	}
	const char *length = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && st->route->has_body) {
		unsigned long long n = strtoull(length, NULL, 10);
		if (n > BODY_MAX_BYTES) {
			reply_message(r, 413, "request body is %llu bytes; the limit is %d bytes",
			              n, BODY_MAX_BYTES);
			return 1;
		}
		st->capacity = (size_t)n; /* exact: no realloc for the usual case */
	}
	return 0;
}

/* Will the client send a body we must read before answering? Not when it
 * waits for "100 Continue", nor when it announced more than we discard. */
static int body_follows(struct MHD_Connection *conn)
{
	const char *expect = header(conn, MHD_HTTP_HEADER_EXPECT);
	if (expect && strcasecmp(expect, "100-continue") == 0)
		return 0;
	const char *length = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length) {
		unsigned long long n = strtoull(length, NULL, 10);
		return n > 0 && n <= DISCARD_MAX_BYTES;
	}
	const char *encoding = header(conn, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return encoding && strcasecmp(encoding, "chunked") == 0;
}

/* First call for a request: the gate, and whether to read a body. */
static enum MHD_Result begin_request(struct MHD_Connection *conn, struct http_server *server,
                                     struct request_state *st, const char *url, const char *method)
{
	st->route = route_find(url);
	struct reply r = {0};
	if (!gate(&r, conn, server, st, url, method))
		return MHD_YES;
	if (!body_follows(conn))
		return queue(conn, server, st, &r);
	st->refusal = r;
	st->refused = 1;
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

/* The writer's thread: the result is in; wake the connection up. */
static void job_done(struct pipeline_job *job)
{
	struct request_state *st = job->context;
	atomic_store(&st->job_done, 1);
	MHD_resume_connection(st->conn);
}

/* A command: built here, run by the write pipeline, answered once its unit
 * of work has committed (the connection sleeps meanwhile). */
static enum MHD_Result submit(struct MHD_Connection *conn, struct http_server *server,
                              struct request_state *st, const struct request *req)
{
	struct reply r = {0};
	la_message *command = st->route->build(&r, req);
	if (!command) {
		r.outcome = "invalid"; /* refused before a command was built */
		return queue(conn, server, st, &r);
	}
	st->job.command = command;
	st->job.done = job_done;
	st->job.context = st;
	st->conn = conn;
	/* One client, one request at a time: run it here when its writer is
	 * idle, saving two thread wake-ups (a batch of one waits for no
	 * company). Only with a single connection open: with more, this
	 * thread's other connections would go unread until the commit (and
	 * wait behind it one by one instead of batching). */
	if (atomic_load(&server->in_flight) == 1 && deadlines_open(server->deadlines) == 1 &&
	    pipeline_run_if_idle(&st->job)) {
		st->route->respond(&r, &st->job.result);
		return queue(conn, server, st, &r);
	}
	st->waiting = 1;
	/* Suspended before it is queued: the writer may answer at once. */
	MHD_suspend_connection(conn);
	if (pipeline_submit(&st->job) != LA_OK) {
		la_message_free(command);
		st->job.command = NULL;
		st->job.result.status = LA_ESTATE; /* answered 503 once resumed */
		job_done(&st->job);
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http_server *server = cls;
	struct request_state *st = *con_cls;
	if (!st)
		return MHD_NO; /* out of memory in on_uri */
	if (!st->begun) {
		/* Counted before draining is read, as http_drain sets draining
		 * before it counts: a request either finishes before the writers
		 * stop, or is never begun. */
		atomic_fetch_add(&server->in_flight, 1);
		if (atomic_load(&server->draining)) {
			/* A kept-alive connection's next request, after shutdown
			 * began: close it unanswered and untouched, so the client
			 * may send it elsewhere, rather than refuse it with a 503. */
			atomic_fetch_sub(&server->in_flight, 1);
			return MHD_NO;
		}
		st->begun = 1;
		copy_printable(st->method, sizeof st->method, method);
		copy_printable(st->path, sizeof st->path, url);
		remote_address(conn, st->remote, sizeof st->remote);
		*con_cls = st;
		metrics_in_flight(1);
		return begin_request(conn, server, st, url, method);
	}
	if (st->status) /* already answered: drop any body */ {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (st->refused)
			st->discarded += *upload_data_size;
		else
			append_body(st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct reply r = {0};
	if (st->waiting) { /* resumed: the writer has committed (or failed) */
		if (!atomic_load(&st->job_done))
			return MHD_YES;
		st->waiting = 0;
		if (st->job.result.status == LA_ESTATE) {
			reply_message(&r, 503, "the server is stopping; try another instance");
			r.outcome = "failed";
		} else {
			st->route->respond(&r, &st->job.result);
		}
		return queue(conn, server, st, &r);
	}
	deadlines_pause(conn);
	if (st->refused)
		return queue(conn, server, st, &st->refusal);
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
	if (st->route->build)
		return submit(conn, server, st, &req);
	st->route->handler(&r, &req);
	return queue(conn, server, st, &r);
}

/* libmicrohttpd's messages, but for the one that says a request was closed
 * unanswered, which while draining is on_request's doing, not a fault. */
static void log_http(void *cls, const char *fmt, va_list ap)
{
	const struct http_server *server = cls;
	if (atomic_load(&server->draining) &&
	    strncmp(fmt, "Application reported internal error", 35) == 0)
		return;
	log_http_library(NULL, fmt, ap);
}

/* A new connection: refused (closed unanswered) once shutdown has begun. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addr_len)
{
	(void)addr;
	(void)addr_len;
	const struct http_server *server = cls;
	return atomic_load(&server->draining) ? MHD_NO : MHD_YES;
}

/* The first callback of a request, with the raw URI: its state starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request_state *st = calloc(1, sizeof *st);
	if (st) {
		st->start_us = now_us();
		st->uri_length = strlen(uri);
	}
	return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_server *server = cls;
	struct request_state *st = *con_cls;
	if (!st)
		return;
	if (!st->begun) { /* cut off, or refused by libmicrohttpd, before its headers ended */
		free(st);
		*con_cls = NULL;
		return;
	}
	int64_t duration = now_us() - st->start_us;
	unsigned int route_index = st->route ? st->route->index : ROUTE_COUNT;
	metrics_request(route_index, st->status, duration);
	if (st->outcome)
		metrics_command(route_index, st->outcome);
	if (!server->quiet) {
		struct access_entry entry = {st->remote, st->method, st->path,
		                             st->status, duration,   st->outcome};
		log_access(&entry);
	}
	reply_release(&st->refusal);
	command_result_release(&st->job.result);
	free(st->body);
	free(st);
	*con_cls = NULL;
	deadlines_restart(conn);
	metrics_in_flight(-1);
	atomic_fetch_sub(&server->in_flight, 1);
}

/* "host:port", "[v6]:port", ":port" → a socket address. */
static int resolve(struct sockaddr_storage *out, socklen_t *out_len, const char *listen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon[1] == '\0') {
		log_message(LA_LOG_ERROR, "--listen must be HOST:PORT or :PORT, not '%s'", listen);
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
		log_message(LA_LOG_ERROR, "bad port in --listen '%s'", listen);
		return -1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(n ? host : NULL, colon + 1, &hints, &res);
	if (rc != 0 || !res) {
		log_message(LA_LOG_ERROR, "cannot resolve '%s': %s", host,
		            rc != 0 ? gai_strerror(rc) : "no address");
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

/* As many connections as the process may open files, less a reserve for
 * the stores and the rest (the soft limit is raised to the hard one). */
static unsigned int connection_limit(unsigned int threads)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
		return 1000;
	if (lim.rlim_cur < lim.rlim_max) {
		struct rlimit raised = {lim.rlim_max, lim.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			lim = raised;
	}
	rlim_t reserve = FD_RESERVE + 4 * (rlim_t)threads;
	rlim_t n = lim.rlim_cur > reserve + 16 ? lim.rlim_cur - reserve : 16;
	return n > 1000000 ? 1000000u : (unsigned int)n;
}

static void bound_address(struct http_server *server, const struct sockaddr_storage *addr)
{
	server->ipv6 = addr->ss_family == AF_INET6;
	const void *raw = server->ipv6
	                      ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
	                      : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;
	if (!inet_ntop(addr->ss_family, raw, server->host, sizeof server->host))
		strcpy(server->host, "?");
	server->hosts.bound = server->host;
	server->hosts.bound_any =
	    strcmp(server->host, "0.0.0.0") == 0 || strcmp(server->host, "::") == 0;
	server->hosts.bound_loopback = access_is_loopback(server->host);
}

struct http_server *http_start(const struct http_config *config)
{
	struct sockaddr_storage addr;
	socklen_t addr_len;
	if (resolve(&addr, &addr_len, config->listen) != 0)
		return NULL;
	if (config->tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		log_message(LA_LOG_ERROR, "--tls-cert: this libmicrohttpd has no TLS support");
		return NULL;
	}
	struct http_server *server = calloc(1, sizeof *server);
	if (!server)
		return NULL;
	server->quiet = config->quiet;
	server->token = config->token;
	server->hosts.allowed = config->allowed_hosts;
	server->tls = config->tls_cert != NULL;
	server->per_ip = config->per_ip;
	server->connection_limit = connection_limit(config->threads);
	bound_address(server, &addr);
	server->deadlines = deadlines_start(config->request_timeout);
	if (!server->deadlines) {
		free(server);
		return NULL;
	}
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO |
	                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (server->tls)
		flags |= MHD_USE_TLS;
	uint16_t port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port
	                                                 : ((struct sockaddr_in *)&addr)->sin_port);
	struct MHD_OptionItem options[20];
	size_t n = 0;
	options[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &addr};
	options[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, server};
	options[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, NULL};
	options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
	                                       (intptr_t)deadlines_notify, server->deadlines};
	options[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, config->request_timeout, NULL};
	options[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
	options[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, server->connection_limit, NULL};
	options[n++] =
	    (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, MHD_MEMORY_BYTES, NULL};
	if (config->per_ip)
		options[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		                                       config->per_ip, NULL};
	/* Only for a real pool: libmicrohttpd warns about a size of 0 or 1. */
	if (config->threads > 1)
		options[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, config->threads, NULL};
	if (server->tls) {
		options[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)config->tls_cert};
		options[n++] =
		    (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)config->tls_key};
	}
	options[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	/* The logger first, so that no option's message goes to stderr directly. */
	server->daemon = MHD_start_daemon(flags, port, on_accept, server, on_request, server,
	                                  MHD_OPTION_EXTERNAL_LOGGER, log_http, server,
	                                  MHD_OPTION_ARRAY, options, MHD_OPTION_END);
	if (!server->daemon) {
		log_message(LA_LOG_ERROR, "cannot listen on %s%s", config->listen,
		            server->tls ? " (or the TLS certificate and key do not fit)" : "");
		deadlines_stop(server->deadlines);
		free(server);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
	    MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
	server->port = info ? info->port : port;
	return server;
}

void http_url(const struct http_server *server, char *buf, size_t size)
{
	const char *scheme = server->tls ? "https" : "http";
	(void)snprintf(buf, size, server->ipv6 ? "%s://[%s]:%u/" : "%s://%s:%u/", scheme,
	               server->host, server->port);
}

int http_is_loopback(const struct http_server *server)
{
	return server->hosts.bound_loopback;
}

void http_limits(const struct http_server *server, unsigned int *total, unsigned int *per_ip)
{
	*total = server->connection_limit;
	*per_ip = server->per_ip;
}

static void wait_in_flight(struct http_server *server, unsigned int grace_ms)
{
	int64_t deadline = now_us() + (int64_t)grace_ms * 1000;
	while (atomic_load(&server->in_flight) > 0 && now_us() < deadline) {
		struct timespec pause = {0, 5000000}; /* 5 ms */
		nanosleep(&pause, NULL);
	}
}

void http_drain(struct http_server *server, unsigned int grace_ms)
{
	if (!server || atomic_exchange(&server->draining, 1))
		return;
	/* From now on new connections are closed as soon as they are accepted
	 * (on_accept). Not MHD_quiesce_daemon: on an epoll daemon with its own
	 * threads it races them to take the listening socket out of their
	 * epoll sets, and the loser aborts the process (libmicrohttpd 0.9.75).
	 * Requests already read finish and are answered; idle keep-alive
	 * connections are closed by MHD_stop_daemon, with the listening socket. */
	wait_in_flight(server, grace_ms);
}

void http_stop(struct http_server *server, unsigned int grace_ms)
{
	if (!server)
		return;
	http_drain(server, 0);
	wait_in_flight(server, grace_ms);
	MHD_stop_daemon(server->daemon);
	deadlines_stop(server->deadlines);
	free(server);
}
