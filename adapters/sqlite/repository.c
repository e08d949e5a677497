/*
 * The repository: products loaded lazily (product row and batch rows; lines
 * only on request), kept in an identity map for the unit of work so that a
 * product asked for twice is the same object, and freed at its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

static la_product *seen_find(const struct sq_store *store, const char *sku)
{
	return la__strmap_get(&store->seen_by_sku, sku);
}

/* Takes product: frees it on failure. */
static int seen_add(struct sq_store *store, la_product *product)
{
	if (store->seen_count == store->seen_cap) {
		size_t cap = store->seen_cap ? store->seen_cap * 2 : 4;
		la_product **grown = realloc(store->seen, cap * sizeof *grown);
		if (!grown) {
			la_product_free(product);
			return la_error_set(LA_ENOMEM, "Out of memory");
		}
		store->seen = grown;
		store->seen_cap = cap;
	}
	/* the key is the product's own sku: it lives as long as the product */
	if (la__strmap_put(&store->seen_by_sku, la_product_sku(product), product) != 0) {
		la_product_free(product);
		return la_error_set(LA_ENOMEM, "Out of memory");
	}
	store->seen[store->seen_count++] = product;
	return LA_OK;
}

void sq_repo_clear(struct sq_store *store)
{
	for (size_t i = 0; i < store->seen_count; i++)
		la_product_free(store->seen[i]);
	store->seen_count = 0;
	la__strmap_clear(&store->seen_by_sku);
}

static int require_transaction(const struct sq_store *store)
{
	if (!store->in_uow)
		return la_error_set(LA_ESTATE, "SQLite store: repository used outside a unit of "
		                               "work");
	return LA_OK;
}

int sq_repo_add(la_product *product, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc == LA_OK && seen_find(store, la_product_sku(product)))
		rc = la_error_set(LA_ECONFLICT, "Product %s already exists",
		                  la_product_sku(product));
	if (rc != LA_OK) {
		la_product_free(product);
		return rc;
	}
	return seen_add(store, product);
}

/* Rows the domain refuses to load were written by hand or by a bug: that is
 * the database's failure, not bad input from the caller nor a conflict worth
 * retrying. */
static int inconsistent(int rc)
{
	if (rc != LA_EINVAL && rc != LA_ECONFLICT)
		return rc;
	char why[512];
	(void)snprintf(why, sizeof why, "%s", la_error_last()); /* may be cut */
	return la_error_set(LA_EDB, "stored data is inconsistent: %s", why);
}

/* Build the product from the rows of SQ_PRODUCT_GET (already stepped once). */
static int load_rows(la_product **out, struct sq_store *store, sqlite3_stmt *stmt, const char *sku)
{
	la_product *product;
	int rc = la_product_load(&product, sku, sqlite3_column_int64(stmt, 0));
	if (rc != LA_OK)
		return inconsistent(rc);
	int step = SQLITE_ROW;
	while (step == SQLITE_ROW && rc == LA_OK) {
		if (sqlite3_column_type(stmt, 1) != SQLITE_NULL) /* LEFT JOIN: no batch */
			rc = la_product_load_batch(
			    product, (const char *)sqlite3_column_text(stmt, 1),
			    sqlite3_column_int64(stmt, 2),
			    (const char *)sqlite3_column_text(stmt, 3),
			    sqlite3_column_int64(stmt, 4), sqlite3_column_int64(stmt, 5),
			    sqlite3_column_int64(stmt, 6));
		if (rc == LA_OK && sqlite3_column_int64(stmt, 7))
			rc = la_product_load_batch_held(product,
			                                (const char *)sqlite3_column_text(stmt, 1),
			                                sqlite3_column_int64(stmt, 7));
		if (rc == LA_OK)
			step = sqlite3_step(stmt);
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "loading a product");
	if (rc != LA_OK) {
		rc = inconsistent(rc);
		la_product_free(product);
		return rc;
	}
	*out = product;
	return LA_OK;
}

/* Every line of product waiting for stock (the queue is whole or absent). */
static int load_waiting(struct sq_store *store, la_product *product)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_WAITING_OF_PRODUCT);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, la_product_sku(product));
	int rc = LA_OK, step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = inconsistent(la_product_load_waiting_line(
		    product, (const char *)sqlite3_column_text(stmt, 0),
		    sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2)));
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "loading the lines waiting for stock");
	sq_done(stmt);
	return rc;
}

/* The product row and its batch rows in one statement, then its waiting
 * lines. */
static int load_product(la_product **out, struct sq_store *store, const char *sku)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_PRODUCT_GET);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, sku);
	int rc, step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		rc = load_rows(out, store, stmt, sku);
	else if (step == SQLITE_DONE)
		rc = LA_ENOTFOUND;
	else
		rc = sq_fail(store, step, "loading a product");
	sq_done(stmt);
	if (rc == LA_OK && (rc = load_waiting(store, *out)) != LA_OK)
		la_product_free(*out);
	if (rc == LA_OK)
		sq_cache_store(store, *out);
	return rc;
}

