/*
 * allocation-server — the one logger: the server's own messages, the
 * library's (la_set_log_callback), libmicrohttpd's, and one access line per
 * request, all on stderr, as plain text or as JSON lines (--log-format).
 * Each line is written with a single write(), so threads never interleave.
 */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_format { LOG_FORMAT_PLAIN, LOG_FORMAT_JSON };

/* Levels are the library's (LA_LOG_ERROR ... LA_LOG_DEBUG). */
void log_set_format(enum log_format format);

/* The server's own message, e.g. "listening on ...". */
void log_message(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* la_log_fn for la_set_log_callback: the library's warnings and errors. */
void log_library(int level, const char *message, void *payload);

/* MHD_OPTION_EXTERNAL_LOGGER: libmicrohttpd's own messages. */
void log_http_library(void *payload, const char *fmt, va_list ap);

/* One request as the access log shows it. */
struct access_entry {
	const char *remote; /* client address, or "-" */
	const char *method;
	const char *path;
	unsigned int status;
	int64_t duration_us;
	const char *outcome; /* a command's outcome, or NULL */
};

/* Plain: "POST /allocate 202 153us allocated" ("-" for no command). */
void log_access(const struct access_entry *entry);

#endif
