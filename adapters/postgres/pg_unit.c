/*
 * The unit of work. begin costs nothing (BEGIN travels with the first
 * query); commit sends every write, the optimistic version check, the outbox
 * rows and COMMIT in one pipeline: one round trip. A unit of work that wrote
 * nothing, and a rollback, do not wait for the server at all: their
 * COMMIT/ROLLBACK is sent at once and its result read with the next round
 * trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

/* Statements queued before an intermediate sync (keeps socket buffers small). */
#define PG_MAX_QUEUED 256

int pg_unit_begin(void *state)
{
	struct pg_store *store = state;
	if (store->in_unit)
		return la_error_set(LA_ESTATE, "postgres: a unit of work is already open");
	int rc = pg_ensure_connected(store);
	if (rc != LA_OK)
		return rc;
	store->in_unit = 1;
	store->begun = 0;
	return LA_OK;
}

/* The rows a commit writes many at a time: allocated lines in runs (a run
 * ends where another kind of change comes, so every write keeps its place
 * among the others) and the order history (written last: no other row
 * depends on it). */
struct commit_rows {
	struct pg_array orderid, sku, batchref, qty, sequence, expires;
	struct pg_history_rows history;
};

static void add_allocated(struct commit_rows *rows, const la_product *product, size_t index,
                          const la_change *c)
{
	pg_array_text(&rows->orderid, c->orderid);
	pg_array_text(&rows->sku, la_product_sku(product));
	pg_array_text(&rows->batchref, c->batchref);
	pg_array_int(&rows->qty, c->qty);
	pg_array_int(&rows->sequence, c->sequence);
	pg_array_int(&rows->expires, la_product_change_expires(product, index));
}

/* Queue the run of allocated lines (if any): one INSERT. */
static int queue_allocated(struct pg_store *store, struct commit_rows *rows)
{
	struct pg_array *columns[6] = {&rows->orderid, &rows->sku,      &rows->batchref,
	                               &rows->qty,     &rows->sequence, &rows->expires};
	return pg_queue_arrays(store, PG_LINE_ALLOCATE, columns, 6);
}

static void dispose_rows(struct commit_rows *rows)
{
	struct pg_array *all[14] = {&rows->orderid,         &rows->sku,
	                            &rows->batchref,        &rows->qty,
	                            &rows->sequence,        &rows->expires,
	                            &rows->history.orderid, &rows->history.at,
	                            &rows->history.event,   &rows->history.sku,
	                            &rows->history.qty,     &rows->history.batchref,
	                            &rows->history.reason,  &rows->history.expires};
	for (size_t i = 0; i < 14; i++)
		pg_array_dispose(all[i]);
}

/* Change index of product, read into c (not LINE_ALLOCATED: add_allocated). */
static int queue_change(struct pg_store *store, const la_product *product, size_t index,
                        const la_change *c)
{
	char n1[24], n2[24], n3[24];
	const char *sku = la_product_sku(product);
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED: {
		const char *p[6] = {c->batchref,
		                    sku,
		                    pg_fmt_int(n1, c->qty),
		                    c->eta,
		                    pg_fmt_int(n2, c->eta ? la_date_key(c->eta) : 0),
		                    pg_fmt_int(n3, c->sequence)};
		return pg_queue(store, PG_BATCH_INSERT, 6, p);
	}
	case LA_CHANGE_BATCH_QUANTITY: {
		const char *p[2] = {c->batchref, pg_fmt_int(n1, c->qty)};
		return pg_queue(store, PG_BATCH_QUANTITY, 2, p);
	}
	case LA_CHANGE_BATCH_REMOVED:
		return pg_queue(store, PG_BATCH_DELETE, 1, &c->batchref);
	case LA_CHANGE_LINE_DEALLOCATED: {
		const char *p[2] = {c->orderid, sku};
		return pg_queue(store, PG_LINE_DEALLOCATE, 2, p);
	}
	case LA_CHANGE_LINE_CONFIRMED: {
		const char *p[2] = {c->orderid, sku};
		return pg_queue(store, PG_LINE_CONFIRM, 2, p);
	}
	case LA_CHANGE_LINE_WAITING: {
		const char *p[4] = {sku, c->orderid, pg_fmt_int(n1, c->qty),
		                    pg_fmt_int(n2, c->sequence)};
		return pg_queue(store, PG_WAITING_INSERT, 4, p);
	}
	case LA_CHANGE_LINE_UNWAITED: {
		const char *p[2] = {sku, c->orderid};
		return pg_queue(store, PG_WAITING_DELETE, 2, p);
	}
	case LA_CHANGE_REALLOCATION_PENDING:
	case LA_CHANGE_REALLOCATION_DONE:
		return pg_reallocation_queue(store, sku, c);
	default:
		return la_error_set(LA_EUNSUPPORTED, "postgres: unknown change kind %d", c->kind);
	}
}

