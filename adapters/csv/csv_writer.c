/* RFC 4180 writer: quote only what needs it, CRLF after every record. */
#include "csv_format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int csv_buffer_append(csv_buffer *buf, const char *bytes, size_t len)
{
	if (len > SIZE_MAX - buf->len - 1)
		return CSV_ENOMEM;
	if (buf->len + len + 1 > buf->capacity) {
		size_t cap = buf->capacity ? buf->capacity : 256;
		while (cap < buf->len + len + 1) {
			if (cap > SIZE_MAX / 2)
				return CSV_ENOMEM;
			cap *= 2;
		}
		char *p = realloc(buf->data, cap);
		if (!p)
			return CSV_ENOMEM;
		buf->data = p;
		buf->capacity = cap;
	}
	memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return CSV_OK;
}

/* A field needs quotes when it holds a delimiter, a quote or a line break,
 * or starts with a byte-order mark the reader would strip at file start. */
static int needs_quotes(const char *field)
{
	return strpbrk(field, ",\"\r\n") != NULL || strncmp(field, "\xEF\xBB\xBF", 3) == 0;
}

static int write_field(csv_buffer *buf, const char *field)
{
	if (!needs_quotes(field))
		return csv_buffer_append(buf, field, strlen(field));
	if (csv_buffer_append(buf, "\"", 1))
		return CSV_ENOMEM;
	const char *p = field;
	const char *q;
	while ((q = strchr(p, '"')) != NULL) {
		/* copy up to and including the quote, then double it */
		if (csv_buffer_append(buf, p, (size_t)(q - p) + 1) ||
		    csv_buffer_append(buf, "\"", 1))
			return CSV_ENOMEM;
		p = q + 1;
	}
	if (csv_buffer_append(buf, p, strlen(p)) || csv_buffer_append(buf, "\"", 1))
		return CSV_ENOMEM;
	return CSV_OK;
}

int csv_write_record(csv_buffer *buf, const char *const *fields, size_t count)
{
	/* A lone empty field would read back as a blank line, which is skipped. */
	if (count == 1 && fields[0][0] == '\0')
		return csv_buffer_append(buf, "\"\"\r\n", 4);
	for (size_t i = 0; i < count; i++) {
		if (i && csv_buffer_append(buf, ",", 1))
			return CSV_ENOMEM;
		if (write_field(buf, fields[i]))
			return CSV_ENOMEM;
	}
	return csv_buffer_append(buf, "\r\n", 2);
}

void csv_buffer_free(csv_buffer *buf)
{
	if (!buf)
		return;
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
