/**
 * @file allocation/sys/product.h
 * @brief Products as a store adapter sees them (docs/adapters.md): building
 * a product from storage, reading its change log at commit, and undoing it
 * on rollback.
 *
 * A store loads a product with la_product_load, its batches with
 * la_product_load_batch and, lazily, the lines a command needs with
 * la_product_load_line. At commit it writes the changes the product recorded
 * (la_product_change_at, oldest first) and calls la_product_changes_saved;
 * on rollback it calls la_product_revert_changes.
 *
 * Lifetimes: a batch keeps its reference string (la_batch_reference) at the
 * same address for as long as the batch belongs to its product, and a
 * product keeps its sku at the same address for its whole life, so a store
 * that keeps products in memory may index them by these strings.
 *
 * Threads: these functions act on the product they are given; a product is
 * used by one thread at a time.
 */
#ifndef ALLOCATION_SYS_PRODUCT_H
#define ALLOCATION_SYS_PRODUCT_H

#include "../common.h"
#include "../model.h"

LA_BEGIN_DECL

/**
 * @name Building products from storage
 * No events, no version bumps, nothing in the change log. Strings are
 * copied. Errors: #LA_EINVAL naming the bad field, #LA_ENOMEM.
 * @{
 */

/**
 * A product as stored.
 * @param[out] out the product: hand it out from get, keep ownership.
 * @param sku the product's sku.
 * @param version its stored version_number (>= 0).
 * @return #LA_OK, #LA_EINVAL, #LA_ENOMEM.
 */
LA_EXTERN(int) la_product_load(la_product **out, const char *sku, int64_t version);
/**
 * A stored batch with its stored allocated quantity and line count; its
 * lines are not loaded (unless line_count is 0).
 * @param product the product being loaded.
 * @param ref the batch reference.
 * @param purchased purchased quantity (>= 0).
 * @param eta "YYYY-MM-DD" or NULL.
 * @param allocated stored allocated quantity (>= 0).
 * @param line_count stored number of lines (>= 0).
 * @param sequence creation sequence (as la_change.sequence of BATCH_ADDED).
 * @return #LA_OK; #LA_EINVAL; #LA_ECONFLICT when ref is loaded twice, or
 *         when another batch of the product has the same eta and sequence
 *         (batches are kept in that order, so a pair must be unique: a
 *         store maps either to its "stored data is inconsistent" error);
 *         #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_load_batch(la_product *product, const char *ref, int64_t purchased, const char *eta,
                      int64_t allocated, int64_t line_count, int64_t sequence);
/**
 * A stored line on batch ref. Loading a line already known is a no-op, and
 * so is loading one the product deallocated since it was loaded or saved:
 * the store still holds that line until its commit.
 * @param product the product being loaded.
 * @param ref its batch, already loaded.
 * @param orderid the order.
 * @param qty its quantity (> 0).
 * @param sequence orders allocations (most recent = largest): the product
 *        version at which it was allocated (la_change.sequence).
 * @return #LA_OK; #LA_EINVAL; #LA_ENOTFOUND when batch ref is not loaded;
 *         #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_load_line(la_product *product, const char *ref, const char *orderid, int64_t qty,
                     int64_t sequence);
/**
 * Declare that every line of batch ref is now loaded (needed before a
 * quantity change deallocates or a cancellation).
 * @param product the product.
 * @param ref the batch.
 * @return #LA_OK; #LA_ENOTFOUND when the batch is not loaded.
 */
LA_EXTERN(int) la_product_batch_lines_loaded(la_product *product, const char *ref);
/**
 * A stored held line: as la_product_load_line, held until expires.
 * @param product the product.
 * @param ref the batch holding it.
 * @param orderid the order.
 * @param qty the quantity held.
 * @param sequence the line's place among the batch's lines (as la_product_load_line).
 * @param expires the hold's end (seconds since 1970 UTC, > 0), or 0 for a
 *        permanent line (then exactly la_product_load_line).
 * @return as la_product_load_line.
 */
LA_EXTERN(int)
la_product_load_held_line(la_product *product, const char *ref, const char *orderid, int64_t qty,
                          int64_t sequence, int64_t expires);
/**
 * The stored held quantity of batch ref (its lines may not be loaded).
 * @param product the product.
 * @param ref the batch.
 * @param held its held quantity (0 to its allocated quantity).
 * @return #LA_OK; #LA_EINVAL for a negative or too large figure;
 *         #LA_ENOTFOUND when the batch is not loaded.
 */
