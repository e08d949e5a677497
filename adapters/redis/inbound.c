/* Decoding inbound JSON messages into commands, with jansson. */
#include "inbound.h"
#include "json_valid.h"

#include <allocation/sys/ports.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/text.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const redis_inbound_channels[REDIS_INBOUND_COUNT] = {
    "change_batch_quantity", "batch_created", "batch_cancelled", "allocation_required",
    "order_allocation_required"};

static int malformed(const char *channel, const char *fmt, const char *detail)
{
	char what[300];

	(void)snprintf(what, sizeof(what), fmt, detail); /* a long detail is cut */
	return la_error_set(LA_EINVAL, "malformed message on %s: %s", channel, what);
}

static int get_string(const char **out, json_t *obj, const char *field, const char *channel)
{
	json_t *v = json_object_get(obj, field);

	if (!v)
		return malformed(channel, "missing field \"%s\"", field);
	if (!json_is_string(v))
		return malformed(channel, "field \"%s\" must be a string", field);
	*out = json_string_value(v);
	return LA_OK;
}

static int get_qty(int64_t *out, json_t *obj, const char *channel)
{
	json_t *v = json_object_get(obj, "qty");

	if (!v)
		return malformed(channel, "missing field \"%s\"", "qty");
	if (!json_is_integer(v))
		return malformed(channel, "field \"%s\" must be an integer", "qty");
	*out = (int64_t)json_integer_value(v);
	return LA_OK;
}

/* "eta": a date string, null or absent (in stock). */
static int get_eta(const char **out, json_t *obj, const char *channel)
{
	json_t *v = json_object_get(obj, "eta");

	*out = NULL;
	if (!v || json_is_null(v))
		return LA_OK;
	if (!json_is_string(v))
		return malformed(channel, "field \"%s\" must be a date string or null", "eta");
	*out = json_string_value(v);
	return LA_OK;
}

/* A constructor's status: its LA_EINVAL named the bad field; say where it
 * came from. */
static int constructed(int rc, const char *channel)
{
	if (rc == LA_EINVAL) {
		char why[512];

		(void)snprintf(why, sizeof(why), "%s", la_error_last()); /* may be cut */
		return la_error_set(LA_EINVAL, "malformed message on %s: %s", channel, why);
	}
	return rc;
}

/* "hold_seconds": absent (0: a permanent line) or an integer 1 to
 * LA_HOLD_MAX_SECONDS, as over HTTP. */
static int get_hold(int64_t *out, json_t *obj, const char *channel)
{
	json_t *v = json_object_get(obj, "hold_seconds");

	*out = 0;
	if (!v)
		return LA_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > LA_HOLD_MAX_SECONDS)
		return malformed(channel, "field \"%s\" must be an integer 1-86400",
		                 "hold_seconds");
	*out = (int64_t)json_integer_value(v);
	return LA_OK;
}

/* A whole order's "lines": [{"sku","qty"}, ...], 1 to LA_ORDER_MAX_LINES;
 * skus borrowed from obj, into the caller's arrays (freed by it). */
static int get_lines(const char ***skus, int64_t **qtys, size_t *count, json_t *obj,
                     const char *channel)
{
	json_t *lines = json_object_get(obj, "lines");
	size_t n = json_is_array(lines) ? json_array_size(lines) : 0;

	if (!lines)
		return malformed(channel, "missing field \"%s\"", "lines");
	if (n < 1 || n > LA_ORDER_MAX_LINES)
		return malformed(channel, "field \"%s\" must be an array of 1-1000 lines", "lines");
	*skus = la__calloc(n, sizeof **skus);
	*qtys = la__calloc(n, sizeof **qtys);
	if (!*skus || !*qtys)
		return la_error_set(LA_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *line = json_array_get(lines, i);
		char where[32];
		int rc;

		(void)snprintf(where, sizeof(where), "lines[%zu]", i);
		if (!json_is_object(line))
			return malformed(channel, "%s must be an object {\"sku\",\"qty\"}", where);
		if ((rc = get_string(&(*skus)[i], line, "sku", channel)) ||
		    (rc = get_qty(&(*qtys)[i], line, channel))) {
			char why[400];

			(void)snprintf(why, sizeof(why), "%s", la_error_last());
			return la_error_set(rc, "%s (%s)", why, where);
		}
	}
	*count = n;
	return LA_OK;
}

static int build_order(la_message **out, json_t *obj, const char *channel)
{
	const char *orderid = NULL;
	const char **skus = NULL;
	int64_t *qtys = NULL, hold = 0;
	size_t count = 0;
	int rc;

	if (!(rc = get_string(&orderid, obj, "orderid", channel)) &&
	    !(rc = get_lines(&skus, &qtys, &count, obj, channel)) &&
	    !(rc = get_hold(&hold, obj, channel)))
		rc = constructed(la_command_allocate_order(out, orderid, skus, qtys, count, hold),
		                 channel);
	la__free(skus);
	la__free(qtys);
	return rc;
}

/*
 * The message's de-duplication key: its "id" scoped by channel and by JSON
 * type — "<channel>:<id as JSON>", e.g. batch_created:5 and
 * batch_created:"5" — so {"id": 1} on batch_created and on
 * allocation_required, or 5 and "5", are different messages. As JSON, a
 * string id is quoted and escaped, which also keeps control characters out of
 * the log lines that name it.
 */
