/*
 * The unit of work: one BEGIN IMMEDIATE transaction. Commit writes only what
 * the products recorded in their change logs (the deltas), behind the
 * optimistic version check, and the outbox rows, then COMMIT.
 */
#include <stdlib.h>

#include "sqlite_store.h"

/* Step a statement that returns no rows; *changes = rows it touched. */
static int run(struct sq_store *store, sqlite3_stmt *stmt, int *changes, const char *what)
{
	int rc = sqlite3_step(stmt);
	sq_done(stmt);
	if (rc != SQLITE_DONE)
		return sq_fail(store, rc, what);
	if (changes)
		*changes = sqlite3_changes(store->db);
	return LA_OK;
}

/* A delta that must touch exactly one row, else storage and model disagree. */
static int run_one(struct sq_store *store, sqlite3_stmt *stmt, const char *what, const char *name)
{
	int changes = 0;
	int rc = run(store, stmt, &changes, what);
	if (rc == LA_OK && changes != 1)
		rc = la_error_set(LA_ECONFLICT, "SQLite %s: %s: %s is not stored as expected",
		                  store->path, what, name);
	return rc;
}

#define STMT(store, which)                                                                         \
	sqlite3_stmt *stmt = sq_stmt((store), (which));                                            \
	if (!stmt)                                                                                 \
		return la_error_last_code();

static int batch_added(struct sq_store *store, const char *sku, const la_change *c)
{
	STMT(store, SQ_BATCH_INSERT);
	sq_bind_text(stmt, 1, c->batchref);
	sq_bind_text(stmt, 2, sku);
	sqlite3_bind_int64(stmt, 3, c->qty);
	sq_bind_text(stmt, 4, c->eta);
	sqlite3_bind_int(stmt, 5, c->eta ? la_date_key(c->eta) : 0);
	sqlite3_bind_int64(stmt, 6, c->sequence);
	int rc = run(store, stmt, NULL, "adding a batch");
	if (rc == LA_ECONFLICT)
		rc = la_error_set(LA_ECONFLICT, "Batch reference %s already exists", c->batchref);
	return rc;
}

static int batch_quantity(struct sq_store *store, const la_change *c)
{
	STMT(store, SQ_BATCH_QUANTITY);
	sq_bind_text(stmt, 1, c->batchref);
	sqlite3_bind_int64(stmt, 2, c->qty);
	return run_one(store, stmt, "changing a batch quantity", c->batchref);
}

static int batch_removed(struct sq_store *store, const la_change *c)
{
	STMT(store, SQ_BATCH_DELETE);
	sq_bind_text(stmt, 1, c->batchref);
	return run_one(store, stmt, "removing a batch", c->batchref);
}

static void bind_line(sqlite3_stmt *stmt, int first, const struct sq_row *row)
{
	const la_change *c = &row->change;
	sq_bind_text(stmt, first, c->orderid);
	sq_bind_text(stmt, first + 1, la_product_sku(row->product));
	sq_bind_text(stmt, first + 2, c->batchref);
	sqlite3_bind_int64(stmt, first + 3, c->qty);
	sqlite3_bind_int64(stmt, first + 4, c->sequence);
	sqlite3_bind_int64(stmt, first + 5, la_product_change_expires(row->product, row->index));
}

static int line_allocated(struct sq_store *store, const struct sq_row *row)
{
	STMT(store, SQ_LINE_INSERT);
	bind_line(stmt, 1, row);
	int rc = run(store, stmt, NULL, "storing an allocation");
	if (rc == LA_ECONFLICT)
		return la_error_set(LA_ECONFLICT, "Order line %s %s is already allocated",
		                    row->change.orderid, la_product_sku(row->product));
	return rc;
}