/* Keep the pipeline short: an intermediate sync does not end the transaction. */
static int maybe_flush(struct pg_store *store)
{
	if (store->queued < PG_MAX_QUEUED)
		return LA_OK;
	return pg_round_trip(store, NULL, 0, "writing changes");
}

static int changed(const la_product *product)
{
	return la_product_is_new(product) || la_product_change_count(product) > 0 ||
	       la_product_version(product) != la_product_saved_version(product);
}

/* The batch rows' allocated quantity, line count and held quantity, once
 * per batch whose lines changed (and that still exists), from the
 * product's figures: one statement. */
static int queue_figures(struct pg_store *store)
{
	struct pg_array ref = PG_ARRAY_INIT, allocated = PG_ARRAY_INIT, lines = PG_ARRAY_INIT,
	                held = PG_ARRAY_INIT;
	size_t index = 0;
	const char *batchref;
	void *value;
	while (la__strmap_next(&store->lines_changed, &index, &batchref, &value)) {
		const la_batch *b = la_product_find_batch(value, batchref);
		if (!b)
			continue; /* removed in this unit of work */
		pg_array_text(&ref, batchref);
		pg_array_int(&allocated, la_batch_allocated_quantity(b));
		pg_array_int(&lines, la_batch_line_count(b));
		pg_array_int(&held, la_batch_held_quantity(b));
	}
	struct pg_array *columns[4] = {&ref, &allocated, &lines, &held};
	return pg_queue_arrays(store, PG_BATCH_FIGURES, columns, 4);
}

static int by_sku(const void *a, const void *b)
{
	return strcmp(la_product_sku(*(const la_product *const *)a),
	              la_product_sku(*(const la_product *const *)b));
}

/* Every changed product's version, in sku order: the first row locks a
 * transaction takes are its products', always in the same order, so two
 * processes committing units on the same skus wait for one another (and the
 * later one fails the version check and retries) instead of deadlocking,
 * which PostgreSQL resolves only after deadlock_timeout (a second). */
static int queue_versions(struct pg_store *store, int *any)
{
	const la_product **changed_ones = malloc(store->seen_count * sizeof *changed_ones);
	if (store->seen_count && !changed_ones)
		return la_error_set(LA_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < store->seen_count; i++) {
		if (changed(store->seen[i]))
			changed_ones[n++] = store->seen[i];
	}
	if (n > 1)
		qsort(changed_ones, n, sizeof *changed_ones, by_sku);
	struct pg_array skus = PG_ARRAY_INIT, old = PG_ARRAY_INIT, new = PG_ARRAY_INIT;
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < n; i++) {
		const la_product *p = changed_ones[i];
		if (la_product_is_new(p)) {
			char version[24];
			const char *params[2] = {la_product_sku(p),
			                         pg_fmt_int(version, la_product_version(p))};
			rc = pg_queue(store, PG_PRODUCT_INSERT, 2, params);
			continue;
		}
		pg_array_text(&skus, la_product_sku(p));
		pg_array_int(&old, la_product_saved_version(p));
		pg_array_int(&new, la_product_version(p));
	}
	struct pg_array *columns[3] = {&skus, &old, &new};
	if (rc == LA_OK)
		rc = pg_queue_arrays(store, PG_PRODUCT_SAVE_VERSION, columns, 3);
	else
		for (size_t i = 0; i < 3; i++)
			pg_array_dispose(columns[i]);
	*any |= n > 0;
	free(changed_ones);
	return rc;
}

