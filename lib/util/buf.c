#include "buf.h"

#include "alloc.h"

#include <stdio.h>
#include <string.h>

void la_buf_append(la_buf *buf, const char *text, size_t len)
{
	if (buf->failed)
		return;
	if (la_grow((void **)&buf->data, &buf->capacity, buf->len + len + 1, 1) != 0) {
		buf->failed = 1;
		return;
	}
	memcpy(buf->data + buf->len, text, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void la_buf_puts(la_buf *buf, const char *text)
{
	la_buf_append(buf, text, strlen(text));
}

void la_buf_int(la_buf *buf, int64_t value)
{
	char digits[24];
	int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
	la_buf_append(buf, digits, (size_t)n);
}

void la_buf_json_string(la_buf *buf, const char *text)
{
	la_buf_append(buf, "\"", 1);
	const char *run = text;
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		la_buf_append(buf, run, (size_t)(p - run));
		char escape[8];
		switch (c) {
		case '"':
			la_buf_append(buf, "\\\"", 2);
			break;
		case '\\':
			la_buf_append(buf, "\\\\", 2);
			break;
		case '\n':
			la_buf_append(buf, "\\n", 2);
			break;
		case '\r':
			la_buf_append(buf, "\\r", 2);
			break;
		case '\t':
			la_buf_append(buf, "\\t", 2);
			break;
		default:
			snprintf(escape, sizeof escape, "\\u%04x", c);
			la_buf_append(buf, escape, 6);
		}
		run = p + 1;
	}
	la_buf_puts(buf, run);
	la_buf_append(buf, "\"", 1);
}

char *la_buf_take(la_buf *buf)
{
	if (!buf->failed && !buf->data)
		la_buf_append(buf, "", 0);
	char *text = buf->failed ? NULL : buf->data;
	if (buf->failed)
		la_free(buf->data);
	*buf = (la_buf)LA_BUF_INIT;
	return text;
}
