/* Internal: a growable text buffer, used to build JSON and cursors. */
#ifndef LA_UTIL_BUF_H
#define LA_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct la__buf {
	char *data;
	size_t len, capacity;
	int failed; /* an append ran out of memory: the text is incomplete */
} la__buf;

#define LA__BUF_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void la__buf_append(la__buf *buf, const char *text, size_t len);
void la__buf_puts(la__buf *buf, const char *text);
void la__buf_int(la__buf *buf, int64_t value);
/* Append text as a JSON string literal, quotes included. */
void la__buf_json_string(la__buf *buf, const char *text);
/* Hand the NUL-terminated text to the caller (la_free), or NULL when an
 * append failed (the buffer is freed either way). */
char *la__buf_take(la__buf *buf);

#endif