/* Every change in the order it was made across products (a batch reference
 * moved between products, an order's rows in allocation order), the
 * allocated lines in runs; then the history rows. */
static int queue_changes(struct pg_store *store, struct commit_rows *rows)
{
	size_t k;
	int rc = LA_OK;
	while (rc == LA_OK && (k = la_products_next_change(store->seen, store->seen_count,
	                                                   store->positions)) < store->seen_count) {
		la_change change;
		size_t index = store->positions[k] - 1;
		rc = la_product_change_at(&change, store->seen[k], index);
		if (rc != LA_OK)
			break;
		if (change.kind == LA_CHANGE_LINE_ALLOCATED) {
			add_allocated(rows, store->seen[k], index, &change);
		} else {
			rc = queue_allocated(store, rows); /* the run before it */
			if (rc == LA_OK)
				rc = queue_change(store, store->seen[k], index, &change);
		}
		pg_history_add(&rows->history, store->seen[k], index, &change);
		if (rc == LA_OK)
			rc = maybe_flush(store);
		if (rc == LA_OK &&
		    (change.kind == LA_CHANGE_LINE_ALLOCATED ||
		     change.kind == LA_CHANGE_LINE_DEALLOCATED ||
		     change.kind == LA_CHANGE_LINE_CONFIRMED) &&
		    la__strmap_put(&store->lines_changed, change.batchref, store->seen[k]) != 0)
			rc = la_error_set(LA_ENOMEM, "out of memory");
	}
	if (rc == LA_OK)
		rc = queue_allocated(store, rows);
	if (rc == LA_OK)
		rc = pg_history_queue(store, &rows->history);
	return rc;
}

/* Every changed product's version first (each product row locked once, in
 * sku order), then the changes, the batches' figures and the outbox.
 * *any set when something was queued. */
static int queue_products(struct pg_store *store, int *any)
{
	int rc = queue_versions(store, any);
	if (rc == LA_OK && store->seen_count > store->positions_cap) {
		size_t *grown = realloc(store->positions, store->seen_count * sizeof *grown);
		if (grown) {
			store->positions = grown;
			store->positions_cap = store->seen_count;
		} else {
			rc = la_error_set(LA_ENOMEM, "out of memory");
		}
	}
	if (rc == LA_OK && store->seen_count)
		memset(store->positions, 0, store->seen_count * sizeof *store->positions);
	la__strmap_clear(&store->lines_changed);
	struct commit_rows rows = {0};
	if (rc == LA_OK)
		rc = queue_changes(store, &rows);
	dispose_rows(&rows);
	if (rc == LA_OK)
		rc = queue_figures(store);
	if (rc == LA_OK && (store->flags & LA_STORE_OUTBOX))
		rc = pg_outbox_queue(store, (const la_product *const *)store->seen,
		                     store->seen_count);
	return rc;
}

/* Finish the transaction without waiting for the server's answer. */
static void finish_deferred(struct pg_store *store, const char *sql)
{
	if (store->begun && !store->broken && pg_queue_sql(store, sql) == LA_OK)
		pg_send_deferred(store);
	store->begun = 0;
}

/*
 * The connection was lost after COMMIT was sent and before its answer came:
 * the transaction may have committed or not. Still LA_EDB (a store failure:
 * the bus retries only conflicts, so it does not run the command again
 * blindly), with a message that says the outcome is unknown, not that
 * nothing changed. Re-running the command is safe because every command is
 * idempotent (Allocate per (orderid, sku), CreateBatch with the same values,
 * ChangeBatchQuantity's absolute quantity); docs/postgres.md.
 */
