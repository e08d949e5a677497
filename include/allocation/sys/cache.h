/**
 * @file
 * liballocation — a cache of stored products, for store adapters.
 *
 * A database store can keep the products it last loaded or committed, keyed
 * by sku and checked by version number: every change to a product's batches
 * moves its version, so an entry whose version equals the stored one is
 * exact, and a unit of work can read one integer instead of every batch row.
 * Only batches are remembered, never lines (they are loaded lazily anyway).
 *
 * A cache is used by one thread at a time (one per connection).
 */
#ifndef ALLOCATION_SYS_CACHE_H
#define ALLOCATION_SYS_CACHE_H

#include "../common.h"
#include "../model.h"

LA_BEGIN_DECL

/** A bounded cache of stored products. */
typedef struct la_product_cache la_product_cache;

/**
 * New empty cache remembering at most @p capacity products (the oldest
 * entry is replaced when full).
 * @param out the cache, owned by the caller (la_product_cache_free)
 * @param capacity how many products, 1 or more
 * @return LA_OK, LA_EINVAL, LA_ENOMEM
 */
LA_EXTERN(int) la_product_cache_new(la_product_cache **out, size_t capacity);

/** Free the cache and every entry; NULL is fine. */
LA_EXTERN(void) la_product_cache_free(la_product_cache *cache);

/**
 * Remember @p product's batches (and their held figures) as they are
 * stored now. Ignored unless the product is exactly as stored: not new, no
 * unsaved change. Replaces the sku's older entry. A product with lines
 * waiting for stock is forgotten instead (its store reads them each time). Never fails: out of
 * memory, the sku is just forgotten.
 */
LA_EXTERN(void) la_product_cache_put(la_product_cache *cache, const la_product *product);

/**
 * The version remembered for @p sku.
 * @param out the version, set when the sku is cached
 * @param cache the cache (NULL: nothing is cached)
 * @param sku the product's sku
 * @return non-zero and *out set when the sku is cached, else 0
 */
LA_EXTERN(int)
la_product_cache_version(int64_t *out, const la_product_cache *cache, const char *sku);

/**
 * A new product built from the entry of @p sku, if it holds @p version.
 * @param out the product, owned by the caller (la_product_free)
 * @param cache the cache
 * @param sku the product's sku
 * @param version the version the store holds now
 * @return LA_OK; LA_ENOTFOUND when the sku is not cached at that version
 *         (no error message is set); LA_ENOMEM
 */
LA_EXTERN(int)
la_product_cache_build(la_product **out, const la_product_cache *cache, const char *sku,
                       int64_t version);

/**
 * The sku of the cached product holding batch @p ref, or NULL. Borrowed:
 * valid until the cache next changes.
 */
LA_EXTERN(const char *)
la_product_cache_sku_of_batch(const la_product_cache *cache, const char *ref);

/** Forget @p sku (after a failed commit, say). */
LA_EXTERN(void) la_product_cache_drop(la_product_cache *cache, const char *sku);

LA_END_DECL

#endif
