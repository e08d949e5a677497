/*
 * Committed product rows, remembered per connection. A product with years of
 * shipments has many batch rows; when the product's version is still the one
 * remembered, get reads one row (the version) instead of all of them and
 * builds the product from memory. Always checked against the version read in
 * the unit of work's own snapshot, so an entry can be stale but never wrong:
 * every change to a product's batches moves its version (the optimistic
 * check relies on the same rule). Lines are never cached.
 */
#include <stdlib.h>
#include <string.h>

#include "pg_store.h"

struct pg_cached_batch {
	char *ref;
	char *eta;
	int64_t purchased, allocated, line_count, sequence;
};

struct pg_cached_product {
	char *sku;
	int64_t version;
	struct pg_cached_batch *batches;
	size_t count;
};

static void entry_clear(struct pg_cached_product *e)
{
	for (size_t i = 0; i < e->count; i++) {
		free(e->batches[i].ref);
		free(e->batches[i].eta);
	}
	free(e->batches);
	free(e->sku);
	memset(e, 0, sizeof *e);
}

void pg_cache_clear(struct pg_store *store)
{
	for (size_t i = 0; i < PG_CACHE_SIZE; i++)
		if (store->cache[i])
			entry_clear(store->cache[i]);
	for (size_t i = 0; i < PG_CACHE_SIZE; i++)
		free(store->cache[i]);
	memset(store->cache, 0, sizeof store->cache);
}

static struct pg_cached_product *find(struct pg_store *store, const char *sku)
{
	for (size_t i = 0; i < PG_CACHE_SIZE; i++)
		if (store->cache[i] && store->cache[i]->sku &&
		    strcmp(store->cache[i]->sku, sku) == 0)
			return store->cache[i];
	return NULL;
}

int pg_cache_version(int64_t *out, struct pg_store *store, const char *sku)
{
	const struct pg_cached_product *e = find(store, sku);
	if (!e)
		return 0;
	*out = e->version;
	return 1;
}

const char *pg_cache_sku_of_batch(struct pg_store *store, const char *ref)
{
	for (size_t i = 0; i < PG_CACHE_SIZE; i++) {
		const struct pg_cached_product *e = store->cache[i];
		for (size_t b = 0; e && b < e->count; b++)
			if (strcmp(e->batches[b].ref, ref) == 0)
				return e->sku;
	}
	return NULL;
}

void pg_cache_drop(struct pg_store *store, const char *sku)
{
	struct pg_cached_product *e = find(store, sku);
	if (e)
		entry_clear(e);
}

int pg_cache_build(la_product **out, struct pg_store *store, const char *sku)
{
	const struct pg_cached_product *e = find(store, sku);
	if (!e)
		return LA_ENOTFOUND;
	la_product *product = NULL;
	int rc = la_product_load(&product, e->sku, e->version);
	for (size_t i = 0; rc == LA_OK && i < e->count; i++) {
		const struct pg_cached_batch *b = &e->batches[i];
		rc = la_product_load_batch(product, b->ref, b->purchased, b->eta, b->allocated,
		                           b->line_count, b->sequence);
	}
	if (rc != LA_OK) {
		la_product_free(product);
		return rc;
	}
	*out = product;
	return LA_OK;
}

static char *dup_or_null(const char *text)
{
	return text ? pg_strdup(text) : NULL;
}

/* Fill e from product; 0 when out of memory (e is then cleared). */
static int snapshot(struct pg_cached_product *e, const la_product *product)
{
	size_t count = la_product_batch_count(product);
	e->sku = pg_strdup(la_product_sku(product));
	e->version = la_product_version(product);
	e->batches = count ? calloc(count, sizeof *e->batches) : NULL;
	if (!e->sku || (count && !e->batches)) {
		entry_clear(e);
		return 0;
	}
	for (size_t i = 0; i < count; i++, e->count++) {
		const la_batch *batch = la_product_batch_at(product, i);
		struct pg_cached_batch *b = &e->batches[i];
		b->ref = pg_strdup(la_batch_reference(batch));
		b->eta = dup_or_null(la_batch_eta(batch));
		b->purchased = la_batch_purchased_quantity(batch);
		b->allocated = la_batch_allocated_quantity(batch);
		b->line_count = la_batch_line_count(batch);
		b->sequence = la_batch_sequence(batch);
		if (!b->ref || (la_batch_eta(batch) && !b->eta)) {
			e->count++;
			entry_clear(e);
			return 0;
		}
	}
	return 1;
}

void pg_cache_put(struct pg_store *store, const la_product *product)
{
	/* only a product exactly as stored at its version */
	if (la_product_is_new(product) || la_product_change_count(product) > 0 ||
	    la_product_version(product) != la_product_saved_version(product))
		return;
	struct pg_cached_product *e = find(store, la_product_sku(product));
	if (e && e->version == la_product_version(product))
		return; /* already current */
	if (e) {
		entry_clear(e);
	} else {
		size_t slot = store->cache_next;
		store->cache_next = (store->cache_next + 1) % PG_CACHE_SIZE;
		if (!store->cache[slot] && !(store->cache[slot] = calloc(1, sizeof *e)))
			return;
		e = store->cache[slot];
		entry_clear(e);
	}
	snapshot(e, product);
}
