/*
 * libFuzzer target for the RFC 4180 reader and writer. Any input must parse
 * or fail cleanly (no crash, no leak, no UB); whatever parses must survive
 * write-then-read unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const csv_table *a, const csv_table *b)
{
	if (a->count != b->count)
		abort();
	for (size_t r = 0; r < a->count; r++) {
		const csv_record *x = &a->records[r], *y = &b->records[r];
		if (x->count != y->count)
			abort();
		for (size_t i = 0; i < x->count; i++)
			if (x->lens[i] != y->lens[i] ||
			    memcmp(x->fields[i], y->fields[i], x->lens[i]) != 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	csv_table first, second;
	csv_error err;
	if (csv_parse(&first, (const char *)data, size, &err) != CSV_OK) {
		if (!err.message)
			abort();
		return 0;
	}
	csv_buffer buf = {0};
	for (size_t r = 0; r < first.count; r++)
		if (csv_write_record(&buf, (const char *const *)first.records[r].fields,
		                     first.records[r].count) != CSV_OK)
			abort();
	if (csv_parse(&second, buf.data ? buf.data : "", buf.len, &err) != CSV_OK)
		abort();
	check_same(&first, &second);
	csv_table_free(&first);
	csv_table_free(&second);
	csv_buffer_free(&buf);
	return 0;
}
