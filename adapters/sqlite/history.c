/*
 * The order history (docs/history.md): a row per change that makes an
 * entry (la_product_change_event), written by the commit in its own
 * transaction, and read back by order in the order written.
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

int sq_history_write(struct sq_store *store, const la_product *product, size_t index,
                     const la_change *change)
{
	int event = la_product_change_event(product, index);
	if (!event)
		return LA_OK;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_HISTORY_INSERT);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, change->orderid);
	sqlite3_bind_int64(stmt, 2, la_product_change_time(product, index));
	sqlite3_bind_int(stmt, 3, event);
	sq_bind_text(stmt, 4, la_product_sku(product));
	sqlite3_bind_int64(stmt, 5, change->qty);
	sq_bind_text(stmt, 6, change->batchref);
	bind_optional_int(
	    stmt, 7, event == LA_EVT_DEALLOCATED ? la_product_change_reason(product, index) : 0);
	bind_optional_int(stmt, 8, la_product_change_expires(product, index));
	int rc = sqlite3_step(stmt);
	sq_done(stmt);
	return rc == SQLITE_DONE ? LA_OK : sq_fail(store, rc, "writing the order history");
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
