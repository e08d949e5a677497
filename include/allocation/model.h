/**
 * @file allocation/model.h
 * @brief The domain model (spec §1.1): product, batch, order line.
 *
 * A product (the aggregate) owns its batches; a batch holds the order lines
 * allocated to it. Every change goes through the product, records events and
 * bumps version_number once. Pure logic: no I/O, no locks, no globals.
 *
 * Ownership: la_product_new gives the caller a product to free with
 * la_product_free. Batches (const la_batch *) and event messages returned by
 * accessors are borrowed from their product and valid until the product
 * changes or is freed.
 *
 * Errors: a failing change returns a negative code with la_error_last() set
 * and leaves the product exactly as it was (out of memory included).
 *
 * Threads: a product is used by one thread at a time; separate products
 * work in parallel.
 */
#ifndef ALLOCATION_MODEL_H
#define ALLOCATION_MODEL_H

#include "common.h"
#include "messages.h"

LA_BEGIN_DECL

/** The aggregate root: one sku, its batches and their lines (opaque). */
typedef struct la_product la_product;
/** A batch (shipment) of a product (opaque, always borrowed). */
typedef struct la_batch la_batch;

/**
 * New empty product, version 0.
 * @param[out] out the product, owned by the caller (la_product_free()).
 * @param sku the product's sku, 1–255 bytes (copied).
 * @return #LA_OK, #LA_EINVAL (bad sku or NULL out), #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_new(la_product **out, const char *sku);
/**
 * Free a product, its batches, lines and pending events.
 * @param product the caller's own product, or NULL (nothing happens). Never a
 *        product a store handed out: the store frees those.
 */
LA_EXTERN(void) la_product_free(la_product *product);

/** The product's sku (borrowed from the product), or NULL for NULL. */
LA_EXTERN(const char *) la_product_sku(const la_product *product);
/** The product's version_number (0 when new; +1 per change), or 0 for NULL. */
LA_EXTERN(int64_t) la_product_version(const la_product *product);

/**
 * Add a batch. Bumps the version.
 * @param product the product.
 * @param ref the batch reference (copied), unique within the product
 *        (unique across products is the repository's job).
 * @param qty purchased quantity, >= 0.
 * @param eta "YYYY-MM-DD" or NULL (in stock).
 * @return #LA_OK; #LA_EINVAL naming the bad field; #LA_ECONFLICT when the
 *         product has the ref already; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_add_batch(la_product *product, const char *ref, int64_t qty, const char *eta);

/**
 * Allocate the line (orderid, product sku, qty) to the first batch that can
 * take it (in stock first, then by ETA, then creation order). Success records
 * an Allocated event and bumps the version.
 *
 * @param[out] out_batchref the chosen batch's reference (borrowed from the
 *        product), or NULL when out of stock (an OutOfStock event is
 *        recorded; not an error). Already allocated with the same qty: its
 *        batch, and nothing changes.
 * @param product the product.
 * @param orderid the order (copied).
 * @param qty the line's quantity, > 0.
 * @return #LA_OK (also when out of stock); #LA_EINVAL; #LA_ECONFLICT when
 *         orderid is already allocated with another qty; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_allocate(const char **out_batchref, la_product *product, const char *orderid,
                    int64_t qty);

/**
 * Deallocate the product's line for orderid (reason "requested"): records a
 * Deallocated event and bumps the version. The line is not reallocated.
 * @param product the product.
 * @param orderid the order.
 * @return #LA_OK; #LA_ENOTFOUND when the line is not allocated ("Order line
 *         ... is not allocated"); #LA_EINVAL; #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_deallocate(la_product *product, const char *orderid);

/**
 * Set a batch's purchased quantity; while it is over-allocated, deallocate
 * its most recently allocated lines (reason "stock_reduced", one Deallocated
 * event each). Bumps the version once.
 * @param product the product.
 * @param ref the batch.
 * @param qty the new purchased quantity, >= 0.
 * @return #LA_OK; #LA_EINVAL; #LA_ENOTFOUND ("Invalid batch reference ...");
 *         #LA_ESTATE when lines must go but a store has not loaded them
 *         (la_product_batch_lines_loaded()); #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_change_batch_quantity(la_product *product, const char *ref, int64_t qty);

/**
 * Remove a batch, deallocating each of its lines, oldest first (reason
 * "stock_reduced", one Deallocated event each). Bumps the version once.
 * @param product the product.
 * @param ref the batch.
 * @return #LA_OK; #LA_EINVAL; #LA_ENOTFOUND ("Invalid batch reference ...");
 *         #LA_ESTATE when a store has not loaded the batch's lines;
 *         #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_cancel_batch(la_product *product, const char *ref);

struct la_policy;

/**
 * Options of la_product_allocate_with. Members are only ever added at the
 * end; fill with #LA_ALLOCATION_OPTIONS_INIT or la_allocation_options_init().
 */
