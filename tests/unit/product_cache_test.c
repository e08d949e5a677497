/* The core's product cache (sys/cache.h), used by the database stores. */
#include <allocation/allocation.h>
#include <allocation/sys/cache.h>
#include <allocation/sys/ports.h>
#include <criterion/criterion.h>

/* A product as a store would have just loaded it: saved, no pending change. */
static la_product *stored_product(const char *sku, int64_t version)
{
	la_product *p;
	cr_assert_eq(la_product_load(&p, sku, version), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "later", 50, "2011-01-02", 7, 2, 2), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "now", 20, NULL, 3, 1, 1), LA_OK);
	return p;
}

Test(product_cache, builds_the_product_it_remembers_at_that_version)
{
	la_product_cache *cache;
	cr_assert_eq(la_product_cache_new(&cache, 4), LA_OK);
	la_product *p = stored_product("LAMP", 9);
	la_product_cache_put(cache, p);
	int64_t version = 0;
	cr_assert(la_product_cache_version(&version, cache, "LAMP"));
	cr_assert_eq(version, 9);

	la_product *copy;
	cr_assert_eq(la_product_cache_build(&copy, cache, "LAMP", 9), LA_OK);
	cr_assert_eq(la_product_version(copy), 9);
	cr_assert_eq(la_product_batch_count(copy), 2);
	const la_batch *first = la_product_batch_at(copy, 0);
	cr_assert_str_eq(la_batch_reference(first), "now");
	cr_assert_null(la_batch_eta(first));
	cr_assert_eq(la_batch_allocated_quantity(first), 3);
	const la_batch *second = la_product_batch_at(copy, 1);
	cr_assert_str_eq(la_batch_eta(second), "2011-01-02");
	cr_assert_eq(la_batch_line_count(second), 2);
	cr_assert_eq(la_batch_sequence(second), 2);
	cr_assert_str_eq(la_product_cache_sku_of_batch(cache, "later"), "LAMP");

	/* another version, or another sku: not cached */
	la_product *none = NULL;
	cr_assert_eq(la_product_cache_build(&none, cache, "LAMP", 10), LA_ENOTFOUND);
	cr_assert_eq(la_product_cache_build(&none, cache, "DESK", 9), LA_ENOTFOUND);
	cr_assert_null(none);
	la_product_free(copy);
	la_product_free(p);
	la_product_cache_free(cache);
}

Test(product_cache, ignores_products_with_unsaved_changes)
{
	la_product_cache *cache;
	cr_assert_eq(la_product_cache_new(&cache, 4), LA_OK);
	la_product *p = stored_product("LAMP", 3);
	const char *batchref;
	cr_assert_eq(la_product_allocate(&batchref, p, "o1", 1), LA_OK);
	la_product_cache_put(cache, p);
	int64_t version;
	cr_assert_not(la_product_cache_version(&version, cache, "LAMP"));
	la_product_changes_saved(p); /* now exactly as stored, at version 4 */
	la_product_cache_put(cache, p);
	cr_assert(la_product_cache_version(&version, cache, "LAMP"));
	cr_assert_eq(version, 4);
	la_product *copy;
	cr_assert_eq(la_product_cache_build(&copy, cache, "LAMP", 4), LA_OK);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(copy, "now")), 4);
	la_product_free(copy);

	la_product *fresh;
	cr_assert_eq(la_product_new(&fresh, "NEW"), LA_OK);
	la_product_cache_put(cache, fresh); /* never stored: not remembered */
	cr_assert_not(la_product_cache_version(&version, cache, "NEW"));
	la_product_free(fresh);
	la_product_free(p);
	la_product_cache_free(cache);
}

Test(product_cache, keeps_at_most_its_capacity_and_drops_on_request)
{
	la_product_cache *cache;
	cr_assert_eq(la_product_cache_new(&cache, 2), LA_OK);
	const char *skus[] = {"A", "B", "C"};
	for (int i = 0; i < 3; i++) {
		la_product *p = stored_product(skus[i], 1);
		la_product_cache_put(cache, p);
		la_product_free(p);
	}
	int64_t version;
	cr_assert_not(la_product_cache_version(&version, cache, "A"), "the oldest is replaced");
	cr_assert(la_product_cache_version(&version, cache, "B"));
	cr_assert(la_product_cache_version(&version, cache, "C"));
	la_product_cache_drop(cache, "B");
	cr_assert_not(la_product_cache_version(&version, cache, "B"));
	la_product_cache *empty = NULL;
	cr_assert_eq(la_product_cache_new(&empty, 0), LA_EINVAL);
	cr_assert_null(empty);
	la_product_cache_free(cache);
}
