/*
 * The repository: products loaded lazily (the product row and its batch rows
 * in one query, lines only when a command asks), kept in an identity map
 * until the unit of work ends. The first query of a unit of work carries its
 * BEGIN in the same round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

/* One statement of a round trip. */
struct call {
	enum pg_stmt which;
	int nparams;
	const char *const *values;
};

/* BEGIN if needed, then count statements (at most 2): one round trip.
 * out[i] is the result of calls[i]. */
static int query_all(PGresult **out, struct pg_store *store, const struct call *calls, int count,
                     const char *what)
{
	int rc = store->in_unit ? pg_begin_if_needed(store) : LA_OK;
	int index = store->queued;
	for (int i = 0; i < count; i++)
		out[i] = NULL;
	if (rc == LA_OK && (index >= 8 || count > 2))
		rc = la_error_set(LA_ESTATE, "postgres: too many queued statements");
	for (int i = 0; rc == LA_OK && i < count; i++)
		rc = pg_queue(store, calls[i].which, calls[i].nparams, calls[i].values);
	if (rc != LA_OK)
		return rc;
	PGresult *results[10] = {NULL};
	rc = pg_round_trip(store, results, index + count, what);
	for (int i = 0; rc == LA_OK && i < count; i++) {
		out[i] = results[index + i];
		results[index + i] = NULL;
	}
	pg_clear_results(results, index + count);
	return rc;
}

/* BEGIN if needed, then one statement: one round trip. *out is its result. */
static int query(PGresult **out, struct pg_store *store, enum pg_stmt which, int nparams,
                 const char *const *values, const char *what)
{
	struct call one = {which, nparams, values};
	return query_all(out, store, &one, 1, what);
}

int pg_repo_remember(struct pg_store *store, la_product *product)
{
	if (store->seen_count == store->seen_cap) {
		size_t cap = store->seen_cap ? store->seen_cap * 2 : 8;
		la_product **grown = realloc(store->seen, cap * sizeof *grown);
		if (!grown)
			return la_error_set(LA_ENOMEM, "out of memory");
		store->seen = grown;
		store->seen_cap = cap;
	}
	store->seen[store->seen_count++] = product;
	return LA_OK;
}

la_product *pg_repo_seen(struct pg_store *store, const char *sku)
{
	for (size_t i = 0; i < store->seen_count; i++)
		if (strcmp(la_product_sku(store->seen[i]), sku) == 0)
			return store->seen[i];
	return NULL;
}

void pg_repo_forget_all(struct pg_store *store)
{
	for (size_t i = 0; i < store->seen_count; i++)
		la_product_free(store->seen[i]);
	store->seen_count = 0;
}

/* Rows the domain refuses to load were written by hand or by a bug: that is
 * the database's failure, not bad input from the caller nor a conflict worth
 * retrying. */
int pg_inconsistent(int rc)
{
	if (rc != LA_EINVAL && rc != LA_ECONFLICT)
		return rc;
	char why[512];
	(void)snprintf(why, sizeof why, "%s", la_error_last()); /* may be cut */
	return la_error_set(LA_EDB, "stored data is inconsistent: %s", why);
}

int pg_repo_build(la_product **out, const PGresult *res, int from, int to, const PGresult *waiting,
                  int waiting_from, int waiting_to)
{
	la_product *product = NULL;
	int rc = la_product_load(&product, PQgetvalue(res, from, 7), pg_int(res, from, 0));
	for (int row = from; rc == LA_OK && row < to; row++) {
		if (PQgetisnull(res, row, 1))
			continue; /* a product without batches */
		rc = la_product_load_batch(product, PQgetvalue(res, row, 1), pg_int(res, row, 2),
		                           pg_text(res, row, 3), pg_int(res, row, 4),
		                           pg_int(res, row, 5), pg_int(res, row, 6));
		if (rc == LA_OK && pg_int(res, row, 8))
			rc = la_product_load_batch_held(product, PQgetvalue(res, row, 1),
			                                pg_int(res, row, 8));
	}
	for (int row = waiting_from; rc == LA_OK && row < waiting_to; row++)
		rc = la_product_load_waiting_line(product, PQgetvalue(waiting, row, 0),
		                                  pg_int(waiting, row, 1), pg_int(waiting, row, 2));
	if (rc != LA_OK) {
		rc = pg_inconsistent(rc);
		la_product_free(product);
		return rc;
	}
	*out = product;
	return LA_OK;
}

