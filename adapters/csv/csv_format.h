/*
 * RFC 4180 reading and writing, independent of the rest of the library so
 * the fuzzer and the unit tests can drive it alone.
 *
 * Reading accepts CRLF and LF line ends, quoted fields with doubled quotes
 * and embedded commas / line breaks, an optional trailing line break and an
 * optional UTF-8 byte-order mark; blank lines (outside quotes) are skipped.
 * It rejects what RFC 4180 does not allow: a quote inside an unquoted field,
 * text after a closing quote, an unterminated quoted field, a carriage return
 * not followed by a line feed outside quotes, and NUL bytes anywhere.
 *
 * Writing quotes a field only when it contains a comma, a quote, CR or LF,
 * and ends every record with CRLF, as RFC 4180 says.
 */
#ifndef LA_CSV_FORMAT_H
#define LA_CSV_FORMAT_H

#include <stddef.h>

/** One record: NUL-terminated fields (lens give their byte lengths). */
typedef struct csv_record {
	size_t line; /* physical line (1-based) on which the record starts */
	size_t count;
	char **fields;
	size_t *lens;
} csv_record;

typedef struct csv_table {
	size_t count;
	csv_record *records;
	size_t capacity;
} csv_table;

/** Where and why parsing failed. message is a static string. */
typedef struct csv_error {
	size_t line;
	const char *message;
} csv_error;

enum { CSV_OK = 0, CSV_ESYNTAX = -1, CSV_ENOMEM = -2 };

/**
 * Parse len bytes of data into *table (zeroed first). On failure the table is
 * freed, *err (if not NULL) says where and why, and CSV_ESYNTAX or
 * CSV_ENOMEM is returned.
 */
int csv_parse(csv_table *table, const char *data, size_t len, csv_error *err);

void csv_table_free(csv_table *table);

/** A growable byte buffer for the writer. */
typedef struct csv_buffer {
	char *data;
	size_t len;
	size_t capacity;
} csv_buffer;

/** Append one record of count fields (NUL-terminated strings). CSV_OK or CSV_ENOMEM. */
int csv_write_record(csv_buffer *buf, const char *const *fields, size_t count);

/** Append raw bytes. CSV_OK or CSV_ENOMEM. */
int csv_buffer_append(csv_buffer *buf, const char *bytes, size_t len);

void csv_buffer_free(csv_buffer *buf);

#endif