typedef struct la_allocation_options {
	unsigned int version; /**< #LA_ALLOCATION_OPTIONS_VERSION */
	int64_t expires;      /**< 0: permanent; else the hold's end (seconds since 1970 UTC) */
	int backorder;        /**< non-zero: a line that finds no room waits (Backordered) */
	const char *promise;  /**< the line's promise date "YYYY-MM-DD", or NULL */
	const struct la_policy *policy; /**< the batch-choosing rule; NULL: "book" */
} la_allocation_options;

/** The version of la_allocation_options these headers describe. */
#define LA_ALLOCATION_OPTIONS_VERSION 1
/** Initialiser of la_allocation_options: permanent, no backorder, book. */
#define LA_ALLOCATION_OPTIONS_INIT                                                                 \
	{                                                                                          \
		LA_ALLOCATION_OPTIONS_VERSION, 0, 0, NULL, NULL                                    \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL or an unknown version.
 */
LA_EXTERN(int) la_allocation_options_init(la_allocation_options *opts, unsigned int version);

/**
 * Allocate as la_product_allocate, with a hold, a backorder, a promise date
 * or a policy of one's own.
 *
 * A held line (opts->expires > 0) counts as allocated until confirmed or
 * expired. With opts->backorder, a line that finds no room records
 * OutOfStock and Backordered and waits in the product's queue (first come,
 * first served; la_product_fill_waiting places it once stock appears);
 * *out_batchref is then NULL. A line that already waits is left waiting (the
 * same qty) or refused (another qty), as an allocated one.
 *
 * @param[out] out_batchref as for la_product_allocate.
 * @param product the product.
 * @param orderid the order.
 * @param qty the line's quantity, > 0.
 * @param opts NULL for la_product_allocate's behaviour.
 * @return as la_product_allocate; #LA_EUSER when the policy failed or chose
 *         a batch that cannot take the line (nothing changes);
 *         #LA_EUNSUPPORTED for an unknown opts->version.
 */
LA_EXTERN(int)
la_product_allocate_with(const char **out_batchref, la_product *product, const char *orderid,
                         int64_t qty, const la_allocation_options *opts);

/**
 * Confirm orderid's line: a held line becomes permanent (a Confirmed event,
 * the version bumps); a permanent one is left as it is.
 * @return #LA_OK; #LA_ENOTFOUND when the product has no line of orderid;
 *         #LA_EINVAL; #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_confirm(la_product *product, const char *orderid);

/**
 * Expire orderid's line if it is held until now or earlier: it is
 * deallocated (Deallocated, reason "expired"; not reallocated) and its stock
 * becomes available. A line not held, or held beyond now, is left alone.
 * @param product the product.
 * @param orderid the order.
 * @param now seconds since 1970 UTC.
 * @return #LA_OK (also when nothing expired); #LA_EINVAL; #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_expire(la_product *product, const char *orderid, int64_t now);

/**
 * Allocate waiting lines (backorders) that now fit, in arrival order: each
 * gets its own Allocated event; a line that does not fit stays and does not
 * block smaller ones behind it.
 * @param[out] out_placed when not NULL, how many were allocated.
 * @param product the product.
 * @param opts the policy to place them with (NULL: book); expires and
 *        backorder are ignored (a waiting line is placed as it was asked).
 * @return #LA_OK; #LA_EUSER (the policy); #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_fill_waiting(size_t *out_placed, la_product *product, const la_allocation_options *opts);

/** Lines waiting for stock (0 for NULL). */
LA_EXTERN(size_t) la_product_waiting_count(const la_product *product);
/** Units waiting for stock (0 for NULL). */
LA_EXTERN(int64_t) la_product_waiting_quantity(const la_product *product);
/** The quantity orderid waits for, or 0 when it does not wait. */
LA_EXTERN(int64_t) la_product_find_waiting(const la_product *product, const char *orderid);
/**
 * When orderid's allocated line is held until (seconds since 1970 UTC), or
 * 0 when it is permanent or unknown.
 */
LA_EXTERN(int64_t) la_product_line_expires(const la_product *product, const char *orderid);

/**
 * @name Batches
 * In allocation-preference order: in stock first, then by ETA, then by
 * creation. Returned batches are borrowed from the product and valid until
 * it changes or is freed.
 * @{
 */

/** Number of batches of the product (0 for NULL). */
LA_EXTERN(size_t) la_product_batch_count(const la_product *product);
/** The batch at index in preference order, or NULL when out of range. */
LA_EXTERN(const la_batch *) la_product_batch_at(const la_product *product, size_t index);
/** The batch with reference ref, or NULL. */
LA_EXTERN(const la_batch *) la_product_find_batch(const la_product *product, const char *ref);
/**
 * The batch holding orderid's line, or NULL. With a store-backed product
 * only lines the unit of work loaded are known.
 */
LA_EXTERN(const la_batch *) la_product_find_line(const la_product *product, const char *orderid);

/** @} */

/**
 * @name Batch fields
 * Each takes a batch (borrowed, or NULL) and returns a field; strings are
 * borrowed like the batch. NULL reads as NULL or 0.
 * @{
 */

/** The batch reference. */
LA_EXTERN(const char *) la_batch_reference(const la_batch *batch);
/** The sku of the batch's product. */
LA_EXTERN(const char *) la_batch_sku(const la_batch *batch);
/** "YYYY-MM-DD" or NULL (in stock). */
LA_EXTERN(const char *) la_batch_eta(const la_batch *batch);
/** Purchased quantity. */
LA_EXTERN(int64_t) la_batch_purchased_quantity(const la_batch *batch);
/** Sum of the quantities of the lines allocated to the batch. */
LA_EXTERN(int64_t) la_batch_allocated_quantity(const la_batch *batch);
/** Purchased minus allocated. */
LA_EXTERN(int64_t) la_batch_available_quantity(const la_batch *batch);
/** Number of lines allocated to the batch. */
LA_EXTERN(int64_t) la_batch_line_count(const la_batch *batch);
/** Of the allocated quantity, how much is held (not yet confirmed). */
LA_EXTERN(int64_t) la_batch_held_quantity(const la_batch *batch);
/** Creation sequence: ties on ETA keep this order. */
LA_EXTERN(int64_t) la_batch_sequence(const la_batch *batch);

/** @} */

/**
 * @name Recorded events
 * Events recorded and not yet taken by a bus, oldest first. Returned events
 * are borrowed from the product: copy them (la_message_copy()) to keep them.
 * @{
 */

/** Number of recorded events (0 for NULL). */
LA_EXTERN(size_t) la_product_event_count(const la_product *product);
/** The event at index, oldest first, or NULL when out of range. */
LA_EXTERN(const la_message *) la_product_event_at(const la_product *product, size_t index);
/** Drop (and free) the recorded events; NULL is fine. */
LA_EXTERN(void) la_product_clear_events(la_product *product);

/** @} */

LA_END_DECL

#endif
