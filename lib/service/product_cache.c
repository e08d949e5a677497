/* A bounded cache of stored products for database stores: sku → the batch
 * rows of the product at one version. Entries are replaced round-robin.
 * Only batch rows are kept (with their held figure): a product with lines
 * waiting for stock is not cached, so a store reads its waiting lines. */
#include "../domain/product_internal.h"
#include "../util/alloc.h"
#include "../common/common_internal.h"
#include "../util/strmap.h"

#include <allocation/sys/cache.h>
#include <string.h>

typedef struct cached_batch {
	char *ref; /* one allocation: "ref\0eta\0" */
	const char *eta;
	int64_t purchased, allocated, line_count, sequence, held;
} cached_batch;

typedef struct cache_entry {
	char *sku; /* NULL: a free slot */
	int64_t version;
	cached_batch *batches;
	size_t count;
} cache_entry;

struct la_product_cache {
	la__strmap by_sku; /* sku → entry (key inside the entry) */
	cache_entry *entries;
	size_t capacity, next;
};

int la_product_cache_new(la_product_cache **out, size_t capacity)
{
	if (!out || capacity == 0)
		return la_error_set(LA_EINVAL, "out and a capacity of 1 or more are required");
	la_product_cache *cache = la__calloc(1, sizeof *cache);
	if (!cache || !(cache->entries = la__calloc(capacity, sizeof *cache->entries)) ||
	    la__strmap_reserve(&cache->by_sku, capacity) != LA_OK) {
		if (cache)
			la_free(cache->entries);
		la_free(cache);
		return la__error_nomem();
	}
	cache->capacity = capacity;
	*out = cache;
	return LA_OK;
}

static void clear_batches(cache_entry *e)
{
	for (size_t i = 0; i < e->count; i++)
		la_free(e->batches[i].ref);
	la_free(e->batches);
	e->batches = NULL;
	e->count = 0;
}

static void clear_entry(la_product_cache *cache, cache_entry *e)
{
	if (!e->sku)
		return;
	la__strmap_remove(&cache->by_sku, e->sku);
	clear_batches(e);
	la_free(e->sku);
	e->sku = NULL;
}

void la_product_cache_free(la_product_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->capacity; i++)
		clear_entry(cache, &cache->entries[i]);
	la__strmap_dispose(&cache->by_sku);
	la_free(cache->entries);
	la_free(cache);
}

/* The entry holds the product's batches in the same order: only figures
 * changed, so the strings can stay. */
static int same_batches(const cache_entry *e, const la_product *p)
{
	if (e->count != p->batch_count)
		return 0;
	for (size_t i = 0; i < e->count; i++) {
		if (strcmp(e->batches[i].ref, p->batches[i]->ref) != 0)
			return 0;
	}
	return 1;
}

static int copy_batches(cache_entry *e, const la_product *p)
{
	cached_batch *batches = p->batch_count ? la__calloc(p->batch_count, sizeof *batches) : NULL;
	if (p->batch_count && !batches)
		return LA_ENOMEM;
	for (size_t i = 0; i < p->batch_count; i++) {
		const la_batch *b = p->batches[i];
		size_t ref_size = strlen(b->ref) + 1, eta_size = b->eta ? 11 : 0;
		char *text = la__malloc(ref_size + eta_size);
		if (!text) {
			e->batches = batches;
			e->count = i;
			return LA_ENOMEM;
		}
		memcpy(text, b->ref, ref_size);
		if (b->eta)
			memcpy(text + ref_size, b->eta, eta_size);
		batches[i].ref = text;
		batches[i].eta = b->eta ? text + ref_size : NULL;
	}
	e->batches = batches;
	e->count = p->batch_count;
	return LA_OK;
}

void la_product_cache_put(la_product_cache *cache, const la_product *p)
{
	if (!cache || !p || p->is_new || p->change_count || p->version != p->saved_version)
		return;
	cache_entry *e = la__strmap_get(&cache->by_sku, p->sku);
	if (p->waiting_count) {
		if (e)
			clear_entry(cache, e);
		return;
	}
	if (!e) {
		e = &cache->entries[cache->next];
		cache->next = (cache->next + 1) % cache->capacity;
		clear_entry(cache, e);
		if (!(e->sku = la__strdup(p->sku)))
			return;
		la__strmap_put(&cache->by_sku, e->sku, e); /* room reserved at creation */
	}
	if (!same_batches(e, p)) {
		clear_batches(e);
		if (copy_batches(e, p) != LA_OK) {
			clear_entry(cache, e); /* forget it rather than keep half a copy */
			return;
		}
	}
	for (size_t i = 0; i < e->count; i++) {
		const la_batch *b = p->batches[i];
		e->batches[i].purchased = b->purchased;
		e->batches[i].allocated = b->allocated;
		e->batches[i].line_count = b->line_count;
		e->batches[i].sequence = b->sequence;
		e->batches[i].held = b->held;
	}
	e->version = p->version;
}

int la_product_cache_version(int64_t *out, const la_product_cache *cache, const char *sku)
{
	const cache_entry *e = cache && sku ? la__strmap_get(&cache->by_sku, sku) : NULL;
	if (!e || !out)
		return 0;
	*out = e->version;
	return 1;
}

int la_product_cache_build(la_product **out, const la_product_cache *cache, const char *sku,
                           int64_t version)
{
	if (!out || !cache || !sku)
		return la_error_set(LA_EINVAL, "out, cache and sku are required");
	const cache_entry *e = la__strmap_get(&cache->by_sku, sku);
	if (!e || e->version != version)
		return LA_ENOTFOUND;
	la_product *product = NULL;
	int rc = la_product_load(&product, e->sku, e->version);
	for (size_t i = 0; rc == LA_OK && i < e->count; i++) {
		const cached_batch *b = &e->batches[i];
		rc = la_product_load_batch(product, b->ref, b->purchased, b->eta, b->allocated,
		                           b->line_count, b->sequence);
		if (rc == LA_OK && b->held)
			rc = la_product_load_batch_held(product, b->ref, b->held);
	}
	if (rc != LA_OK) {
		la_product_free(product);
		return rc;
	}
	*out = product;
	return LA_OK;
}

const char *la_product_cache_sku_of_batch(const la_product_cache *cache, const char *ref)
{
	if (!cache || !ref)
		return NULL;
	for (size_t i = 0; i < cache->capacity; i++) {
		const cache_entry *e = &cache->entries[i];
		for (size_t b = 0; e->sku && b < e->count; b++) {
			if (strcmp(e->batches[b].ref, ref) == 0)
				return e->sku;
		}
	}
	return NULL;
}

void la_product_cache_drop(la_product_cache *cache, const char *sku)
{
	cache_entry *e = cache && sku ? la__strmap_get(&cache->by_sku, sku) : NULL;
	if (e)
		clear_entry(cache, e);
}