static int outcome_unknown(void)
{
	char why[512];
	(void)snprintf(why, sizeof why, "%s", la_error_last()); /* may be cut */
	la_log(LA_LOG_WARN, "postgres: the outcome of a commit is unknown (connection lost)");
	return la_error_set(LA_EDB,
	                    "%s; the outcome of the commit is unknown: it may have been "
	                    "applied",
	                    why);
}

int pg_unit_commit(void *state)
{
	struct pg_store *store = state;
	if (!store->in_unit)
		return la_error_set(LA_ESTATE, "postgres: commit outside a unit of work");
	int any = 0;
	int rc = pg_begin_if_needed(store);
	if (rc == LA_OK)
		rc = queue_products(store, &any);
	if (rc == LA_OK && !any) {
		/* Read only: nothing can fail at COMMIT worth waiting for. */
		finish_deferred(store, "COMMIT");
		for (size_t i = 0; i < store->seen_count; i++)
			pg_cache_put(store, store->seen[i]);
		return LA_OK;
	}
	if (rc == LA_OK)
		rc = pg_queue_sql(store, "COMMIT");
	/* The first product's lock goes in the same round trip, right behind
	 * COMMIT: the server lets the next writer in the moment the commit is
	 * durable, not one round trip later. Should COMMIT fail, the unlock is
	 * skipped with it and pg_unit_end sends it after the ROLLBACK. */
	int unlocking = rc == LA_OK && store->locked;
	if (unlocking)
		rc = pg_queue(store, PG_PRODUCT_UNLOCK, 0, NULL);
	if (rc == LA_OK) {
		int commit_at = store->queued - 1 - unlocking;
		rc = pg_round_trip(store, NULL, 0, "committing");
		if (rc == LA_OK && unlocking)
			store->locked = 0;
		if (rc != LA_OK && store->result_lost) /* COMMIT was sent, its answer lost */
			rc = la_error_set(LA_EDB,
			                  "PostgreSQL: out of memory reading the answer to "
			                  "COMMIT; the outcome of the commit is unknown: it may "
			                  "have been applied");
		/* Lost with COMMIT sent, and no statement before it refused by the
		 * server: the server may have committed before the connection went. */
		else if (rc != LA_OK && store->broken &&
		         !(store->failed_at >= 0 && store->failed_at < commit_at))
			rc = outcome_unknown();
	}
	if (rc != LA_OK) {
		/* The transaction is aborted (or gone with the connection); what
		 * is remembered of these products is probably stale now. */
		finish_deferred(store, "ROLLBACK");
		for (size_t i = 0; i < store->seen_count; i++)
			pg_cache_drop(store, la_product_sku(store->seen[i]));
		return rc;
	}
	store->begun = 0;
	for (size_t i = 0; i < store->seen_count; i++) {
		la_product_changes_saved(store->seen[i]);
		pg_cache_put(store, store->seen[i]);
	}
	return LA_OK;
}

void pg_unit_rollback(void *state)
{
	struct pg_store *store = state;
	/* Statements queued but not sent belong to the abandoned transaction;
	 * they run (or are skipped) before the ROLLBACK. */
	finish_deferred(store, "ROLLBACK");
}

void pg_unit_end(void *state)
{
	struct pg_store *store = state;
	if (store->begun)
		pg_unit_rollback(state);
	if (store->locked && !store->broken && pg_queue(store, PG_PRODUCT_UNLOCK, 0, NULL) == LA_OK)
		pg_send_deferred(store); /* after COMMIT or ROLLBACK: its answer waits */
	if (store->locked && store->broken && store->conn) {
		/* A session given up on may still be alive, holding the lock
		 * another process waits for: end it now, not at the next use. */
		PQfinish(store->conn);
		store->conn = NULL;
	}
	store->locked = 0;
	pg_repo_forget_all(store);
	store->in_unit = 0;
}