/* Whether (orderid, sku) of row is stored. */
static int line_stored(struct sq_store *store, const struct sq_row *row)
{
	sqlite3_stmt *stmt = sq_stmt(store, SQ_LINE_GET);
	if (!stmt)
		return 0;
	sq_bind_text(stmt, 1, row->change.orderid);
	sq_bind_text(stmt, 2, la_product_sku(row->product));
	int found = sqlite3_step(stmt) == SQLITE_ROW;
	sq_done(stmt);
	return found;
}

/* The error a single insert would have given: the first row already
 * stored (else the constraint's own message stays). */
static void lines_conflict(struct sq_store *store, const struct sq_row *rows, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (line_stored(store, &rows[i])) {
			(void)la_error_set(LA_ECONFLICT, "Order line %s %s is already allocated",
			                   rows[i].change.orderid, la_product_sku(rows[i].product));
			return;
		}
}

static const struct sq_row_kind lines = {
    .many = SQ_LINE_INSERT_ROWS,
    .columns = 6,
    .bind = bind_line,
    .insert_one = line_allocated,
    .conflict = lines_conflict,
    .what = "storing allocations",
};

static int line_deallocated(struct sq_store *store, const char *sku, const la_change *c)
{
	STMT(store, SQ_LINE_DELETE);
	sq_bind_text(stmt, 1, c->orderid);
	sq_bind_text(stmt, 2, sku);
	return run_one(store, stmt, "removing an allocation", c->orderid);
}

static int line_confirmed(struct sq_store *store, const char *sku, const la_change *c)
{
	STMT(store, SQ_LINE_CONFIRM);
	sq_bind_text(stmt, 1, c->orderid);
	sq_bind_text(stmt, 2, sku);
	return run_one(store, stmt, "confirming a hold", c->orderid);
}

static int line_waiting(struct sq_store *store, const char *sku, const la_change *c)
{
	STMT(store, SQ_WAITING_INSERT);
	sq_bind_text(stmt, 1, sku);
	sq_bind_text(stmt, 2, c->orderid);
	sqlite3_bind_int64(stmt, 3, c->qty);
	sqlite3_bind_int64(stmt, 4, c->sequence);
	int rc = run(store, stmt, NULL, "storing a waiting line");
	if (rc == LA_ECONFLICT)
		return la_error_set(LA_ECONFLICT, "Order line %s %s is already waiting", c->orderid,
		                    sku);
	return rc;
}

static int line_unwaited(struct sq_store *store, const char *sku, const la_change *c)
{
	STMT(store, SQ_WAITING_DELETE);
	sq_bind_text(stmt, 1, sku);
	sq_bind_text(stmt, 2, c->orderid);
	return run_one(store, stmt, "removing a waiting line", c->orderid);
}

/* The batch rows' allocated quantity, line count and held quantity, once
 * per batch whose lines changed (and that still exists), from the product's figures. */
static int write_figures(struct sq_store *store)
{
	size_t index = 0;
	const char *ref;
	void *value;
	int rc = LA_OK;
	while (rc == LA_OK && la__strmap_next(&store->lines_changed, &index, &ref, &value)) {
		const la_batch *b = la_product_find_batch(value, ref);
		if (!b)
			continue; /* removed in this unit of work */
		STMT(store, SQ_BATCH_FIGURES);
		sq_bind_text(stmt, 1, ref);
		sqlite3_bind_int64(stmt, 2, la_batch_allocated_quantity(b));
		sqlite3_bind_int64(stmt, 3, la_batch_line_count(b));
		sqlite3_bind_int64(stmt, 4, la_batch_held_quantity(b));
		rc = run_one(store, stmt, "updating a batch's allocation", ref);
	}
	return rc;
}

