/**
 * @file allocation/views.h
 * @brief Read models (spec §1.4, CQRS).
 *
 * Queries never load aggregates: each adapter answers them from its
 * denormalised views. Results are new objects owned by the caller; strings
 * read from them are borrowed and live as long as the result.
 *
 * Threads: a query uses its store, so it runs on the thread that uses the
 * store (the memory store also takes its lock). A result is used by one
 * thread at a time.
 */
#ifndef ALLOCATION_VIEWS_H
#define ALLOCATION_VIEWS_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/** The (sku, batchref) pairs of one order (opaque, owned by the caller). */
typedef struct la_allocation_list la_allocation_list;
/** One page of the batch dashboard (opaque, owned by the caller). */
typedef struct la_batch_page la_batch_page;

/**
 * The (sku, batchref) pairs allocated for orderid, in allocation order.
 * @param[out] out the list, owned by the caller (la_allocation_list_free()).
 *        Unknown order: an empty list.
 * @param store the store to read.
 * @param orderid the order, 1–255 bytes.
 * @return #LA_OK; #LA_EINVAL (NULL out or store, bad orderid); #LA_ENOMEM;
 *         the adapter's #LA_EDB / #LA_EIO.
 */
LA_EXTERN(int) la_view_allocations(la_allocation_list **out, la_store *store, const char *orderid);

/** Number of rows in the list (0 for NULL). */
LA_EXTERN(size_t) la_allocation_list_count(const la_allocation_list *list);
/** Sku of row index (borrowed from the list), or NULL when out of range. */
LA_EXTERN(const char *) la_allocation_list_sku(const la_allocation_list *list, size_t index);
/**
 * Batch reference of row index (borrowed from the list), or NULL when out of
 * range or when the line waits for stock (#LA_LINE_BACKORDERED).
 */
LA_EXTERN(const char *) la_allocation_list_batchref(const la_allocation_list *list, size_t index);

/** The state of an order's line (la_allocation_list_status). Never renumbered. */
typedef enum la_line_status {
	LA_LINE_ALLOCATED = 1,  /**< on a batch, for good */
	LA_LINE_HELD = 2,       /**< on a batch until its hold ends (la_allocation_list_expires) */
	LA_LINE_BACKORDERED = 3 /**< waiting for stock: no batch yet */
} la_line_status;

/** The #la_line_status of row index, or 0 when out of range. */
LA_EXTERN(int) la_allocation_list_status(const la_allocation_list *list, size_t index);
/** When the hold of row index ends (seconds since 1970 UTC), or 0 (not held). */
LA_EXTERN(int64_t) la_allocation_list_expires(const la_allocation_list *list, size_t index);
/** Free a list; NULL is fine. */
LA_EXTERN(void) la_allocation_list_free(la_allocation_list *list);

/** Page size used when la_view_batches is given limit 0. */
#define LA_BATCH_PAGE_DEFAULT 100
/** Largest page la_view_batches returns. */
#define LA_BATCH_PAGE_MAX 1000

/**
 * The batch dashboard: every batch (only sku's when sku is not NULL) with
 * its figures, ordered by sku, then allocation preference, in one query.
 *
 * @param[out] out the page, owned by the caller (la_batch_page_free()).
 * @param store the store to read.
 * @param sku only this product's batches, or NULL for all.
 * @param limit at most this many rows (0: #LA_BATCH_PAGE_DEFAULT; capped at
 *        #LA_BATCH_PAGE_MAX).
 * @param after the cursor a previous page returned (la_batch_page_next()),
 *        or NULL to start from the beginning.
 * @return #LA_OK; #LA_EINVAL for a malformed cursor, a bad sku or a NULL
 *         out/store; #LA_ENOMEM; the adapter's #LA_EDB / #LA_EIO.
 */
LA_EXTERN(int)
la_view_batches(la_batch_page **out, la_store *store, const char *sku, size_t limit,
                const char *after);

/**
 * One batch's dashboard row, found by its reference (one indexed lookup).
 *
 * @param[out] out a page with that batch's row, or no row when there is no
 *        such batch; owned by the caller (la_batch_page_free()).
 * @param store the store to read.
 * @param ref the batch reference.
 * @return #LA_OK; #LA_EINVAL (NULL out or store, a bad ref);
 *         #LA_EUNSUPPORTED when the store's adapter predates this query;
 *         #LA_ENOMEM; the adapter's #LA_EDB / #LA_EIO.
 */
LA_EXTERN(int) la_view_batch(la_batch_page **out, la_store *store, const char *ref);

/**
 * @name Dashboard rows
 * Each takes a page (borrowed, or NULL) and a row index; strings are borrowed
 * from the page. Out of range reads as NULL or 0.
 * @{
 */