static int get_id(char **out, json_t *obj, const char *channel)
{
	json_t *v = json_object_get(obj, "id");
	la__buf key = LA__BUF_INIT;

	*out = NULL;
	if (!v || json_is_null(v))
		return LA_OK;
	la__buf_puts(&key, channel);
	la__buf_puts(&key, ":");
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 255) {
		la__buf_json_string(&key, json_string_value(v));
	} else if (json_is_integer(v)) {
		la__buf_int(&key, (int64_t)json_integer_value(v));
	} else {
		la__free(la__buf_take(&key));
		return malformed(channel, "field \"%s\" must be a non-empty string or an integer",
		                 "id");
	}
	*out = la__buf_take(&key);
	return *out ? LA_OK : la_error_set(LA_ENOMEM, "out of memory");
}

static int build(la_message **out, json_t *obj, const char *channel)
{
	const char *a = NULL, *b = NULL, *eta = NULL;
	int64_t qty = 0, hold = 0;
	int rc;

	if (strcmp(channel, "change_batch_quantity") == 0) {
		if ((rc = get_string(&a, obj, "batchref", channel)) ||
		    (rc = get_qty(&qty, obj, channel)))
			return rc;
		rc = la_command_change_batch_quantity(out, a, qty);
	} else if (strcmp(channel, "batch_created") == 0) {
		if ((rc = get_string(&a, obj, "ref", channel)) ||
		    (rc = get_string(&b, obj, "sku", channel)) ||
		    (rc = get_qty(&qty, obj, channel)) || (rc = get_eta(&eta, obj, channel)))
			return rc;
		rc = la_command_create_batch(out, a, b, qty, eta);
	} else if (strcmp(channel, "batch_cancelled") == 0) {
		if ((rc = get_string(&a, obj, "ref", channel)))
			return rc;
		rc = la_command_cancel_batch(out, a);
	} else if (strcmp(channel, "allocation_required") == 0) {
		if ((rc = get_string(&a, obj, "orderid", channel)) ||
		    (rc = get_string(&b, obj, "sku", channel)) ||
		    (rc = get_qty(&qty, obj, channel)) || (rc = get_hold(&hold, obj, channel)))
			return rc;
		rc = hold ? la_command_allocate_with(out, a, b, qty, hold, NULL)
		          : la_command_allocate(out, a, b, qty);
	} else if (strcmp(channel, "order_allocation_required") == 0) {
		return build_order(out, obj, channel);
	} else {
		return la_error_set(LA_EINVAL, "no command is consumed on channel %s", channel);
	}
	return constructed(rc, channel);
}

static int parse_object(la_message **out, char **out_id, json_t *obj, const char *channel)
{
	int rc = get_id(out_id, obj, channel);

	if (rc == LA_OK)
		rc = build(out, obj, channel);
	if (rc != LA_OK) {
		free(*out_id);
		*out_id = NULL;
		*out = NULL;
	}
	return rc;
}

int redis_inbound_parse(la_message **out, char **out_id, const char *channel, const char *json,
                        size_t len)
{
	json_error_t error;
	json_t *obj;
	int rc;

	*out = NULL;
	*out_id = NULL;
	obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, &error);
	/* jansson reports running out of memory as a syntax error: a message
	 * that is JSON is not malformed (it is not dropped, but tried again) */
	if (!obj && redis_json_out_of_memory(&error, json, len))
		return la_error_set(LA_ENOMEM, "out of memory reading a message on %s", channel);
	if (!obj)
		return malformed(channel, "not JSON (%s)", error.text);
	if (!json_is_object(obj))
		rc = malformed(channel, "%s", "expected a JSON object");
	else
		rc = parse_object(out, out_id, obj, channel);
	json_decref(obj);
	return rc;
}

/* A flat stream field value as JSON: integers for qty, null for an empty eta. */
static json_t *field_value(const char *name, const char *value, size_t len)
{
	if (strcmp(name, "qty") == 0 && len > 0 && len < 20) {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno == 0 && end == value + len)
			return json_integer(n);
	}
	if (strcmp(name, "eta") == 0 && (len == 0 || (len == 4 && memcmp(value, "null", 4) == 0)))
		return json_null();
	return json_stringn(value, len);
}

int redis_inbound_parse_fields(la_message **out, char **out_id, const char *channel,
                               const char *const *names, const char *const *values,
                               const size_t *value_lens, size_t count)
{
	json_t *obj;
	int rc = LA_OK;

	*out = NULL;
	*out_id = NULL;
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], "json") == 0)
			return redis_inbound_parse(out, out_id, channel, values[i], value_lens[i]);
	obj = json_object();
	if (!obj)
		return la_error_set(LA_ENOMEM, "out of memory");
	for (size_t i = 0; i < count && rc == LA_OK; i++) {
		json_t *v = field_value(names[i], values[i], value_lens[i]);

		if (!v && la__utf8_valid(values[i], value_lens[i]))
			rc = la_error_set(LA_ENOMEM, "out of memory reading a message on %s",
			                  channel);
		else if (!v) /* jansson refuses invalid UTF-8 */
			rc = malformed(channel, "field \"%s\" is not valid UTF-8", names[i]);
		else if (json_object_set_new(obj, names[i], v) != 0)
			rc = la__utf8_valid(names[i], strlen(names[i]))
			         ? la_error_set(LA_ENOMEM, "out of memory reading a message on %s",
			                        channel)
			         : malformed(channel, "field name \"%s\" is not valid UTF-8",
			                     names[i]);
	}
	if (rc == LA_OK)
		rc = parse_object(out, out_id, obj, channel);
	json_decref(obj);
	return rc;
}
