/*
 * The read models, answered from the tables the units of work keep current:
 * allocations_view (and the waiting lines) for an order, batch rows (with
 * their stored figures and their sku's waiting quantity) for the dashboard. One statement each, in
 * an implicit transaction.
 */
#include <stdio.h>

#include "pg_store.h"

static int run(PGresult **out, struct pg_store *store, enum pg_stmt which, int nparams,
               const char *const *values, const char *what)
{
	*out = NULL;
	if (store->in_unit)
		return la_error_set(LA_ESTATE,
		                    "postgres: read model queried inside a unit of work");
	int rc = pg_ensure_connected(store);
	if (rc == LA_OK)
		rc = pg_queue(store, which, nparams, values);
	if (rc == LA_OK)
		rc = pg_round_trip(store, out, 1, what);
	if (rc != LA_OK) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

int pg_view_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	PGresult *res;
	int rc = run(&res, state, PG_VIEW_ALLOCATIONS, 1, &orderid, "reading allocations");
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++) {
		const char *batchref = pg_text(res, row, 1);
		int64_t expires = pg_int(res, row, 2);
		int status = !batchref ? LA_LINE_BACKORDERED
		             : expires ? LA_LINE_HELD
		                       : LA_LINE_ALLOCATED;
		rc = la_allocation_list_append_line(into, PQgetvalue(res, row, 0), batchref, status,
		                                    expires);
	}
	PQclear(res);
	return rc;
}

/* Append dashboard row `row` of res (columns of BATCH_COLUMNS). */
static int append_row(la_batch_page *into, const PGresult *res, int row)
{
	return la_batch_page_append_row(into, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
	                                pg_text(res, row, 2), pg_int(res, row, 3),
	                                pg_int(res, row, 4), pg_int(res, row, 5),
	                                pg_int(res, row, 7), pg_int(res, row, 8));
}

int pg_view_batch(la_batch_page *into, const char *ref, void *state)
{
	PGresult *res;
	int rc = run(&res, state, PG_VIEW_BATCH, 1, &ref, "reading a batch");
	if (rc == LA_OK && PQntuples(res) == 1)
		rc = append_row(into, res, 0);
	PQclear(res);
	return rc;
}

int pg_view_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                    void *state)
{
	if (limit == 0)
		limit = LA_BATCH_PAGE_DEFAULT;
	if (limit > LA_BATCH_PAGE_MAX)
		limit = LA_BATCH_PAGE_MAX;
	char *after_sku = NULL;
	int32_t after_eta = 0;
	int64_t after_seq = 0;
	int rc = LA_OK;
	if (after && (rc = la_batch_cursor_decode(&after_sku, &after_eta, &after_seq, after)))
		return rc;

	/* One row more than asked: whether a next page exists. */
	char n_limit[24], n_eta[24], n_seq[24];
	const char *p[5];
	int n = 0;
	enum pg_stmt which;
	p[n++] = pg_fmt_int(n_limit, (int64_t)limit + 1);
	if (sku)
		p[n++] = sku;
	if (after) {
		p[n++] = after_sku;
		p[n++] = pg_fmt_int(n_eta, after_eta);
		p[n++] = pg_fmt_int(n_seq, after_seq);
		which = sku ? PG_VIEW_BATCHES_OF_SKU_AFTER : PG_VIEW_BATCHES_AFTER;
	} else {
		which = sku ? PG_VIEW_BATCHES_OF_SKU : PG_VIEW_BATCHES;
	}
	PGresult *res;
	rc = run(&res, state, which, n, p, "reading the batch dashboard");
	la_free(after_sku);
	if (rc != LA_OK)
		return rc;
	int rows = PQntuples(res);
	int shown = rows > (int)limit ? (int)limit : rows;
	for (int row = 0; rc == LA_OK && row < shown; row++)
		rc = append_row(into, res, row);
	if (rc == LA_OK && rows > (int)limit) {
		char *cursor = NULL;
		rc = la_batch_cursor_encode(&cursor, PQgetvalue(res, shown - 1, 1),
		                            pg_text(res, shown - 1, 2), pg_int(res, shown - 1, 6));
		if (rc == LA_OK)
			rc = la_batch_page_set_next(into, cursor);
		la_free(cursor);
	}
	PQclear(res);
	return rc;
}

int pg_view_history(la_history_list *into, const char *orderid, void *state)
{
	PGresult *res;
	int rc = run(&res, state, PG_VIEW_HISTORY, 1, &orderid, "reading the order history");
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++) {
		rc = la_history_list_append(into, pg_int(res, row, 0), (int)pg_int(res, row, 1),
		                            PQgetvalue(res, row, 2), pg_int(res, row, 3),
		                            pg_text(res, row, 4), (int)pg_int(res, row, 5),
		                            pg_int(res, row, 6));
		if (rc == LA_EINVAL) {
			char why[512];
			(void)snprintf(why, sizeof why, "%s", la_error_last()); /* may be cut */
			rc = la_error_set(LA_EDB, "stored order history of %s is inconsistent: %s",
			                  orderid, why);
		}
	}
	PQclear(res);
	return rc;
}
