/*
 * The read models, answered from the tables the commit keeps current, never
 * by loading aggregates: allocations_view (and the waiting lines) for an
 * order, and the batch dashboard as one keyset-paginated SELECT over the
 * batch rows with their sku's waiting quantity.
 */
#include <stdint.h>
#include <string.h>

#include "sqlite_store.h"

int sq_view_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	struct sq_store *store = state;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_VIEW_ALLOCATIONS);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, orderid);
	int rc = LA_OK, step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *batchref = (const char *)sqlite3_column_text(stmt, 1);
		int64_t expires = sqlite3_column_int64(stmt, 2);
		int status = !batchref ? LA_LINE_BACKORDERED
		             : expires ? LA_LINE_HELD
		                       : LA_LINE_ALLOCATED;
		rc = la_allocation_list_append_line(
		    into, (const char *)sqlite3_column_text(stmt, 0), batchref, status, expires);
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading allocations");
	sq_done(stmt);
	return rc;
}

/* Bind the key to start after: ?1 sku, ?2 eta key, ?3 sequence. Without a
 * cursor, before everything (SKUs are at least one byte long, eta keys are
 * >= 0). With a sku filter, ?1 is that sku and a cursor on another sku means
 * from its start or nothing at all; so the index is entered at the cursor. */
static int bind_cursor(sqlite3_stmt *stmt, const char *sku, const char *after, char **owned_sku)
{
	int32_t eta_key = -1;
	int64_t sequence = INT64_MIN;
	*owned_sku = NULL;
	if (after) {
		int rc = la_batch_cursor_decode(owned_sku, &eta_key, &sequence, after);
		if (rc != LA_OK)
			return rc;
	}
	if (sku) {
		int order = *owned_sku ? strcmp(*owned_sku, sku) : -1;
		if (order < 0) {
			eta_key = -1;
			sequence = INT64_MIN;
		} else if (order > 0) {
			eta_key = INT32_MAX;
			sequence = INT64_MAX;
		}
		sq_bind_text(stmt, 1, sku);
	} else {
		sq_bind_text(stmt, 1, *owned_sku ? *owned_sku : "");
	}
	sqlite3_bind_int(stmt, 2, eta_key);
	sqlite3_bind_int64(stmt, 3, sequence);
	return LA_OK;
}

/* The cursor of the page's last row: where the next page starts. */
static int set_next(la_batch_page *page, int64_t last_sequence)
{
	size_t last = la_batch_page_count(page) - 1;
	char *cursor = NULL;
	int rc = la_batch_cursor_encode(&cursor, la_batch_page_sku(page, last),
	                                la_batch_page_eta(page, last), last_sequence);
	if (rc == LA_OK)
		rc = la_batch_page_set_next(page, cursor);
	la_free(cursor);
	return rc;
}

/* Append the dashboard row the statement is on (columns of BATCH_ROW). */
static int append_row(la_batch_page *into, sqlite3_stmt *stmt)
{
	return la_batch_page_append_row(
	    into, (const char *)sqlite3_column_text(stmt, 0),
	    (const char *)sqlite3_column_text(stmt, 1), (const char *)sqlite3_column_text(stmt, 2),
	    sqlite3_column_int64(stmt, 3), sqlite3_column_int64(stmt, 4),
	    sqlite3_column_int64(stmt, 5), sqlite3_column_int64(stmt, 7),
	    sqlite3_column_int64(stmt, 8));
}

int sq_view_batch(la_batch_page *into, const char *ref, void *state)
{
	struct sq_store *store = state;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_VIEW_BATCH);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, ref);
	int rc = LA_OK, step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		rc = append_row(into, stmt);
	else if (step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading a batch");
	sq_done(stmt);
	return rc;
}

int sq_view_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                    void *state)
{
	struct sq_store *store = state;
	if (limit == 0)
		limit = LA_BATCH_PAGE_DEFAULT;
	if (limit > LA_BATCH_PAGE_MAX)
		limit = LA_BATCH_PAGE_MAX;
	sqlite3_stmt *stmt = sq_stmt(store, sku ? SQ_VIEW_BATCHES_OF_SKU : SQ_VIEW_BATCHES);
	if (!stmt)
		return la_error_last_code();
	char *cursor_sku;
	int rc = bind_cursor(stmt, sku, after, &cursor_sku);
	if (rc != LA_OK)
		return rc;
	sqlite3_bind_int64(stmt, 4, (sqlite3_int64)limit + 1); /* one more: is there a next page? */
	size_t rows = 0;
	int64_t last_sequence = 0;
	int step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (rows == limit) {
			rc = set_next(into, last_sequence);
			step = SQLITE_DONE;
			break;
		}
		rc = append_row(into, stmt);
		last_sequence = sqlite3_column_int64(stmt, 6);
		rows++;
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading the batch dashboard");
	sq_done(stmt);
	la_free(cursor_sku);
	return rc;
}
