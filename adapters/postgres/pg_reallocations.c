/*
 * Pending reallocations (docs/reliability.md): one row per line a
 * stock_reduced deallocation left without a place, written and removed in
 * the pipeline of its product's other changes, so in their transaction.
 */
#include "pg_store.h"

int pg_reallocation_queue(struct pg_store *store, const char *sku, const la_change *change)
{
	char qty[24];
	const char *p[3] = {change->orderid, sku, pg_fmt_int(qty, change->qty)};
	if (change->kind == LA_CHANGE_REALLOCATION_PENDING)
		return pg_queue(store, PG_PENDING_INSERT, 3, p);
	return pg_queue(store, PG_PENDING_DELETE, 2, p);
}

int pg_pending_reallocations(la_order_line_list *into, size_t max, void *state)
{
	struct pg_store *store = state;
	if (store->in_unit)
		return la_error_set(LA_ESTATE,
		                    "postgres: pending reallocations read inside a unit of work");
	char limit[24];
	const char *p[1] = {pg_fmt_int(limit, max > INT64_MAX ? INT64_MAX : (int64_t)max)};
	PGresult *res = NULL;
	int rc = pg_ensure_connected(store);
	if (rc == LA_OK)
		rc = pg_queue(store, PG_PENDING_LIST, 1, p);
	if (rc == LA_OK)
		rc = pg_round_trip(store, &res, 1, "reading pending reallocations");
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++)
		rc = la_order_line_list_append_qty(into, pg_text(res, row, 0), pg_text(res, row, 1),
		                                   pg_int(res, row, 2));
	PQclear(res);
	return rc;
}
