/*
 * Log lines. Plain text keeps the historical shape ("allocation-server: ...",
 * "allocation: warning: ...", "POST /allocate 202 153us ok"); JSON lines
 * carry the same facts as fields, with a UTC timestamp.
 */
#include "log.h"

#include <allocation/allocation.h>

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048

static atomic_int format = LOG_FORMAT_PLAIN;

void log_set_format(enum log_format f)
{
	atomic_store(&format, (int)f);
}

static const char *level_name(int level)
{
	static const char *const names[] = {"log", "error", "warning", "info", "debug"};
	return level >= 1 && level <= 4 ? names[level] : names[0];
}

static void write_line(const char *text, size_t length)
{
	if (write(STDERR_FILENO, text, length) < 0) {
		/* stderr is gone: nowhere to report it */
	}
}

/* Plain text: at most LINE_MAX_BYTES, newline added. */
static void write_plain(const char *text)
{
	char line[LINE_MAX_BYTES];
	int n = snprintf(line, sizeof line - 1, "%s", text);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	write_line(line, (size_t)n);
}

/* The time now as "2026-12-04T23:07:22.123Z". */
static void utc_now(char *buf, size_t size)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char base[32];
	(void)strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf, size, "%.20s.%03dZ", base, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Add the common fields, dump obj as one line, free it. Invalid UTF-8 in
 * a message makes jansson refuse the string: it is then replaced. */
static void write_json(json_t *obj, int level, const char *source)
{
	char now[40];
	utc_now(now, sizeof now);
	if (!obj)
		return;
	json_t *line_obj =
	    json_pack("{s:s,s:s,s:s}", "time", now, "level", level_name(level), "source", source);
	if (line_obj)
		json_object_update(line_obj, obj);
	json_decref(obj);
	char *text = line_obj ? json_dumps(line_obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(line_obj);
	if (!text)
		return;
	size_t n = strlen(text);
	char *line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return;
	}
	line[n] = '\n';
	write_line(line, n + 1);
	free(line);
}

static json_t *message_object(const char *message)
{
	json_t *text = json_string(message);
	if (!text)
		text = json_string("(message not valid UTF-8)");
	json_t *obj = json_object();
	if (obj)
		json_object_set_new(obj, "message", text);
	else
		json_decref(text);
	return obj;
}

static void emit(int level, const char *source, const char *prefix, const char *message)
{
	if (atomic_load(&format) == LOG_FORMAT_JSON) {
		write_json(message_object(message), level, source);
		return;
	}
	char line[LINE_MAX_BYTES];
	(void)snprintf(line, sizeof line, "%s%s", prefix, message);
	write_plain(line);
}

void log_message(int level, const char *fmt, ...)
{
	char message[LINE_MAX_BYTES];
	va_list ap;
	va_start(ap, fmt);
	/* clang-analyzer 14 misses the va_start above */
	// NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
	(void)vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	emit(level, "server", "allocation-server: ", message);
}

void log_library(int level, const char *message, void *payload)
{
	if (level > LA_LOG_WARN)
		return;
	char prefix[40];
	(void)snprintf(prefix, sizeof prefix, "allocation: %s: ", level_name(level));
	emit(level, "library", prefix, message);
}

void log_http_library(void *payload, const char *fmt, va_list ap)
{
	char message[LINE_MAX_BYTES];
	(void)vsnprintf(message, sizeof message, fmt, ap);
	size_t n = strlen(message);
	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
		message[--n] = '\0';
	emit(LA_LOG_WARN, "http", "allocation-server: http: ", message);
}

void log_access(const struct access_entry *e)
{
	if (atomic_load(&format) == LOG_FORMAT_JSON) {
		json_t *obj =
		    json_pack("{s:s,s:s,s:s,s:i,s:I,s:s?}", "remote", e->remote, "method",
		              e->method, "path", e->path, "status", (int)e->status, "duration_us",
		              (json_int_t)e->duration_us, "outcome", e->outcome);
		write_json(obj, LA_LOG_INFO, "access");
		return;
	}
	char line[LINE_MAX_BYTES];
	(void)snprintf(line, sizeof line, "%s %s %u %lldus %s", e->method, e->path, e->status,
	               (long long)e->duration_us, e->outcome ? e->outcome : "-");
	write_plain(line);
}
