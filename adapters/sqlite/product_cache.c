/*
 * A per-connection cache of committed product rows (version and batch
 * rows). Every change to a product's batches bumps its version_number, so a
 * cached copy whose version equals the stored one is exact: a unit of work
 * then reads one integer (SELECT version_number) instead of the product and
 * all its batch rows. Another connection's commit changes the version, and
 * the product is read again. Bounded: at most CACHE_MAX products.
 */
#include <stdlib.h>
#include <string.h>

#include "sqlite_store.h"

#define CACHE_MAX 256

struct cached_batch {
	char *ref;
	char *eta;
	int64_t purchased;
	int64_t allocated;
	int64_t line_count;
	int64_t sequence;
};

struct sq_cached_product {
	char *sku;
	int64_t version;
	size_t count;
	struct cached_batch *batches;
};

static char *copy(const char *text)
{
	return text ? sq_strndup(text, strlen(text)) : NULL;
}

static void clear_batches(struct sq_cached_product *entry)
{
	for (size_t i = 0; i < entry->count; i++) {
		free(entry->batches[i].ref);
		free(entry->batches[i].eta);
	}
	free(entry->batches);
	entry->batches = NULL;
	entry->count = 0;
}

static void drop(struct sq_cached_product *entry)
{
	clear_batches(entry);
	free(entry->sku);
	entry->sku = NULL;
}

static struct sq_cached_product *find(struct sq_store *store, const char *sku)
{
	for (size_t i = 0; i < store->cache_count; i++)
		if (strcmp(store->cache[i].sku, sku) == 0)
			return &store->cache[i];
	return NULL;
}

int sq_cache_has(struct sq_store *store, const char *sku)
{
	return find(store, sku) != NULL;
}

int sq_cache_build(la_product **out, struct sq_store *store, const char *sku, int64_t version)
{
	struct sq_cached_product *entry = find(store, sku);
	if (!entry || entry->version != version)
		return LA_ENOTFOUND;
	la_product *product = NULL;
	int rc = la_product_load(&product, sku, version);
	if (rc != LA_OK)
		return rc;
	for (size_t i = 0; i < entry->count && rc == LA_OK; i++) {
		const struct cached_batch *b = &entry->batches[i];
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

/* Same batches, in the same order, as the entry: only figures changed. */
static int same_shape(const struct sq_cached_product *entry, const la_product *product)
{
	size_t count = la_product_batch_count(product);
	if (count != entry->count)
		return 0;
	for (size_t i = 0; i < count; i++)
		if (strcmp(entry->batches[i].ref,
		           la_batch_reference(la_product_batch_at(product, i))))
			return 0;
	return 1;
}

static int fill(struct sq_cached_product *entry, const la_product *product)
{
	size_t count = la_product_batch_count(product);
	int reshape = !same_shape(entry, product);
	if (reshape) {
		clear_batches(entry);
		entry->batches = count ? calloc(count, sizeof *entry->batches) : NULL;
		if (count && !entry->batches)
			return LA_ENOMEM;
		entry->count = count;
	}
	for (size_t i = 0; i < count; i++) {
		const la_batch *batch = la_product_batch_at(product, i);
		struct cached_batch *b = &entry->batches[i];
		if (reshape) {
			b->ref = copy(la_batch_reference(batch));
			b->eta = copy(la_batch_eta(batch));
			if (!b->ref || (la_batch_eta(batch) && !b->eta))
				return LA_ENOMEM;
		}
		b->purchased = la_batch_purchased_quantity(batch);
		b->allocated = la_batch_allocated_quantity(batch);
		b->line_count = la_batch_line_count(batch);
		b->sequence = la_batch_sequence(batch);
	}
	entry->version = la_product_version(product);
	return LA_OK;
}

void sq_cache_store(struct sq_store *store, const la_product *product)
{
	const char *sku = la_product_sku(product);
	struct sq_cached_product *entry = find(store, sku);
	if (!entry) {
		if (!store->cache) {
			store->cache = calloc(CACHE_MAX, sizeof *store->cache);
			if (!store->cache)
				return; /* no cache: every get reads the rows */
		}
		if (store->cache_count < CACHE_MAX) {
			entry = &store->cache[store->cache_count++];
		} else {
			entry = &store->cache[store->cache_next++ % CACHE_MAX];
			drop(entry);
		}
		entry->sku = copy(sku);
		if (!entry->sku) {
			*entry = store->cache[--store->cache_count];
			return;
		}
	}
	if (fill(entry, product) != LA_OK) {
		/* forget it rather than keep a half-filled copy */
		drop(entry);
		*entry = store->cache[--store->cache_count];
	}
}

void sq_cache_free(struct sq_store *store)
{
	for (size_t i = 0; i < store->cache_count; i++)
		drop(&store->cache[i]);
	free(store->cache);
	store->cache = NULL;
	store->cache_count = 0;
}
