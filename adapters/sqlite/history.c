/*
 * The order history (docs/history.md): a row per change that makes an
 * entry (la_product_change_event), written by the commit in its own
 * transaction (queued, then many rows per statement: insert_rows.c), and
 * read back by order in the order written.
 */
#include <stdio.h>

#include "sqlite_store.h"

static void bind_optional_int(sqlite3_stmt *stmt, int index, int64_t value)
{
	if (value)
		sqlite3_bind_int64(stmt, index, value);
	else
		sqlite3_bind_null(stmt, index);
}

static void bind_entry(sqlite3_stmt *stmt, int first, const struct sq_row *row)
{
	const la_product *product = row->product;
	const la_change *change = &row->change;
	int event = la_product_change_event(product, row->index);
	sq_bind_text(stmt, first, change->orderid);
	sqlite3_bind_int64(stmt, first + 1, la_product_change_time(product, row->index));
	sqlite3_bind_int(stmt, first + 2, event);
	sq_bind_text(stmt, first + 3, la_product_sku(product));
	sqlite3_bind_int64(stmt, first + 4, change->qty);
	sq_bind_text(stmt, first + 5, change->batchref);
	bind_optional_int(
	    stmt, first + 6,
	    event == LA_EVT_DEALLOCATED ? la_product_change_reason(product, row->index) : 0);
	bind_optional_int(stmt, first + 7, la_product_change_expires(product, row->index));
}

static int insert_entry(struct sq_store *store, const struct sq_row *row)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_HISTORY_INSERT);
	if (!stmt)
		return la_error_last_code();
	bind_entry(stmt, 1, row);
	int rc = sqlite3_step(stmt);
	sq_done(stmt);
	return rc == SQLITE_DONE ? LA_OK : sq_fail(store, rc, "writing the order history");
}

static const struct sq_row_kind entries = {
    .many = SQ_HISTORY_INSERT_ROWS,
    .columns = 8,
    .bind = bind_entry,
    .insert_one = insert_entry,
    .conflict = NULL, /* only NOT NULL could fail: its own message says it */
    .what = "writing the order history",
};

int sq_history_queue(struct sq_store *store, const la_product *product, size_t index,
                     const la_change *change)
{
	if (!la_product_change_event(product, index))
		return LA_OK;
	return sq_rows_add(store, &store->history_queued, &entries, product, index, change);
}

int sq_history_flush(struct sq_store *store)
{
	return sq_rows_flush(store, &store->history_queued, &entries);
}

int sq_view_history(la_history_list *into, const char *orderid, void *state)
{
	struct sq_store *store = state;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_VIEW_HISTORY);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, orderid);
	int rc = LA_OK, step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		rc = la_history_list_append(
		    into, sqlite3_column_int64(stmt, 0), sqlite3_column_int(stmt, 1),
		    (const char *)sqlite3_column_text(stmt, 2), sqlite3_column_int64(stmt, 3),
		    (const char *)sqlite3_column_text(stmt, 4), sqlite3_column_int(stmt, 5),
		    sqlite3_column_int64(stmt, 6));
		if (rc == LA_EINVAL) {
			char why[512];
			(void)snprintf(why, sizeof why, "%s", la_error_last()); /* may be cut */
			rc = la_error_set(LA_EDB, "stored order history of %s is inconsistent: %s",
			                  orderid, why);
		}
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading the order history");
	sq_done(stmt);
	return rc;
}
