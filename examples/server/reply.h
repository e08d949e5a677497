/*
 * allocation-server — what a handler answers: status, content type, body,
 * and an Allow header for 405.
 */
#ifndef SERVER_REPLY_H
#define SERVER_REPLY_H

#include <stddef.h>

struct reply {
	unsigned int status;
	const char *content_type; /* static */
	char *body;               /* malloc'ed, or a static string when body_static */
	size_t length;
	int body_static;
	const char *allow;            /* static, for 405 */
	const char *www_authenticate; /* static, for 401 */
	const char *outcome;          /* static: a command's outcome (metrics, log) */
};

#define REPLY_JSON "application/json"
#define REPLY_TEXT "text/plain; charset=utf-8"

/* A static plain-text body, e.g. "OK". */
void reply_text(struct reply *r, unsigned int status, const char *text);

/* {"message": <text>}: text is made valid UTF-8 first. */
void reply_message(struct reply *r, unsigned int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Take a malloc'ed JSON text. NULL (out of memory) becomes a 500. */
void reply_json_text(struct reply *r, unsigned int status, char *json);

/* Map a library status code and la_error_last() to a reply. A store failure
 * (LA_EDB, LA_EIO) answers 503 without the library's text, which may name a
 * file or quote the database server: that text goes to the log instead. */
void reply_error(struct reply *r, int code);

/* 503 for a store that failed (detail: la_error_last()), logged and counted. */
void reply_store_unavailable(struct reply *r, const char *what);

void reply_release(struct reply *r);

#endif
