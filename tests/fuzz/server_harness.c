#include "server_harness.h"

#include "handlers.h"
#include "pipeline.h"
#include "routes.h"
#include "workers.h"

#include <allocation/allocation.h>
#include <jansson.h>
#include <microhttpd.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_MAX 32

/* A request target's copy, cut into the path and the decoded arguments. */
struct query {
	char *copy;
	size_t count;
	const char *names[QUERY_MAX];
	const char *values[QUERY_MAX]; /* NULL for "name" without '=' */
};

/* The last request's query, kept for fuzz_server_query. */
static struct query last_query;

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s:%d: fuzz check failed: ", file, line);
	va_start(ap, fmt);
	/* clang-analyzer 14 misses the va_start above */
	// NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The fixture: batches in three skus (two sharing an eta, one UTF-8 sku),
 * some allocated, enough rows for several pages. */
static const char *const fixture[][2] = {
    {"/add_batch", "{\"ref\":\"b1\",\"sku\":\"LAMP\",\"qty\":100,\"eta\":null}"},
    {"/add_batch", "{\"ref\":\"b2\",\"sku\":\"LAMP\",\"qty\":50,\"eta\":\"2030-01-01\"}"},
    {"/add_batch", "{\"ref\":\"b3\",\"sku\":\"LAMP\",\"qty\":10,\"eta\":\"2030-01-01\"}"},
    {"/add_batch", "{\"ref\":\"b4\",\"sku\":\"CHAIR\",\"qty\":20,\"eta\":\"2029-12-31\"}"},
    {"/add_batch", "{\"ref\":\"b5\",\"sku\":\"T\u00c4BLE\",\"qty\":5}"},
    {"/add_batch", "{\"ref\":\"b6\",\"sku\":\"CHAIR\",\"qty\":1,\"eta\":\"2031-02-28\"}"},
    {"/allocate", "{\"orderid\":\"o1\",\"sku\":\"LAMP\",\"qty\":10}"},
    {"/allocate", "{\"orderid\":\"o1\",\"sku\":\"CHAIR\",\"qty\":5}"},
    {"/allocate", "{\"orderid\":\"o2\",\"sku\":\"LAMP\",\"qty\":95}"},
    {"/allocate", "{\"orderid\":\"o3\",\"sku\":\"T\u00c4BLE\",\"qty\":5}"},
};
static const char *const fixture_orders[] = {"o1", "o2", "o3", "o4"};

void fuzz_server_begin(void)
{
	static int logging_off;
	if (!logging_off) {
		la_set_log_callback(NULL, NULL);
		logging_off = 1;
	}
	struct worker_config config = {.db = "memory:", .retries = 3};
	const char *adapter;
	FUZZ_CHECK(workers_init(&config, &adapter) == LA_OK, "workers_init: %s", la_error_last());
	for (size_t i = 0; i < sizeof fixture / sizeof fixture[0]; i++) {
		struct reply r = {0};
		const char *path = fixture[i][0], *body = fixture[i][1];
		FUZZ_CHECK(fuzz_server_request(&r, "POST", path, strlen(path), body, strlen(body)),
		           "no route %s", path);
		FUZZ_CHECK(r.status / 100 == 2, "fixture %s %s: %u %.*s", path, body, r.status,
		           (int)r.length, r.body);
		reply_release(&r);
	}
}

const char *fuzz_server_fixture_snapshot(void)
{
	/* the fixture is the same for every input (the cursors too) */
	static char *snapshot;
	if (!snapshot)
		snapshot = fuzz_server_snapshot();
	return snapshot;
}

void fuzz_server_end(void)
{
	workers_shutdown();
	free(last_query.copy);
	last_query = (struct query){0};
}

/* ---- the query string, split and decoded as libmicrohttpd does ---- */

static void unescape_plus(char *s)
{
	for (; *s; s++)
		if (*s == '+')
			*s = ' ';
}