/* Hand out the product res describes (from memory when res says the
 * remembered version is current: then it has no waiting lines), or
 * LA_ENOTFOUND. */
static int adopt(la_product **out, struct pg_store *store, PGresult *res, const PGresult *waiting,
                 int64_t cached, int have_cached)
{
	if (PQntuples(res) == 0)
		return LA_ENOTFOUND;
	const char *sku = PQgetvalue(res, 0, 7);
	if (pg_repo_seen(store, sku)) {
		/* Already handed out: it is the truth for this unit of work (the
		 * batch was removed from it since). */
		return LA_ENOTFOUND;
	}
	la_product *product = NULL;
	int rc =
	    have_cached && pg_int(res, 0, 0) == cached
	        ? pg_cache_build(&product, store, sku)
	        : pg_repo_build(&product, res, 0, PQntuples(res), waiting, 0, PQntuples(waiting));
	if (rc == LA_OK && (rc = pg_repo_remember(store, product)) != LA_OK)
		la_product_free(product);
	if (rc == LA_OK)
		*out = product;
	return rc;
}

/* The product (which) and its waiting lines (waiting) by key, in one round
 * trip. */
static int load(la_product **out, struct pg_store *store, enum pg_stmt which, enum pg_stmt waiting,
                const char *key, const char *what)
{
	PGresult *res[2];
	struct call calls[2] = {{which, 1, &key}, {waiting, 1, &key}};
	int rc = query_all(res, store, calls, 2, what);
	if (rc != LA_OK)
		return rc;
	rc = adopt(out, store, res[0], res[1], 0, 0);
	pg_clear_results(res, 2);
	return rc;
}

/*
 * The first product a unit of work loads (a batch's first sku: on a hot sku,
 * the only one) is locked before the transaction's snapshot is taken: a
 * session advisory lock in its own implicit transaction, synced before
 * BEGIN, sent in the same round trip as the load. Another process's writer
 * of the same sku then waits for this commit and reads what it wrote,
 * instead of failing its own commit at the version check (which stays, for
 * every other product). pg_unit_end lets it go. A unit of work waiting here
 * holds no other lock, so no deadlock can form around it.
 */
int pg_repo_lock_first(struct pg_store *store, const char *sku)
{
	if (!store->in_unit || store->begun || store->locked)
		return LA_OK;
	int rc = pg_queue(store, PG_PRODUCT_LOCK, 1, &sku);
	if (rc == LA_OK)
		rc = pg_send_deferred(store);
	if (rc == LA_OK)
		store->locked = 1;
	return rc;
}

int pg_repo_get(la_product **out, const char *sku, void *state)
{
	struct pg_store *store = state;
	la_product *known = pg_repo_seen(store, sku);
	if (known) {
		*out = known;
		return LA_OK;
	}
	int rc = pg_repo_lock_first(store, sku);
	if (rc != LA_OK)
		return rc;
	int64_t cached;
	if (!pg_cache_version(&cached, store, sku))
		return load(out, store, PG_PRODUCT_GET, PG_WAITING_GET, sku, "loading a product");
	char version[24];
	const char *params[2] = {sku, pg_fmt_int(version, cached)};
	PGresult *res[2];
	struct call calls[2] = {{PG_PRODUCT_GET_IF_CHANGED, 2, params},
	                        {PG_WAITING_GET_IF_CHANGED, 2, params}};
	rc = query_all(res, store, calls, 2, "loading a product");
	if (rc != LA_OK)
		return rc;
	rc = adopt(out, store, res[0], res[1], cached, 1);
	pg_clear_results(res, 2);
	if (rc == LA_ENOTFOUND)
		pg_cache_drop(store, sku);
	return rc;
}

int pg_repo_get_by_batchref(la_product **out, const char *ref, void *state)
{
	struct pg_store *store = state;
	for (size_t i = 0; i < store->seen_count; i++)
		if (la_product_find_batch(store->seen[i], ref)) {
			*out = store->seen[i];
			return LA_OK;
		}
	/* A remembered batch names its product: load that one by sku (its rows
	 * from memory when current). A batch ref never moves to another product
	 * while it exists, but it may have been removed (and even reused). */
	const char *remembered = pg_cache_sku_of_batch(store, ref);
	char sku[256]; /* a copy (loading may drop the entry); skus are at most 255 bytes */
	if (remembered && snprintf(sku, sizeof sku, "%s", remembered) < (int)sizeof sku) {
		la_product *product;
		int rc = pg_repo_get(&product, sku, store);
		if (rc == LA_OK && la_product_find_batch(product, ref)) {
			*out = product;
			return LA_OK;
		}
		if (rc != LA_OK && rc != LA_ENOTFOUND)
			return rc;
	}
	return load(out, store, PG_PRODUCT_OF_BATCH, PG_WAITING_OF_BATCH, ref,
	            "loading the product of a batch");
}

