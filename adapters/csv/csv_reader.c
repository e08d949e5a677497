/* RFC 4180 reader: see csv_format.h for what is accepted and rejected. */
#include "csv_format.h"

#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The record being read: its bytes (each field NUL-terminated) and where
 * each field starts. Reused from record to record. */
typedef struct scratch {
	char *bytes;
	size_t len, cap;
	size_t *starts;
	size_t count, starts_cap;
} scratch;

static int grow(void **ptr, size_t *cap, size_t need, size_t size)
{
	return la__grow(ptr, cap, need, size) == 0 ? CSV_OK : CSV_ENOMEM;
}

/* The capacity checks are inline: a call per byte was a third of the parse. */
static int put_bytes(scratch *s, const char *from, size_t n)
{
	if (n == 0) /* an empty field: s->bytes may still be NULL */
		return CSV_OK;
	if (s->len + n > s->cap && grow((void **)&s->bytes, &s->cap, s->len + n, 1))
		return CSV_ENOMEM;
	memcpy(s->bytes + s->len, from, n);
	s->len += n;
	return CSV_OK;
}

static int put_byte(scratch *s, char c)
{
	return put_bytes(s, &c, 1);
}

static int start_field(scratch *s)
{
	if (s->count + 1 > s->starts_cap &&
	    grow((void **)&s->starts, &s->starts_cap, s->count + 1, sizeof(size_t)))
		return CSV_ENOMEM;
	s->starts[s->count++] = s->len;
	return CSV_OK;
}

/* Copy the scratch record into one allocation: field pointers, lengths,
 * then the bytes, so freeing record->fields frees everything. */
static int finish_record(csv_table *t, scratch *s, size_t line)
{
	if (t->count + 1 > t->capacity &&
	    grow((void **)&t->records, &t->capacity, t->count + 1, sizeof(csv_record)))
		return CSV_ENOMEM;
	size_t n = s->count;
	size_t head = n * (sizeof(char *) + sizeof(size_t));
	char *block = malloc(head + s->len + 1);
	if (!block)
		return CSV_ENOMEM;
	char **fields = (char **)block;
	size_t *lens = (size_t *)(block + n * sizeof(char *));
	char *bytes = block + head;
	memcpy(bytes, s->bytes, s->len);
	for (size_t i = 0; i < n; i++) {
		size_t end = i + 1 < n ? s->starts[i + 1] : s->len;
		fields[i] = bytes + s->starts[i];
		lens[i] = end - s->starts[i] - 1; /* minus the NUL */
	}
	csv_record *r = &t->records[t->count++];
	r->line = line;
	r->count = n;
	r->fields = fields;
	r->lens = lens;
	s->len = 0;
	s->count = 0;
	return CSV_OK;
}

static int fail(csv_error *err, size_t line, const char *message)
{
	if (err) {
		err->line = line;
		err->message = message;
	}
	return CSV_ESYNTAX;
}

/* Read one quoted field starting at data[*i] == '"'. */
static int read_quoted(scratch *s, const char *data, size_t len, size_t *i, size_t *line,
                       csv_error *err)
{
	size_t open_line = *line;
	size_t p = *i + 1;
	for (;;) {
		if (p >= len)
			return fail(err, open_line, "unterminated quoted field");
		char c = data[p];
		if (c == '"') {
			if (p + 1 < len && data[p + 1] == '"') {
				if (put_byte(s, '"'))
					return CSV_ENOMEM;
				p += 2;
				continue;
			}
			p++;
			break;
		}
		if (c == '\0')
			return fail(err, *line, "NUL byte in field");
		if (c == '\n')
			(*line)++;
		if (put_byte(s, c))
			return CSV_ENOMEM;
		p++;
	}
	if (p < len && data[p] != ',' && data[p] != '\n' && data[p] != '\r')
		return fail(err, *line, "text after the closing quote of a field");
	*i = p;
	return CSV_OK;
}

static int read_plain(scratch *s, const char *data, size_t len, size_t *i, size_t line,
                      csv_error *err)
{
	size_t p = *i;
	while (p < len && data[p] != ',' && data[p] != '\n' && data[p] != '\r') {
		if (data[p] == '"')
			return fail(err, line, "quote inside an unquoted field");
		if (data[p] == '\0')
			return fail(err, line, "NUL byte in field");
		p++;
	}
	if (put_bytes(s, data + *i, p - *i))
		return CSV_ENOMEM;
	*i = p;
	return CSV_OK;
}

/* Read one record starting at data[*i] (not a blank line). */
static int read_record(csv_table *t, scratch *s, const char *data, size_t len, size_t *i,
                       size_t *line, csv_error *err)
{
	size_t start_line = *line;
	for (;;) {
		int rc = start_field(s);
		if (rc)
			return rc;
		if (*i < len && data[*i] == '"')
			rc = read_quoted(s, data, len, i, line, err);
		else
			rc = read_plain(s, data, len, i, *line, err);
		if (rc)
			return rc;
		if (put_byte(s, '\0'))
			return CSV_ENOMEM;
		if (*i >= len)
			break;
		char c = data[*i];
		if (c == ',') {
			(*i)++;
			continue;
		}
		if (c == '\r') {
			if (*i + 1 >= len || data[*i + 1] != '\n')
				return fail(err, *line,
				            "carriage return not followed by line feed");
			(*i)++;
		}
		(*i)++; /* the line feed */
		(*line)++;
		break;
	}
	return finish_record(t, s, start_line);
}

int csv_parse(csv_table *table, const char *data, size_t len, csv_error *err)
{
	memset(table, 0, sizeof(*table));
	scratch s = {0};
	size_t i = 0, line = 1;
	int rc = CSV_OK;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && rc == CSV_OK) {
		if (data[i] == '\n') { /* blank line */
			i++;
			line++;
		} else if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') {
			i += 2;
			line++;
		} else {
			rc = read_record(table, &s, data, len, &i, &line, err);
		}
	}
	free(s.bytes);
	free(s.starts);
	if (rc == CSV_ENOMEM)
		fail(err, line, "out of memory");
	if (rc)
		csv_table_free(table);
	return rc;
}

void csv_table_free(csv_table *table)
{
	if (!table)
		return;
	for (size_t i = 0; i < table->count; i++)
		free(table->records[i].fields);
	free(table->records);
	memset(table, 0, sizeof(*table));
}
