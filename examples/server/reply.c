/*
 * Building replies. Messages are passed through jansson, which refuses
 * invalid UTF-8, so every JSON body we send is valid.
 */
#include "reply.h"

#include "log.h"
#include "metrics.h"

#include <allocation/allocation.h>

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char out_of_memory_json[] = "{\"message\": \"out of memory\"}";

void reply_text(struct reply *r, unsigned int status, const char *text)
{
	r->status = status;
	r->content_type = REPLY_TEXT;
	r->body = (char *)text;
	r->length = strlen(text);
	r->body_static = 1;
}

void reply_json_text(struct reply *r, unsigned int status, char *json)
{
	r->content_type = REPLY_JSON;
	if (!json) {
		r->status = 500;
		r->body = (char *)out_of_memory_json;
		r->length = sizeof out_of_memory_json - 1;
		r->body_static = 1;
		return;
	}
	r->status = status;
	r->body = json;
	r->length = strlen(json);
	r->body_static = 0;
}

/* Replace every byte that is not part of valid UTF-8 (or is a control
 * character other than tab) with '?', in place. */
static void sanitise_utf8(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80             ? 1
		           : (*p & 0xe0) == 0xc0 ? 2
		           : (*p & 0xf0) == 0xe0 ? 3
		           : (*p & 0xf8) == 0xf0 ? 4
		                                 : 0;
		size_t i = 1;
		while (n > 1 && i < n && (p[i] & 0xc0) == 0x80)
			i++;
		if (n == 0 || i < n || (n == 2 && *p < 0xc2)) {
			*p++ = '?';
			continue;
		}
		if (n == 1 && *p < 0x20 && *p != '\t')
			*p = '?';
		p += n;
	}
}

void reply_message(struct reply *r, unsigned int status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	/* clang-analyzer 14 misses the va_start above */
	// NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
	(void)vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	sanitise_utf8(text);
	json_t *obj = json_pack("{s:s}", "message", text);
	if (!obj) /* a multi-byte sequence cut by the size limit */
		obj = json_pack("{s:s}", "message", "invalid request");
	char *json = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	reply_json_text(r, status, json);
}

void reply_error(struct reply *r, int code)
{
	const char *message = la_error_last();
	if (!message || !*message)
		message = la_strerror(code);
	switch (code) {
	case LA_EINVAL:
		reply_message(r, 400, "%s", message);
		break;
	case LA_ENOTFOUND:
		reply_message(r, 404, "%s", message);
		break;
	case LA_ECONFLICT:
		reply_message(r, 409, "%s", message);
		break;
	case LA_ENOMEM:
		reply_message(r, 503, "service unavailable: out of memory");
		break;
	case LA_EUNSUPPORTED: /* e.g. holds on a store that does not keep them */
		reply_message(r, 501, "%s", message);
		break;
	case LA_EDB:
	case LA_EIO:
		reply_store_unavailable(r, "the store failed");
		break;
	default:
		log_message(LA_LOG_ERROR, "internal error (%s): %s", la_strerror(code), message);
		reply_message(r, 500, "internal error (%s); details are in the server log",
		              la_strerror(code));
		break;
	}
}

void reply_store_unavailable(struct reply *r, const char *what)
{
	const char *detail = la_error_last();
	log_message(LA_LOG_ERROR, "%s: %s", what, detail && *detail ? detail : "(no detail)");
	metrics_store_error();
	reply_message(r, 503, "service unavailable: %s; details are in the server log", what);
}

void reply_release(struct reply *r)
{
	if (r->body && !r->body_static)
		free(r->body);
	r->body = NULL;
}