int pg_repo_add(la_product *product, void *state)
{
	struct pg_store *store = state;
	if (pg_repo_seen(store, la_product_sku(product))) {
		int rc = la_error_set(LA_ECONFLICT, "product %s is already in this unit of work",
		                      la_product_sku(product));
		la_product_free(product);
		return rc;
	}
	int rc = pg_repo_remember(store, product);
	if (rc != LA_OK)
		la_product_free(product);
	return rc;
}

/* Non-zero when some batch of product has stored lines. */
static int has_lines(const la_product *product)
{
	for (size_t i = 0; i < la_product_batch_count(product); i++)
		if (la_batch_line_count(la_product_batch_at(product, i)) > 0)
			return 1;
	return 0;
}

int pg_repo_load_line(la_product *product, const char *orderid, void *state)
{
	struct pg_store *store = state;
	if (la_product_is_new(product) || la_product_find_line(product, orderid) ||
	    !has_lines(product))
		return LA_OK;
	const char *params[2] = {orderid, la_product_sku(product)};
	PGresult *res;
	int rc = query(&res, store, PG_LINE_GET, 2, params, "loading an order line");
	if (rc != LA_OK)
		return rc;
	if (PQntuples(res) > 0)
		rc = pg_inconsistent(la_product_load_held_line(
		    product, PQgetvalue(res, 0, 0), orderid, pg_int(res, 0, 1), pg_int(res, 0, 2),
		    pg_int(res, 0, 3)));
	PQclear(res);
	return rc;
}

int pg_repo_load_lines(la_product *product, const char *const *orderids, size_t count, void *state)
{
	struct pg_store *store = state;
	if (la_product_is_new(product) || !has_lines(product))
		return LA_OK;
	char *array = pg_text_array(orderids, count);
	if (!array)
		return la_error_set(LA_ENOMEM, "out of memory");
	const char *params[2] = {la_product_sku(product), array};
	PGresult *res;
	int rc = query(&res, store, PG_LINES_OF_ORDERS, 2, params, "loading order lines");
	la__free(array);
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++)
		rc = la_product_load_held_line(product, PQgetvalue(res, row, 0),
		                               PQgetvalue(res, row, 1), pg_int(res, row, 3),
		                               pg_int(res, row, 4), pg_int(res, row, 5));
	PQclear(res);
	return rc;
}

int pg_repo_load_batch_lines(la_product *product, const char *ref, void *state)
{
	struct pg_store *store = state;
	int rc = LA_OK;
	if (!la_product_is_new(product)) {
		PGresult *res;
		rc = query(&res, store, PG_LINES_OF_BATCH, 1, &ref, "loading a batch's lines");
		if (rc != LA_OK)
			return rc;
		for (int row = 0; rc == LA_OK && row < PQntuples(res); row++)
			rc = pg_inconsistent(la_product_load_held_line(
			    product, ref, PQgetvalue(res, row, 0), pg_int(res, row, 1),
			    pg_int(res, row, 2), pg_int(res, row, 3)));
		PQclear(res);
	}
	if (rc == LA_OK)
		rc = la_product_batch_lines_loaded(product, ref);
	return rc;
}

int pg_repo_lines_of_order(la_order_line_list *into, const char *orderid, void *state)
{
	PGresult *res;
	int rc =
	    query(&res, state, PG_LINES_OF_ORDER, 1, &orderid, "reading the lines of an order");
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++)
		rc = la_order_line_list_append(into, orderid, PQgetvalue(res, row, 0));
	PQclear(res);
	return rc;
}

int pg_repo_expired_holds(la_order_line_list *into, int64_t now, size_t max, void *state)
{
	char n_now[24], n_max[24];
	const char *params[2] = {
	    pg_fmt_int(n_now, now),
	    pg_fmt_int(n_max, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max)};
	PGresult *res;
	int rc = query(&res, state, PG_EXPIRED_HOLDS, 2, params, "finding expired holds");
	for (int row = 0; rc == LA_OK && row < PQntuples(res); row++)
		rc = la_order_line_list_append(into, PQgetvalue(res, row, 0),
		                               PQgetvalue(res, row, 1));
	PQclear(res);
	return rc;
}