/** Number of rows on the page (0 for NULL). */
LA_EXTERN(size_t) la_batch_page_count(const la_batch_page *page);
/** Batch reference of row index. */
LA_EXTERN(const char *) la_batch_page_ref(const la_batch_page *page, size_t index);
/** Sku of row index. */
LA_EXTERN(const char *) la_batch_page_sku(const la_batch_page *page, size_t index);
/** "YYYY-MM-DD" or NULL. */
LA_EXTERN(const char *) la_batch_page_eta(const la_batch_page *page, size_t index);
/** Purchased quantity of row index. */
LA_EXTERN(int64_t) la_batch_page_purchased(const la_batch_page *page, size_t index);
/** Allocated quantity of row index. */
LA_EXTERN(int64_t) la_batch_page_allocated(const la_batch_page *page, size_t index);
/** Available quantity (purchased - allocated) of row index. */
LA_EXTERN(int64_t) la_batch_page_available(const la_batch_page *page, size_t index);
/** Number of lines allocated to the batch of row index. */
LA_EXTERN(int64_t) la_batch_page_lines(const la_batch_page *page, size_t index);
/** Of the allocated quantity of row index, the quantity held. */
LA_EXTERN(int64_t) la_batch_page_held(const la_batch_page *page, size_t index);
/** The quantity waiting for stock (backorders) of row index's sku. */
LA_EXTERN(int64_t) la_batch_page_waiting(const la_batch_page *page, size_t index);
/** Cursor for the next page, or NULL when this is the last page. */
LA_EXTERN(const char *) la_batch_page_next(const la_batch_page *page);
/** Free a page; NULL is fine. */
LA_EXTERN(void) la_batch_page_free(la_batch_page *page);

/** @} */

/**
 * @name Order history (docs/history.md)
 * What happened to an order's lines, oldest first: one entry per event that
 * changed one of them, named after that event (Allocated, Deallocated,
 * Confirmed, Backordered). A line moved by a quantity change or a cancelled
 * batch reads as a Deallocated (reason "stock_reduced") then an Allocated.
 * Each store that persists writes its entries in the transaction of the
 * change they record. Strings read from a list are borrowed from it.
 * @{
 */

/** An order's history (opaque, owned by the caller). */
typedef struct la_history_list la_history_list;

/**
 * The history of orderid, oldest first.
 * @param[out] out the list, owned by the caller (la_history_list_free()).
 *        An order the store never saw: an empty list.
 * @param store the store to read.
 * @param orderid the order, 1–255 bytes.
 * @return #LA_OK; #LA_EINVAL (NULL out or store, bad orderid);
 *         #LA_EUNSUPPORTED when the store keeps no history (the CSV store, or
 *         an adapter that predates it); #LA_ENOMEM; the adapter's #LA_EDB /
 *         #LA_EIO.
 */
LA_EXTERN(int) la_view_history(la_history_list **out, la_store *store, const char *orderid);

/** Number of entries (0 for NULL). */
LA_EXTERN(size_t) la_history_list_count(const la_history_list *list);
/**
 * When entry index happened: the time of the bus's clock when it ran the
 * command (seconds since 1970 UTC), or 0 when out of range.
 */
LA_EXTERN(int64_t) la_history_list_time(const la_history_list *list, size_t index);
/**
 * The event of entry index: #LA_EVT_ALLOCATED, #LA_EVT_DEALLOCATED,
 * #LA_EVT_CONFIRMED or #LA_EVT_BACKORDERED (messages.h); 0 when out of range.
 */
LA_EXTERN(int) la_history_list_event(const la_history_list *list, size_t index);
/** The event's name ("Allocated", ...; static), or NULL when out of range. */
LA_EXTERN(const char *) la_history_list_event_name(const la_history_list *list, size_t index);
/** Sku of the line of entry index, or NULL when out of range. */
LA_EXTERN(const char *) la_history_list_sku(const la_history_list *list, size_t index);
/** Quantity of the line of entry index, or 0 when out of range. */
LA_EXTERN(int64_t) la_history_list_qty(const la_history_list *list, size_t index);
/**
 * The batch of entry index: allocated to, deallocated from, confirmed on;
 * NULL for Backordered, for a Deallocated of a line that was waiting, and
 * when out of range.
 */
LA_EXTERN(const char *) la_history_list_batchref(const la_history_list *list, size_t index);
/** A Deallocated entry's #la_dealloc_reason; else 0. */
LA_EXTERN(int) la_history_list_reason(const la_history_list *list, size_t index);
/** The reason's name ("requested", "stock_reduced", "expired"; static), or NULL. */
LA_EXTERN(const char *) la_history_list_reason_name(const la_history_list *list, size_t index);
/**
 * A held Allocated entry: when its hold ends (seconds since 1970 UTC); 0 for
 * a permanent allocation and every other entry.
 */
LA_EXTERN(int64_t) la_history_list_expires(const la_history_list *list, size_t index);
/** Free a list; NULL is fine. */
LA_EXTERN(void) la_history_list_free(la_history_list *list);

/** @} */

LA_END_DECL

#endif