LA_EXTERN(int) la_product_load_batch_held(la_product *product, const char *ref, int64_t held);
/**
 * A stored waiting line (backorder) of the product. Load every waiting line
 * of a product with it, in any order: the queue is kept by sequence.
 * @param product the product.
 * @param orderid the order.
 * @param qty its quantity (> 0).
 * @param sequence its arrival (as la_change.sequence of LINE_WAITING).
 * @return #LA_OK (also for a line already loaded); #LA_EINVAL; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_load_waiting_line(la_product *product, const char *orderid, int64_t qty,
                             int64_t sequence);

/** @} */

/**
 * @name Checking a product's own figures (check.h)
 * For a store's check and repair: walk the lines a product holds, and
 * recompute the figures it keeps from them.
 * @{
 */

/**
 * Called for each line by la_product_walk_lines.
 * @param orderid the line's order.
 * @param batchref its batch, or NULL for a line waiting for stock.
 * @param qty its quantity.
 * @param expires the end of its hold (seconds since 1970 UTC), or 0.
 * @param arg the caller's argument.
 * @return #LA_OK to go on; anything else stops the walk and is returned.
 */
typedef int (*la_line_visit_fn)(const char *orderid, const char *batchref, int64_t qty,
                                int64_t expires, void *arg);

/**
 * Visit every loaded line of product: each batch's lines (batches in
 * preference order, lines oldest first), then the waiting lines in arrival
 * order.
 * @return #LA_OK, #LA_EINVAL (NULL product or visit), or what visit returned.
 */
LA_EXTERN(int) la_product_walk_lines(const la_product *product, la_line_visit_fn visit, void *arg);

/**
 * Recompute, from the lines loaded, every figure product keeps: each batch
 * whose lines are all loaded gets its allocated quantity, line count and held
 * quantity; the product its waiting quantity. Records no change (a repair,
 * not a command). Never fails for a valid product.
 * @return the number of figures that changed, or -1 for NULL.
 */
LA_EXTERN(int64_t) la_product_recount(la_product *product);

/** @} */

/**
 * @name The change log: what to write at commit
 * @{
 */

/** Kinds of la_change. Never renumbered. */
typedef enum la_change_kind {
	LA_CHANGE_BATCH_ADDED = 1,    /**< batchref, qty (purchased), eta, sequence */
	LA_CHANGE_BATCH_QUANTITY = 2, /**< batchref, qty (new purchased) */
	LA_CHANGE_BATCH_REMOVED = 3,  /**< batchref (its lines were deallocated before) */
	LA_CHANGE_LINE_ALLOCATED = 4, /**< batchref, orderid, qty, sequence (and
	                                   la_product_change_expires) */
	LA_CHANGE_LINE_DEALLOCATED =
	    5,                        /**< batchref, orderid, qty (and la_product_change_reason) */
	LA_CHANGE_LINE_CONFIRMED = 6, /**< batchref, orderid, qty: a held line became permanent */
	LA_CHANGE_LINE_WAITING = 7,   /**< orderid, qty, sequence: it waits for stock
	                                   (batchref NULL) */
	LA_CHANGE_LINE_UNWAITED = 8,  /**< orderid, qty: it no longer waits (allocated: the
	                                   LINE_ALLOCATED follows; or cancelled: reason) */
	/** orderid, qty (batchref NULL): a line deallocated with reason
	    stock_reduced that its reallocation could not place, whose OutOfStock
	    is not yet delivered: keep it until REALLOCATION_DONE (version 4;
	    recorded only for a store whose port has pending_reallocations) */
	LA_CHANGE_REALLOCATION_PENDING = 9,
	/** orderid (batchref NULL): forget the product's pending reallocation of
	    orderid (version 4; as REALLOCATION_PENDING) */
	LA_CHANGE_REALLOCATION_DONE = 10
} la_change_kind;

/**
 * One change; strings borrowed from the product until la_product_changes_saved.
 *
 * Frozen: the library fills this struct in memory the caller owns, so its
 * size and members never change (a larger struct would overrun an older
 * caller's). What later versions record beyond these members is read with
 * accessor functions taking the product and the change's index.
 */
typedef struct la_change {
	int kind;             /**< a #la_change_kind */
	const char *batchref; /**< the batch changed or holding the line */
	const char *orderid;  /**< line changes: the order; else NULL */
	const char *eta;      /**< BATCH_ADDED: "YYYY-MM-DD" or NULL */
	int64_t qty;          /**< purchased quantity, or the line's quantity */
	int64_t sequence;     /**< BATCH_ADDED, LINE_ALLOCATED: the sequence to store */
} la_change;