static void query_parse(struct query *q, char *args)
{
	q->count = 0;
	while (args && *args && q->count < QUERY_MAX) {
		char *amp = strchr(args, '&');
		if (amp)
			*amp++ = '\0';
		char *eq = strchr(args, '=');
		if (eq)
			*eq++ = '\0';
		unescape_plus(args);
		MHD_http_unescape(args);
		if (eq) {
			unescape_plus(eq);
			MHD_http_unescape(eq);
		}
		q->names[q->count] = args;
		q->values[q->count] = eq;
		q->count++;
		args = amp;
	}
}

/* MHD_lookup_connection_value: the first argument of that name. */
static const char *query_lookup(void *ctx, const char *name)
{
	const struct query *q = ctx;
	for (size_t i = 0; i < q->count; i++)
		if (strcmp(q->names[i], name) == 0)
			return q->values[i];
	return NULL;
}

/* ---- checking a reply ---- */

static void check_reply(const struct reply *r, const char *method, const char *path)
{
	FUZZ_CHECK(r->status >= 200 && r->status < 600, "%s %s: status %u", method, path,
	           r->status);
	/* Any request, however malformed, is answered without a server error:
	 * the memory store never fails, so 5xx would be a bug in the parsing. */
	FUZZ_CHECK(r->status < 500, "%s %s: %u %.*s", method, path, r->status, (int)r->length,
	           r->body);
	FUZZ_CHECK(r->body && r->content_type, "%s %s: reply without a body", method, path);
	FUZZ_CHECK(strlen(r->body) == r->length, "%s %s: body length", method, path);
	if (strcmp(r->content_type, REPLY_JSON) == 0) {
		json_error_t error;
		json_t *doc = json_loadb(r->body, r->length, 0, &error);
		FUZZ_CHECK(doc, "%s %s: reply is not JSON (%s): %s", method, path, error.text,
		           r->body);
		if (r->status >= 400) {
			json_t *message = json_object_get(doc, "message");
			FUZZ_CHECK(json_is_string(message) && json_string_length(message) > 0,
			           "%s %s: error without a message: %s", method, path, r->body);
		}
		json_decref(doc);
	} else {
		FUZZ_CHECK(r->status < 400 || r->status == 404, "%s %s: %u as text", method, path,
		           r->status);
	}
}

/* A command endpoint, as the write pipeline runs it but on this thread:
 * build, one unit of work on this thread's bus, respond. */
static void run_command(struct reply *r, const struct route *route, const struct request *req)
{
	la_message *command = route->build(r, req);
	if (!command)
		return;
	struct worker *w;
	FUZZ_CHECK(worker_current(&w) == LA_OK, "worker: %s", la_error_last());
	la_bus *bus = worker_bus(w);
	const la_message *commands[1] = {command};
	struct command_result result = {0};
	int rc = la_bus_handle_many(bus, commands, 1);
	result.status = rc == LA_OK ? la_bus_result_status(bus, 0) : rc;
	const char *ref = rc == LA_OK ? la_bus_result_batchref_at(bus, 0) : NULL;
	result.has_batchref = ref != NULL;
	snprintf(result.batchref, sizeof result.batchref, "%s", ref ? ref : "");
	snprintf(result.error, sizeof result.error, "%s",
	         rc == LA_OK ? la_bus_result_error(bus, 0) : la_error_last());
	la_message_free(command);
	route->respond(r, &result);
}