/* A cached product is checked against the stored version: one integer read
 * instead of every batch row; on a mismatch the rows are read again. */
static int load_cached(la_product **out, struct sq_store *store, const char *sku)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_PRODUCT_VERSION);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, sku);
	int rc = LA_OK, step = sqlite3_step(stmt);
	int64_t version = step == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	if (step == SQLITE_DONE)
		rc = LA_ENOTFOUND;
	else if (step != SQLITE_ROW)
		rc = sq_fail(store, step, "reading a product's version");
	sq_done(stmt);
	if (rc != LA_OK)
		return rc;
	rc = sq_cache_build(out, store, sku, version);
	return rc == LA_ENOTFOUND ? load_product(out, store, sku) : rc;
}

int sq_repo_get(la_product **out, const char *sku, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc != LA_OK)
		return rc;
	la_product *product = seen_find(store, sku);
	if (product) {
		*out = product;
		return LA_OK;
	}
	rc = sq_cache_has(store, sku) ? load_cached(&product, store, sku)
	                              : load_product(&product, store, sku);
	if (rc != LA_OK)
		return rc;
	rc = seen_add(store, product);
	if (rc == LA_OK)
		*out = product;
	return rc;
}

int sq_repo_get_by_batchref(la_product **out, const char *ref, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc != LA_OK)
		return rc;
	for (size_t i = 0; i < store->seen_count; i++)
		if (la_product_find_batch(store->seen[i], ref)) {
			*out = store->seen[i];
			return LA_OK;
		}
	sqlite3_stmt *stmt = sq_stmt(store, SQ_PRODUCT_OF_BATCH);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, ref);
	char sku[512];
	int step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(stmt, 0);
		size_t len = text ? strlen(text) : 0;
		if (len >= sizeof sku)
			len = sizeof sku - 1;
		memcpy(sku, text ? text : "", len);
		sku[len] = '\0';
		rc = LA_OK;
	} else if (step == SQLITE_DONE) {
		rc = LA_ENOTFOUND;
	} else {
		rc = sq_fail(store, step, "finding a batch");
	}
	sq_done(stmt);
	if (rc != LA_OK)
		return rc;
	return sq_repo_get(out, sku, state);
}

int sq_repo_load_line(la_product *product, const char *orderid, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	/* a line deallocated in this unit of work is still in the table until
	 * commit; la_product_load_line ignores it */
	if (rc != LA_OK || la_product_find_line(product, orderid))
		return rc;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_LINE_GET);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, orderid);
	sq_bind_text(stmt, 2, la_product_sku(product));
	int step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		rc = inconsistent(la_product_load_held_line(
		    product, (const char *)sqlite3_column_text(stmt, 0), orderid,
		    sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2),
		    sqlite3_column_int64(stmt, 3)));
	else if (step != SQLITE_DONE)
		rc = sq_fail(store, step, "loading an order line");
	sq_done(stmt);
	return rc;
}

int sq_repo_load_batch_lines(la_product *product, const char *ref, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc != LA_OK)
		return rc;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_LINES_OF_BATCH);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, ref);
	int step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *orderid = (const char *)sqlite3_column_text(stmt, 0);
		rc = inconsistent(la_product_load_held_line(
		    product, ref, orderid, sqlite3_column_int64(stmt, 1),
		    sqlite3_column_int64(stmt, 2), sqlite3_column_int64(stmt, 3)));
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "loading the lines of a batch");
	sq_done(stmt);
	if (rc == LA_OK)
		rc = la_product_batch_lines_loaded(product, ref);
	return rc;
}

/* Step stmt (bound) and append (orderid, sku) of each row: the orderid is
 * column orderid_col, or orderid itself when that is -1. */
static int append_lines(la_order_line_list *into, struct sq_store *store, sqlite3_stmt *stmt,
                        const char *orderid, int orderid_col, int sku_col, const char *what)
{
	int rc = LA_OK, step = SQLITE_DONE;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW)
		rc = la_order_line_list_append(
		    into,
		    orderid_col < 0 ? orderid
		                    : (const char *)sqlite3_column_text(stmt, orderid_col),
		    (const char *)sqlite3_column_text(stmt, sku_col));
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, what);
	sq_done(stmt);
	return rc;
}

int sq_repo_lines_of_order(la_order_line_list *into, const char *orderid, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc != LA_OK)
		return rc;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_LINES_OF_ORDER);
	if (!stmt)
		return la_error_last_code();
	sq_bind_text(stmt, 1, orderid);
	return append_lines(into, store, stmt, orderid, -1, 0, "reading the lines of an order");
}

int sq_repo_expired_holds(la_order_line_list *into, int64_t now, size_t max, void *state)
{
	struct sq_store *store = state;
	int rc = require_transaction(store);
	if (rc != LA_OK)
		return rc;
	sqlite3_stmt *stmt = sq_stmt(store, SQ_EXPIRED_HOLDS);
	if (!stmt)
		return la_error_last_code();
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max);
	return append_lines(into, store, stmt, NULL, 0, 1, "finding expired holds");
}