/* Change index of product p, read into c. */
static int write_change(struct sq_store *store, const la_product *p, size_t index,
                        const la_change *c)
{
	const char *sku = la_product_sku(p);
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED:
		return batch_added(store, sku, c);
	case LA_CHANGE_BATCH_QUANTITY:
		return batch_quantity(store, c);
	case LA_CHANGE_BATCH_REMOVED:
		return batch_removed(store, c);
	case LA_CHANGE_LINE_ALLOCATED:
		return sq_rows_add(store, &store->lines_queued, &lines, p, index, c);
	case LA_CHANGE_LINE_DEALLOCATED:
		return line_deallocated(store, sku, c);
	case LA_CHANGE_LINE_CONFIRMED:
		return line_confirmed(store, sku, c);
	case LA_CHANGE_LINE_WAITING:
		return line_waiting(store, sku, c);
	case LA_CHANGE_LINE_UNWAITED:
		return line_unwaited(store, sku, c);
	case LA_CHANGE_REALLOCATION_PENDING:
	case LA_CHANGE_REALLOCATION_DONE:
		return sq_reallocation_write(store, sku, c);
	default:
		return la_error_set(LA_EUNSUPPORTED, "SQLite store: unknown change kind %d",
		                    c->kind);
	}
}

/* Insert a new product, or move its version from saved to current. */
static int write_version(struct sq_store *store, const la_product *p)
{
	const char *sku = la_product_sku(p);
	int changes = 0;
	if (la_product_is_new(p)) {
		STMT(store, SQ_PRODUCT_INSERT);
		sq_bind_text(stmt, 1, sku);
		sqlite3_bind_int64(stmt, 2, la_product_version(p));
		int rc = run(store, stmt, NULL, "adding a product");
		if (rc == LA_ECONFLICT)
			rc = la_error_set(LA_ECONFLICT, "Product %s already exists", sku);
		return rc;
	}
	STMT(store, SQ_PRODUCT_BUMP);
	sq_bind_text(stmt, 1, sku);
	sqlite3_bind_int64(stmt, 2, la_product_version(p));
	sqlite3_bind_int64(stmt, 3, la_product_saved_version(p));
	int rc = run(store, stmt, &changes, "updating a product's version");
	if (rc == LA_OK && changes != 1)
		rc = la_error_set(LA_ECONFLICT,
		                  "Product %s was changed concurrently (expected version %lld)",
		                  sku, (long long)la_product_saved_version(p));
	return rc;
}

static int changed(const la_product *p)
{
	return la_product_is_new(p) || la_product_change_count(p) ||
	       la_product_version(p) != la_product_saved_version(p);
}

/* (order, product, index): the order la_products_next_change gives, since
 * each product's changes are in order; sorted once instead of scanning every
 * product for every change (10,000 changes over 100 products in an import). */
static int by_order(const void *a, const void *b)
{
	const struct sq_change_ref *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->product != y->product)
		return x->product < y->product ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* store->changes: every change of the unit of work, in the order made; *count. */
static int order_changes(struct sq_store *store, size_t *count)
{
	size_t n = 0;
	for (size_t i = 0; i < store->seen_count; i++)
		n += la_product_change_count(store->seen[i]);
	if (n > store->changes_cap) {
		struct sq_change_ref *grown = realloc(store->changes, n * sizeof *grown);
		if (!grown)
			return la_error_set(LA_ENOMEM, "Out of memory");
		store->changes = grown;
		store->changes_cap = n;
	}
	n = 0;
	for (size_t i = 0; i < store->seen_count; i++) {
		const la_product *p = store->seen[i];
		for (size_t j = 0; j < la_product_change_count(p); j++)
			store->changes[n++] =
			    (struct sq_change_ref){la_product_change_order(p, j), i, j};
	}
	if (n > 1)
		qsort(store->changes, n, sizeof *store->changes, by_order);
	*count = n;
	return LA_OK;
}

/* Change c of the unit of work, its history entry, and the batch whose
 * figures it changes. Allocations are queued; any other change first
 * inserts those queued, so that it finds them stored. */
