/*
 * libFuzzer target for the CSV store's loader: input = batches.csv bytes,
 * optionally followed by a NUL and allocations.csv bytes. Any input loads
 * or fails with a message naming a file; whatever loads is written back and
 * must load again to the same rows.
 */
#include <allocation/sys/ports.h>

#include <stdlib.h>
#include <string.h>

#include "csv_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const csv_data *a, const csv_data *b)
{
	size_t j = 0;
	for (size_t i = 0; i < a->batch_count; i++) {
		const csv_batch *x = &a->batches[i];
		if (x->removed)
			continue;
		const csv_batch *y = &b->batches[j++];
		if (strcmp(x->ref, y->ref) != 0 || strcmp(x->sku, y->sku) != 0 ||
		    x->purchased != y->purchased || x->allocated != y->allocated ||
		    x->lines != y->lines || (x->eta == NULL) != (y->eta == NULL) ||
		    (x->eta && strcmp(x->eta, y->eta) != 0))
			abort();
	}
	if (j != b->batch_count || a->line_count != b->line_count)
		abort();
}

/* Each batch's figures are the sums of its lines, computed without overflow
 * (a wrapped sum is negative even where no sanitizer watches). */
static void check_sums(const csv_data *d)
{
	for (size_t i = 0; i < d->batch_count; i++) {
		int64_t sum = 0, lines = 0;
		for (size_t j = 0; j < d->line_count; j++)
			if (!d->lines[j].removed &&
			    strcmp(d->lines[j].batchref, d->batches[i].ref) == 0) {
				if (__builtin_add_overflow(sum, d->lines[j].qty, &sum))
					abort();
				lines++;
			}
		if (d->batches[i].allocated != sum || d->batches[i].allocated < 0 ||
		    d->batches[i].lines != lines)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t blen = nul ? (size_t)(nul - text) : size;
	const char *alloc = nul ? nul + 1 : NULL;
	size_t alen = nul ? size - blen - 1 : 0;

	csv_data first, second;
	if (csv_data_load(&first, text, blen, alloc, alen) != LA_OK) {
		const char *msg = la_error_last();
		if (strncmp(msg, "batches.csv", 11) != 0 &&
		    strncmp(msg, "allocations.csv", 15) != 0)
			abort();
		return 0;
	}
	check_sums(&first);
	csv_buffer b = {0}, a = {0};
	if (csv_data_write_batches(&first, &b) || csv_data_write_allocations(&first, &a))
		abort();
	if (csv_data_load(&second, b.data, b.len, a.data, a.len) != LA_OK)
		abort();
	check_same(&first, &second);
	csv_data_free(&first);
	csv_data_free(&second);
	csv_buffer_free(&b);
	csv_buffer_free(&a);
	return 0;
}
