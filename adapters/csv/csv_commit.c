/*
 * Commit of the CSV folder store: check every product touched (optimistic
 * version check, unique batch references), apply their change logs to the
 * rows in memory, then rewrite the changed files atomically.
 */
#include "csv_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Batch references this unit of work removes: adding one again is fine. */
static int collect_removed(la__strmap *removed, const csv_store *s)
{
	for (size_t i = 0; i < s->seen_count; i++) {
		size_t n = la_product_change_count(s->seen[i]);
		for (size_t k = 0; k < n; k++) {
			la_change c;
			if (la_product_change_at(&c, s->seen[i], k) == LA_OK &&
			    c.kind == LA_CHANGE_BATCH_REMOVED &&
			    la__strmap_put(removed, c.batchref, (void *)c.batchref))
				return la_error_set(LA_ENOMEM, "out of memory");
		}
	}
	return LA_OK;
}

/* allocations.csv has the book's four columns: a hold's end or a line
 * waiting for stock has no place in it (docs/csv.md). Checked before any row
 * changes, so the refused unit of work writes nothing. */
static int check_fits(const la_change *c, const char *sku, int64_t expires)
{
	if (c->kind == LA_CHANGE_LINE_ALLOCATED && expires)
		return la_error_set(
		    LA_EUNSUPPORTED,
		    "the CSV store keeps no holds (allocations.csv has no column "
		    "for a hold's end): allocate order %s's %s without a hold time, "
		    "or use the SQLite or PostgreSQL store",
		    c->orderid, sku);
	if (c->kind == LA_CHANGE_LINE_WAITING)
		return la_error_set(LA_EUNSUPPORTED,
		                    "the CSV store keeps no backorders (allocations.csv has no "
		                    "place for a line waiting for stock): order %s's %s cannot "
		                    "wait; run without backorders, or use the SQLite or "
		                    "PostgreSQL store",
		                    c->orderid, sku);
	return LA_OK;
}

static int check_product(const csv_store *s, const la__strmap *removed, const la_product *p)
{
	const char *sku = la_product_sku(p);
	if (la_product_is_new(p)) {
		if (csv_store_knows(s, sku))
			return la_error_set(LA_ECONFLICT, "product %s already exists", sku);
	} else if (csv_data_version(&s->data, sku) != la_product_saved_version(p)) {
		return la_error_set(LA_ECONFLICT, "product %s was changed concurrently", sku);
	}
	size_t n = la_product_change_count(p);
	for (size_t i = 0; i < n; i++) {
		la_change c;
		int rc = la_product_change_at(&c, p, i);
		if (rc)
			return rc;
		if (c.kind == LA_CHANGE_BATCH_ADDED &&
		    csv_data_find_batch(&s->data, c.batchref) >= 0 &&
		    !la__strmap_get(removed, c.batchref))
			return la_error_set(LA_ECONFLICT, "batch reference %s already exists",
			                    c.batchref);
		if ((rc = check_fits(&c, sku, la_product_change_expires(p, i))) != LA_OK)
			return rc;
	}
	return LA_OK;
}

static int apply_change(csv_store *s, const char *sku, const la_change *c)
{
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED:
		s->dirty_batches = 1;
		return csv_data_add_batch(&s->data, c->batchref, sku, c->qty, c->eta, c->sequence);
	case LA_CHANGE_BATCH_QUANTITY:
		s->dirty_batches = 1;
		return csv_data_set_quantity(&s->data, c->batchref, c->qty);
	case LA_CHANGE_BATCH_REMOVED:
		s->dirty_batches = 1;
		return csv_data_remove_batch(&s->data, c->batchref);
	case LA_CHANGE_LINE_ALLOCATED:
		s->dirty_allocations = 1;
		return csv_data_add_line(&s->data, c->orderid, sku, c->qty, c->batchref,
		                         c->sequence);
	case LA_CHANGE_LINE_DEALLOCATED:
		s->dirty_allocations = 1;
		return csv_data_remove_line(&s->data, c->orderid, sku);
	default:
		return la_error_set(LA_EUNSUPPORTED, "unknown change kind %d", c->kind);
	}
}

/* Every change in the order it was made, across products (a batch
 * reference moved between products, an order's rows in allocation order). */
static int apply_changes(csv_store *s)
{
	size_t *positions = calloc(s->seen_count ? s->seen_count : 1, sizeof *positions);
	if (!positions)
		return la_error_set(LA_ENOMEM, "out of memory");
	int rc = LA_OK;
	size_t k;
	while (rc == LA_OK &&
	       (k = la_products_next_change(s->seen, s->seen_count, positions)) < s->seen_count) {
		la_change c;
		rc = la_product_change_at(&c, s->seen[k], positions[k] - 1);
		if (rc == LA_OK)
			rc = apply_change(s, la_product_sku(s->seen[k]), &c);
	}
	free(positions);
	return rc;
}

static int record_version(csv_store *s, const la_product *p)
{
	const char *sku = la_product_sku(p);
	if (!la__strmap_get(&s->known_skus, sku)) {
		char *copy = la__strdup(sku);
		if (!copy || la__strmap_put(&s->known_skus, copy, copy)) {
			la__free(copy);
			return la_error_set(LA_ENOMEM, "out of memory");
		}
	}
	return csv_data_set_version(&s->data, sku, la_product_version(p));
}

static int has_changes(const la_product *p)
{
	return la_product_change_count(p) > 0;
}

int csv_store_commit(void *state)
{
	csv_store *s = state;
	la__strmap removed = LA__STRMAP_INIT;
	int rc = collect_removed(&removed, s);
	for (size_t i = 0; rc == LA_OK && i < s->seen_count; i++)
		if (has_changes(s->seen[i]))
			rc = check_product(s, &removed, s->seen[i]);
	la__strmap_dispose(&removed);
	if (rc)
		return rc;
	rc = apply_changes(s);
	for (size_t i = 0; rc == LA_OK && i < s->seen_count; i++)
		if (has_changes(s->seen[i]))
			rc = record_version(s, s->seen[i]);
	if (rc) {
		/* memory is half-changed: re-read the untouched files next time */
		s->loaded = 0;
		if (s->deferred)
			s->broken = 1;
		if (rc == LA_ECONFLICT) { /* not a race a retry would fix */
			char msg[512];
			(void)snprintf(msg, sizeof(msg), "%s", la_error_last()); /* may be cut */
			rc = la_error_set(LA_EDB, "%s", msg);
		}
		return rc;
	}
	if (!s->deferred) {
		rc = csv_store_write(s);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < s->seen_count; i++)
		la_product_changes_saved(s->seen[i]);
	return LA_OK;
}