static int write_one(struct sq_store *store, size_t c)
{
	la_change change;
	la_product *p = store->seen[store->changes[c].product];
	size_t index = store->changes[c].index;
	int rc = la_product_change_at(&change, p, index);
	if (rc == LA_OK && change.kind != LA_CHANGE_LINE_ALLOCATED)
		rc = sq_rows_flush(store, &store->lines_queued, &lines);
	if (rc == LA_OK)
		rc = write_change(store, p, index, &change);
	if (rc == LA_OK)
		rc = sq_history_queue(store, p, index, &change);
	if (rc == LA_OK &&
	    (change.kind == LA_CHANGE_LINE_ALLOCATED || change.kind == LA_CHANGE_LINE_DEALLOCATED ||
	     change.kind == LA_CHANGE_LINE_CONFIRMED) &&
	    la__strmap_put(&store->lines_changed, change.batchref, p) != 0)
		rc = la_error_set(LA_ENOMEM, "Out of memory");
	return rc;
}

/* Every product's version check first, then every change in the order it
 * was made across products (a batch reference moved between products, an
 * order's rows in allocation order), then the outbox. */
static int write_products(struct sq_store *store)
{
	store->lines_queued.count = 0;
	store->history_queued.count = 0;
	int rc = LA_OK;
	for (size_t i = 0; i < store->seen_count && rc == LA_OK; i++)
		if (changed(store->seen[i]))
			rc = write_version(store, store->seen[i]);
	size_t count = 0;
	if (rc == LA_OK)
		rc = order_changes(store, &count);
	la__strmap_clear(&store->lines_changed);
	for (size_t c = 0; rc == LA_OK && c < count; c++)
		rc = write_one(store, c);
	if (rc == LA_OK)
		rc = sq_rows_flush(store, &store->lines_queued, &lines);
	if (rc == LA_OK)
		rc = sq_history_flush(store);
	if (rc == LA_OK)
		rc = write_figures(store);
	for (size_t i = 0; i < store->seen_count && rc == LA_OK; i++)
		if ((store->flags & LA_STORE_OUTBOX) && changed(store->seen[i]))
			rc = sq_outbox_write(store, store->seen[i]);
	return rc;
}

static void rollback_transaction(struct sq_store *store)
{
	/* Some errors (I/O, full disk) have already rolled SQLite back. */
	if (store->in_transaction && !sqlite3_get_autocommit(store->db))
		sq_exec_cached(store, SQ_ROLLBACK, "rolling back");
	store->in_transaction = 0;
}

int sq_uow_begin(void *state)
{
	struct sq_store *store = state;
	if (store->in_uow)
		return la_error_set(LA_ESTATE, "SQLite store: a unit of work is already open");
	int rc = sq_exec_cached(store, SQ_BEGIN, "beginning a unit of work");
	if (rc != LA_OK)
		return rc;
	store->in_uow = 1;
	store->in_transaction = 1;
	return LA_OK;
}

int sq_uow_commit(void *state)
{
	struct sq_store *store = state;
	if (!store->in_transaction)
		return la_error_set(LA_ESTATE, "SQLite store: commit outside a unit of work");
	int rc = write_products(store);
	if (rc == LA_OK)
		rc = sq_exec_cached(store, SQ_COMMIT, "committing");
	if (rc != LA_OK) {
		rollback_transaction(store);
		return rc;
	}
	store->in_transaction = 0;
	for (size_t i = 0; i < store->seen_count; i++) {
		la_product *p = store->seen[i];
		int written = changed(p);
		la_product_changes_saved(p);
		if (written)
			sq_cache_store(store, p); /* now exactly what is stored */
	}
	return LA_OK;
}

void sq_uow_rollback(void *state)
{
	struct sq_store *store = state;
	rollback_transaction(store);
	for (size_t i = 0; i < store->seen_count; i++)
		la_product_revert_changes(store->seen[i]);
}

void sq_uow_end(void *state)
{
	struct sq_store *store = state;
	rollback_transaction(store);
	sq_repo_clear(store);
	store->in_uow = 0;
}
