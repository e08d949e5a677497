#include "buf.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

void la__buf_append(la__buf *buf, const char *text, size_t len)
{
	if (buf->failed)
		return;
	if (la__grow((void **)&buf->data, &buf->capacity, buf->len + len + 1, 1) != 0) {
		buf->failed = 1;
		return;
	}
	memcpy(buf->data + buf->len, text, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void la__buf_puts(la__buf *buf, const char *text)
{
	la__buf_append(buf, text, strlen(text));
}

void la__buf_int(la__buf *buf, int64_t value)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
	la__buf_append(buf, digits, (size_t)n);
}

void la__buf_json_string(la__buf *buf, const char *text)
{
	la__buf_append(buf, "\"", 1);
	const char *run = text;
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		la__buf_append(buf, run, (size_t)(p - run));
		char escape[8];
		switch (c) {
		case '"':
			la__buf_append(buf, "\\\"", 2);
			break;
		case '\\':
			la__buf_append(buf, "\\\\", 2);
			break;
		case '\n':
			la__buf_append(buf, "\\n", 2);
			break;
		case '\r':
			la__buf_append(buf, "\\r", 2);
			break;
		case '\t':
			la__buf_append(buf, "\\t", 2);
			break;
		default:
			(void)snprintf(escape, sizeof escape, "\\u%04x", c); /* 6 bytes */
			la__buf_append(buf, escape, 6);
		}
		run = p + 1;
	}
	la__buf_puts(buf, run);
	la__buf_append(buf, "\"", 1);
}

char *la__buf_take(la__buf *buf)
{
	if (!buf->failed && !buf->data)
		la__buf_append(buf, "", 0);
	char *text = buf->failed ? NULL : buf->data;
	if (buf->failed)
		la__free(buf->data);
	*buf = (la__buf)LA__BUF_INIT;
	return text;
}
