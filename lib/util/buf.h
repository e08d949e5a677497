/* Internal: a growable text buffer, used to build JSON and cursors. */
#ifndef LA_UTIL_BUF_H
#define LA_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct la_buf {
	char *data;
	size_t len, capacity;
	int failed; /* an append ran out of memory: the text is incomplete */
} la_buf;

#define LA_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void la_buf_append(la_buf *buf, const char *text, size_t len);
void la_buf_puts(la_buf *buf, const char *text);
void la_buf_int(la_buf *buf, int64_t value);
/* Append text as a JSON string literal, quotes included. */
void la_buf_json_string(la_buf *buf, const char *text);
/* Hand the NUL-terminated text to the caller (la_free), or NULL when an
 * append failed (the buffer is freed either way). */
char *la_buf_take(la_buf *buf);

#endif