/**
 * When the change at index was made, relative to the changes of the other
 * products of the same unit of work. A store that writes several products
 * writes their changes in increasing order of this (la_products_next_change
 * walks them so), because a change may depend on another product's earlier
 * one: a batch reference removed from one product and then added to
 * another, or an order's lines in allocation order across skus (a unit of
 * work may hold many commands: la_bus_handle_many). Non-decreasing within a
 * product; 0 for changes made outside a bus.
 * @param product the product.
 * @param index 0 .. la_product_change_count() - 1.
 * @return the order, or 0 for NULL or an index out of range.
 */
LA_EXTERN(uint64_t) la_product_change_order(const la_product *product, size_t index);

/**
 * Walk the changes of several products in the order they were made (by
 * la_product_change_order; ties keep the products' order).
 * @code
 *   size_t positions[N] = {0}, k;
 *   while ((k = la_products_next_change(products, N, positions)) < N)
 *           write change positions[k] - 1 of products[k];
 * @endcode
 * @param products the products (NULL entries are skipped).
 * @param count how many.
 * @param positions one counter per product, zero before the first call:
 *        how many changes of each have been walked.
 * @return the index of the product whose change comes next (its counter is
 *         advanced past it), or count when every change has been walked.
 */
LA_EXTERN(size_t)
la_products_next_change(la_product *const *products, size_t count, size_t *positions);

/** Number of changes recorded since the product was loaded or saved (0 for NULL). */
LA_EXTERN(size_t) la_product_change_count(const la_product *product);
/**
 * Read one change, oldest first; apply them in this order.
 * @param[out] out the caller's struct, filled; its strings are borrowed.
 * @param product the product.
 * @param index 0 .. la_product_change_count() - 1.
 * @return #LA_OK; #LA_EINVAL for NULL or an index out of range.
 */
LA_EXTERN(int) la_product_change_at(la_change *out, const la_product *product, size_t index);
/**
 * The hold's end of a LINE_ALLOCATED change (seconds since 1970 UTC), or 0
 * for a permanent line and for other kinds.
 */
LA_EXTERN(int64_t) la_product_change_expires(const la_product *product, size_t index);
/**
 * Why a LINE_DEALLOCATED or LINE_UNWAITED change happened: a
 * #la_dealloc_reason, or 0 (for LINE_UNWAITED: the line was allocated).
 */
LA_EXTERN(int) la_product_change_reason(const la_product *product, size_t index);
/**
 * When the change was made: the time of the bus's clock when it ran the
 * command (seconds since 1970 UTC), or 0 for a change made outside a bus.
 */
LA_EXTERN(int64_t) la_product_change_time(const la_product *product, size_t index);

/**
 * The order-history entry (la_view_history) the change at index makes, as
 * the kind of the event that caused it: #LA_EVT_ALLOCATED (LINE_ALLOCATED),
 * #LA_EVT_DEALLOCATED (LINE_DEALLOCATED, and LINE_UNWAITED with a reason:
 * a waiting line cancelled), #LA_EVT_CONFIRMED (LINE_CONFIRMED),
 * #LA_EVT_BACKORDERED (LINE_WAITING); 0 for a change that makes none (batch
 * changes, and a waiting line leaving the queue to be allocated: its
 * LINE_ALLOCATED follows), for NULL and for an index out of range. The
 * entry's other fields: la_product_change_at (orderid, qty, batchref: NULL
 * for a waiting line), la_product_sku, la_product_change_reason,
 * la_product_change_expires, la_product_change_time.
 */
LA_EXTERN(int) la_product_change_event(const la_product *product, size_t index);

/** Non-zero for a product made by la_product_new that no store has saved yet. */
LA_EXTERN(int) la_product_is_new(const la_product *product);
/** version_number as loaded or last saved: the optimistic-concurrency check. */
LA_EXTERN(int64_t) la_product_saved_version(const la_product *product);
/** The changes are stored: clear the change log, saved version = version. */
LA_EXTERN(void) la_product_changes_saved(la_product *product);
/** Undo every change since the last save, and drop recorded events. Never fails. */
LA_EXTERN(void) la_product_revert_changes(la_product *product);

/** @} */

LA_END_DECL

#endif
