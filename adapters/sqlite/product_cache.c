/*
 * Committed product rows kept per connection (the core's la_product_cache).
 * Every change to a product's batches bumps its version_number, so a cached
 * copy whose version equals the stored one is exact: a unit of work then
 * reads one integer (SELECT version_number) instead of the product and all
 * its batch rows. Another connection's commit changes the version, and the
 * product is read again.
 */
#include "sqlite_store.h"

#define CACHE_MAX 256

int sq_cache_has(struct sq_store *store, const char *sku)
{
	int64_t version;
	return la_product_cache_version(&version, store->cache, sku);
}

int sq_cache_build(la_product **out, struct sq_store *store, const char *sku, int64_t version)
{
	return la_product_cache_build(out, store->cache, sku, version);
}

void sq_cache_store(struct sq_store *store, const la_product *product)
{
	/* made on first use; without one (out of memory) every get reads the rows */
	if (store->cache || la_product_cache_new(&store->cache, CACHE_MAX) == LA_OK)
		la_product_cache_put(store->cache, product);
}

void sq_cache_free(struct sq_store *store)
{
	la_product_cache_free(store->cache);
	store->cache = NULL;
}