int fuzz_server_request(struct reply *r, const char *method, const char *target, size_t target_len,
                        const char *body, size_t body_len)
{
	free(last_query.copy);
	last_query = (struct query){0};
	char *copy = malloc(target_len + 1);
	FUZZ_CHECK(copy, "out of memory");
	memcpy(copy, target, target_len);
	copy[target_len] = '\0';
	/* the path stops at '?' (and at a NUL, as in a C string), then is
	 * percent-decoded; the rest is the query */
	char *args = strchr(copy, '?');
	if (args)
		*args++ = '\0';
	MHD_http_unescape(copy);
	struct query *q = &last_query;
	q->copy = copy;
	query_parse(q, args);

	const struct route *route = route_find(copy);
	if (!route || !route_allows(route, method))
		return 0;
	/* /readyz asks a thread the harness does not start (it answers 503) */
	if (strcmp(route->name, "readyz") == 0)
		return 0;
	struct request req = {
	    .path = copy,
	    .body = body ? body : "",
	    .body_length = body ? body_len : 0,
	    .query = query_lookup,
	    .query_ctx = q,
	};
	*r = (struct reply){0};
	if (route->build)
		run_command(r, route, &req);
	else
		route->handler(r, &req);
	check_reply(r, method, copy);
	return 1;
}

const char *fuzz_server_query(const char *name)
{
	return query_lookup(&last_query, name);
}

const char *fuzz_server_path(void)
{
	return last_query.copy;
}

/* ---- the state, as the read endpoints show it ---- */

static void append(char **text, size_t *len, const char *part)
{
	size_t n = strlen(part);
	char *grown = realloc(*text, *len + n + 2);
	FUZZ_CHECK(grown, "out of memory");
	memcpy(grown + *len, part, n);
	grown[*len + n] = '\n';
	grown[*len + n + 1] = '\0';
	*text = grown;
	*len += n + 1;
}

static void check_batch(json_t *batch)
{
	json_int_t purchased = json_integer_value(json_object_get(batch, "purchased"));
	json_int_t allocated = json_integer_value(json_object_get(batch, "allocated"));
	json_int_t available = json_integer_value(json_object_get(batch, "available"));
	json_int_t lines = json_integer_value(json_object_get(batch, "lines"));
	FUZZ_CHECK(allocated >= 0 && allocated <= purchased && available == purchased - allocated,
	           "batch figures: %lld purchased, %lld allocated, %lld available",
	           (long long)purchased, (long long)allocated, (long long)available);
	FUZZ_CHECK(lines >= 0 && (lines == 0) == (allocated == 0), "batch lines: %lld for %lld",
	           (long long)lines, (long long)allocated);
}

char *fuzz_server_snapshot(void)
{
	char *text = NULL;
	size_t len = 0;
	char target[600] = "/batches?limit=2";
	int done = 0;
	for (int page = 0; !done; page++) {
		FUZZ_CHECK(page < 1000, "the dashboard's cursors never end");
		struct reply r;
		FUZZ_CHECK(fuzz_server_request(&r, "GET", target, strlen(target), NULL, 0),
		           "no route");
		FUZZ_CHECK(r.status == 200, "%s: %u %s", target, r.status, r.body);
		json_t *doc = json_loads(r.body, 0, NULL);
		json_t *batches = json_object_get(doc, "batches");
		json_t *next = json_object_get(doc, "next");
		FUZZ_CHECK(json_is_array(batches) && json_array_size(batches) <= 2, "%s: %s",
		           target, r.body);
		for (size_t i = 0; i < json_array_size(batches); i++)
			check_batch(json_array_get(batches, i));
		append(&text, &len, r.body);
		reply_release(&r);
		if (json_is_string(next)) /* cursors are URL-safe as they are */
			snprintf(target, sizeof target, "/batches?limit=2&after=%s",
			         json_string_value(next));
		else
			done = 1;
		json_decref(doc);
	}
	for (size_t i = 0; i < sizeof fixture_orders / sizeof fixture_orders[0]; i++) {
		struct reply r;
		snprintf(target, sizeof target, "/allocations/%s", fixture_orders[i]);
		FUZZ_CHECK(fuzz_server_request(&r, "GET", target, strlen(target), NULL, 0),
		           "no route");
		FUZZ_CHECK(r.status == 200 || r.status == 404, "%s: %u", target, r.status);
		append(&text, &len, r.body);
		reply_release(&r);
	}
	return text;
}
