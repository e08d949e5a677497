/* The batch dashboard over the CSV rows: sort, skip to the cursor, page. */
#include "csv_store.h"

#include "util/batch_order.h"

#include <stdlib.h>
#include <string.h>

typedef struct row_key {
	const csv_batch *batch;
	int32_t eta_key;
} row_key;

static int compare_rows(const void *a, const void *b)
{
	const row_key *x = a, *y = b;
	return la__batch_order_compare(x->batch->sku, x->eta_key, x->batch->sequence, y->batch->sku,
	                               y->eta_key, y->batch->sequence);
}

int csv_store_batches(la_batch_page *into, const csv_data *data, const char *sku, size_t limit,
                      const char *after)
{
	char *after_sku = NULL;
	int32_t after_eta = 0;
	int64_t after_seq = 0;
	if (after) {
		int rc = la_batch_cursor_decode(&after_sku, &after_eta, &after_seq, after);
		if (rc)
			return rc;
	}
	if (limit == 0)
		limit = LA_BATCH_PAGE_DEFAULT;
	row_key *rows = malloc((data->batch_count ? data->batch_count : 1) * sizeof(*rows));
	if (!rows) {
		la_free(after_sku);
		return la_error_set(LA_ENOMEM, "out of memory");
	}
	size_t n = 0;
	for (size_t i = 0; i < data->batch_count; i++) {
		const csv_batch *b = &data->batches[i];
		if (b->removed || (sku && strcmp(b->sku, sku) != 0))
			continue;
		int32_t key = la_date_key(b->eta);
		if (after_sku && la__batch_order_compare(b->sku, key, b->sequence, after_sku,
		                                         after_eta, after_seq) <= 0)
			continue;
		rows[n].batch = b;
		rows[n].eta_key = key;
		n++;
	}
	la_free(after_sku);
	qsort(rows, n, sizeof(*rows), compare_rows);
	int rc = LA_OK;
	size_t shown = n < limit ? n : limit;
	for (size_t i = 0; rc == LA_OK && i < shown; i++) {
		const csv_batch *b = rows[i].batch;
		rc = la_batch_page_append(into, b->ref, b->sku, b->eta, b->purchased, b->allocated,
		                          b->lines);
	}
	if (rc == LA_OK && n > shown) {
		const csv_batch *last = rows[shown - 1].batch;
		char *cursor = NULL;
		rc = la_batch_cursor_encode(&cursor, last->sku, last->eta, last->sequence);
		if (rc == LA_OK)
			rc = la_batch_page_set_next(into, cursor);
		la_free(cursor);
	}
	free(rows);
	return rc;
}
