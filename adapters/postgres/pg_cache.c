/*
 * Committed product rows, remembered per connection (the core's
 * la_product_cache). A product with years of shipments has many batch rows;
 * when the product's version is still the one remembered, get reads one row
 * (the version) instead of all of them and builds the product from memory.
 * Always checked against the version read in the unit of work's own
 * snapshot, so an entry can be stale but never wrong: every change to a
 * product's batches moves its version (the optimistic check relies on the
 * same rule). Lines are never cached.
 */
#include "pg_store.h"

int pg_cache_version(int64_t *out, struct pg_store *store, const char *sku)
{
	return la_product_cache_version(out, store->cache, sku);
}

const char *pg_cache_sku_of_batch(struct pg_store *store, const char *ref)
{
	return la_product_cache_sku_of_batch(store->cache, ref);
}

int pg_cache_build(la_product **out, struct pg_store *store, const char *sku)
{
	int64_t version;
	if (!la_product_cache_version(&version, store->cache, sku))
		return LA_ENOTFOUND;
	return la_product_cache_build(out, store->cache, sku, version);
}

void pg_cache_put(struct pg_store *store, const la_product *product)
{
	/* without a cache (out of memory) every get reads the rows */
	if (store->cache || la_product_cache_new(&store->cache, PG_CACHE_SIZE) == LA_OK)
		la_product_cache_put(store->cache, product);
}

void pg_cache_drop(struct pg_store *store, const char *sku)
{
	la_product_cache_drop(store->cache, sku);
}

void pg_cache_clear(struct pg_store *store)
{
	la_product_cache_free(store->cache);
	store->cache = NULL;
}
