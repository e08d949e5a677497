/*
 * JSON request bodies. jansson already refuses invalid UTF-8, NUL inside
 * strings (without JSON_ALLOW_NUL) and, with JSON_REJECT_DUPLICATES,
 * ambiguous objects; the rest is checked here field by field.
 */
#include "body.h"

#include <allocation/messages.h>
#include <allocation/validation.h>

#include <string.h>

#define STRING_MAX_BYTES 255

static const char *type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

json_t *body_parse(struct reply *r, const char *data, size_t length)
{
	if (length == 0) {
		reply_message(r, 400, "request body is empty: expected a JSON object");
		return NULL;
	}
	json_error_t error;
	json_t *root = json_loadb(data, length, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
	if (!root) {
		reply_message(r, 400, "body is not valid JSON: %s at line %d column %d", error.text,
		              error.line, error.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		reply_message(r, 400, "body must be a JSON object, not %s", type_name(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

static json_t *field_value(struct reply *r, json_t *obj, const char *field, const char *label)
{
	json_t *value = json_object_get(obj, field);
	if (!value)
		reply_message(r, 400, "missing field '%s'", label);
	return value;
}

int body_string_as(const char **out, struct reply *r, json_t *obj, const char *field,
                   const char *label)
{
	json_t *value = field_value(r, obj, field, label);
	if (!value)
		return -1;
	if (!json_is_string(value)) {
		reply_message(r, 400, "field '%s' must be a string, not %s", label,
		              type_name(value));
		return -1;
	}
	size_t n = json_string_length(value);
	if (n == 0 || n > STRING_MAX_BYTES) {
		reply_message(r, 400, "field '%s' must be 1-%d bytes of UTF-8, not %zu bytes",
		              label, STRING_MAX_BYTES, n);
		return -1;
	}
	*out = json_string_value(value);
	return 0;
}

int body_string(const char **out, struct reply *r, json_t *obj, const char *field)
{
	return body_string_as(out, r, obj, field, field);
}

int body_qty_as(int64_t *out, struct reply *r, json_t *obj, const char *field, int64_t min,
                const char *label)
{
	json_t *value = field_value(r, obj, field, label);
	if (!value)
		return -1;
	if (!json_is_integer(value)) {
		reply_message(r, 400, "field '%s' must be an integer, not %s", label,
		              type_name(value));
		return -1;
	}
	json_int_t n = json_integer_value(value);
	if (n < min || n > BODY_QTY_MAX) {
		reply_message(r, 400, "field '%s' must be %s, not %lld", label,
		              min > 0 ? "a positive integer (at most 10^12)"
		                      : "zero or a positive integer (at most 10^12)",
		              (long long)n);
		return -1;
	}
	*out = (int64_t)n;
	return 0;
}

int body_qty(int64_t *out, struct reply *r, json_t *obj, const char *field, int64_t min)
{
	return body_qty_as(out, r, obj, field, min, field);
}

int body_hold(int64_t *out, struct reply *r, json_t *obj, const char *field)
{
	json_t *value = json_object_get(obj, field);
	*out = 0;
	if (!value)
		return 0;
	json_int_t n = json_is_integer(value) ? json_integer_value(value) : 0;
	if (n < 1 || n > LA_HOLD_MAX_SECONDS) {
		if (json_is_integer(value))
			reply_message(r, 400,
			              "field '%s' must be an integer 1-%d (seconds), not %lld",
			              field, LA_HOLD_MAX_SECONDS, (long long)n);
		else
			reply_message(r, 400,
			              "field '%s' must be an integer 1-%d (seconds), not %s", field,
			              LA_HOLD_MAX_SECONDS, type_name(value));
		return -1;
	}
	*out = (int64_t)n;
	return 0;
}

int body_date(const char **out, struct reply *r, json_t *obj, const char *field)
{
	json_t *value = json_object_get(obj, field);
	*out = NULL;
	if (!value || json_is_null(value))
		return 0;
	if (!json_is_string(value)) {
		reply_message(r, 400, "field '%s' must be a date \"YYYY-MM-DD\" or null, not %s",
		              field, type_name(value));
		return -1;
	}
	const char *text = json_string_value(value);
	if (json_string_length(value) != 10 || la_date_key(text) <= 0) {
		reply_message(r, 400, "field '%s' must be a date \"YYYY-MM-DD\", not \"%.40s\"",
		              field, text);
		return -1;
	}
	*out = text;
	return 0;
}
