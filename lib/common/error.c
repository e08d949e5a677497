#include "common_internal.h"

#include "../util/redact.h"

#include <stdarg.h>
#include <stdio.h>

/* A fixed buffer per thread: setting an error never allocates, so it works
 * when memory has run out, and nothing needs freeing at thread exit. */
#define LA_ERROR_MAX 1024

static _Thread_local int last_code;
static _Thread_local char last_message[LA_ERROR_MAX];

static la_log_fn log_fn;
static void *log_payload;

const char *la_strerror(int code)
{
	switch (code) {
	case LA_OK:
		return "LA_OK";
	case LA_EINVAL:
		return "LA_EINVAL";
	case LA_ENOTFOUND:
		return "LA_ENOTFOUND";
	case LA_ECONFLICT:
		return "LA_ECONFLICT";
	case LA_EUNSUPPORTED:
		return "LA_EUNSUPPORTED";
	case LA_ENOMEM:
		return "LA_ENOMEM";
	case LA_EDB:
		return "LA_EDB";
	case LA_EIO:
		return "LA_EIO";
	case LA_EUSER:
		return "LA_EUSER";
	case LA_ESTATE:
		return "LA_ESTATE";
	default:
		return "LA_EUNKNOWN";
	}
}

const char *la_error_last(void)
{
	return last_message;
}

int la_error_last_code(void)
{
	return last_code;
}

void la_error_clear(void)
{
	last_code = LA_OK;
	last_message[0] = '\0';
}

int la_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* A longer message is cut at the buffer's size; one that cannot be
	 * formatted at all is replaced by its format. */
	if (vsnprintf(last_message, sizeof last_message, fmt, ap) < 0)
		(void)snprintf(last_message, sizeof last_message, "%s", fmt);
	va_end(ap);
	last_code = code;
	return code;
}

void la_redact_secrets(char *out, size_t size, const char *text)
{
	la__redact(out, size, text);
}

int la__error_nomem(void)
{
	return la_error_set(LA_ENOMEM, "out of memory");
}

void la_set_log_callback(la_log_fn fn, void *payload)
{
	log_fn = fn;
	log_payload = payload;
}

int la__log_enabled(void)
{
	return log_fn != NULL;
}

void la_log(int level, const char *fmt, ...)
{
	if (!log_fn)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap); /* a long line is cut */
	va_end(ap);
	log_fn(level, n < 0 ? fmt : line, log_payload);
}

const char *la_version(void)
{
	return LA_VERSION_STRING;
}

void la_version_numbers(int *major, int *minor, int *patch)
{
	if (major)
		*major = LA_VERSION_MAJOR;
	if (minor)
		*minor = LA_VERSION_MINOR;
	if (patch)
		*patch = LA_VERSION_PATCH;
}
