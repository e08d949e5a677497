/*
 * Pending reallocations (docs/reliability.md): one row per line a
 * stock_reduced deallocation left without a place, written and removed in
 * the transaction of its product's other changes.
 */
#include "sqlite_store.h"

int sq_reallocation_write(struct sq_store *store, const char *sku, const la_change *change)
{
	int pending = change->kind == LA_CHANGE_REALLOCATION_PENDING;
	sqlite3_stmt *stmt = sq_stmt(store, pending ? SQ_PENDING_INSERT : SQ_PENDING_DELETE);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, change->orderid);
	sq_bind_text(stmt, 2, sku);
	if (pending)
		sqlite3_bind_int64(stmt, 3, change->qty);
	int rc = sqlite3_step(stmt);
	sq_done(stmt);
	if (rc != SQLITE_DONE)
		return sq_fail(store, rc,
		               pending ? "recording a pending reallocation"
		                       : "removing a pending reallocation");
	return LA_OK;
}

int sq_pending_reallocations(la_order_line_list *into, size_t max, void *state)
{
	struct sq_store *store = state;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_PENDING_LIST);
	if (!stmt)
		return la_error_last_code();
	sqlite3_bind_int64(stmt, 1, max > INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	int rc = LA_OK, step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = la_order_line_list_append_qty(into, (const char *)sqlite3_column_text(stmt, 0),
		                                   (const char *)sqlite3_column_text(stmt, 1),
		                                   sqlite3_column_int64(stmt, 2));
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "reading pending reallocations");
	sq_done(stmt);
	return rc;
}
