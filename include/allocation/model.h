/*
 * liballocation — the domain model (spec §1.1).
 *
 * A product (the aggregate) owns its batches; a batch holds the order lines
 * allocated to it. Every change goes through the product, records events and
 * bumps version_number once. Pure logic: no I/O, no locks, no globals.
 *
 * Ownership: la_product_new gives the caller a product to free with
 * la_product_free. Batches (const la_batch *) and event messages returned by
 * accessors are borrowed from their product and valid until the product
 * changes or is freed.
 */
#ifndef ALLOCATION_MODEL_H
#define ALLOCATION_MODEL_H

#include "common.h"
#include "messages.h"

LA_BEGIN_DECL

typedef struct la_product la_product;
typedef struct la_batch la_batch;

/** New empty product for sku (validated). *out owned by the caller. */
LA_EXTERN(int) la_product_new(la_product **out, const char *sku);
/** Free a product, its batches, lines and pending events; NULL is fine. */
LA_EXTERN(void) la_product_free(la_product *product);

LA_EXTERN(const char *) la_product_sku(const la_product *product);
LA_EXTERN(int64_t) la_product_version(const la_product *product);

/**
 * Add a batch. ref unique within the product (LA_ECONFLICT otherwise; unique
 * across products is the repository's job), qty >= 0, eta "YYYY-MM-DD" or
 * NULL. Bumps the version.
 */
LA_EXTERN(int)
la_product_add_batch(la_product *product, const char *ref, int64_t qty, const char *eta);

/**
 * Allocate the line (orderid, product sku, qty) to the first batch that can
 * take it (in stock first, then by ETA, then creation order).
 * On success *out_batchref is the chosen batch's reference (borrowed), or
 * NULL when out of stock (an OutOfStock event is recorded; not an error).
 * Already allocated with the same qty: *out_batchref is its batch, nothing
 * changes. Same orderid with another qty: LA_ECONFLICT.
 */
LA_EXTERN(int)
la_product_allocate(const char **out_batchref, la_product *product, const char *orderid,
                    int64_t qty);

/** Deallocate the product's line for orderid (reason "requested"). LA_ENOTFOUND if none. */
LA_EXTERN(int) la_product_deallocate(la_product *product, const char *orderid);

/**
 * Set a batch's purchased quantity; while it is over-allocated, deallocate
 * its most recently allocated lines (reason "stock_reduced").
 */
LA_EXTERN(int) la_product_change_batch_quantity(la_product *product, const char *ref, int64_t qty);

/** Remove a batch, deallocating each of its lines (reason "stock_reduced"). */
LA_EXTERN(int) la_product_cancel_batch(la_product *product, const char *ref);

/* Batches, in allocation-preference order. */
LA_EXTERN(size_t) la_product_batch_count(const la_product *product);
LA_EXTERN(const la_batch *) la_product_batch_at(const la_product *product, size_t index);
/** The batch with reference ref, or NULL. */
LA_EXTERN(const la_batch *) la_product_find_batch(const la_product *product, const char *ref);
/**
 * The batch holding orderid's line, or NULL. With a store-backed product
 * only lines the unit of work loaded are known.
 */
LA_EXTERN(const la_batch *) la_product_find_line(const la_product *product, const char *orderid);

LA_EXTERN(const char *) la_batch_reference(const la_batch *batch);
LA_EXTERN(const char *) la_batch_sku(const la_batch *batch);
/** "YYYY-MM-DD" or NULL (in stock). */
LA_EXTERN(const char *) la_batch_eta(const la_batch *batch);
LA_EXTERN(int64_t) la_batch_purchased_quantity(const la_batch *batch);
LA_EXTERN(int64_t) la_batch_allocated_quantity(const la_batch *batch);
LA_EXTERN(int64_t) la_batch_available_quantity(const la_batch *batch);
/** Number of lines allocated to the batch. */
LA_EXTERN(int64_t) la_batch_line_count(const la_batch *batch);
/** Creation sequence: ties on ETA keep this order. */
LA_EXTERN(int64_t) la_batch_sequence(const la_batch *batch);

/* Events recorded and not yet taken, oldest first (borrowed). */
LA_EXTERN(size_t) la_product_event_count(const la_product *product);
LA_EXTERN(const la_message *) la_product_event_at(const la_product *product, size_t index);
/** Drop the recorded events. */
LA_EXTERN(void) la_product_clear_events(la_product *product);

LA_END_DECL

#endif
