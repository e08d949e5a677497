/**
 * @file allocation/sys/store_port.h
 * @brief The store port, for people who write a store adapter
 * (docs/adapters.md): the vtable, la_store_new, the functions that fill
 * read-model results, and dashboard cursors.
 *
 * A store adapter fills a la_store_port vtable (usually a static const) and
 * hands it with its own state to la_store_new. The bus drives it:
 *
 *     begin → repository calls and domain changes → commit or rollback → end
 *
 * exactly one end per begin. Products the repository hands out (get,
 * get_by_batchref) or takes (add) belong to the store and stay valid until
 * end. At commit the store writes what each of them recorded (the change log
 * of sys/product.h) and, if it keeps an outbox, their Allocated events
 * (la_product_event_at), then calls la_product_changes_saved. If commit fails
 * the store has rolled back. rollback discards every change since begin.
 *
 * Products are loaded lazily: get returns the product with its batches (and
 * their stored allocated quantity and line count) but not necessarily their
 * lines; load_line and load_batch_lines attach the lines a command needs.
 *
 * All callbacks return LA_OK or a negative code after setting the message
 * with la_error_set (sys/errors.h). Out parameters come first, the adapter's
 * state last.
 *
 * Threads: the bus calls a store's port from the one thread that uses the
 * store; the functions below act on the objects they are given and are safe
 * from any thread for distinct objects.
 */
#ifndef ALLOCATION_SYS_STORE_PORT_H
#define ALLOCATION_SYS_STORE_PORT_H

#include "../check.h"
#include "../common.h"
#include "../model.h"
#include "../store.h"
#include "../views.h"
#include "errors.h"
#include "product.h"

LA_BEGIN_DECL

/** (orderid, sku) pairs, or (orderid, sku, qty) lines, an adapter answers with (opaque;
 * la_order_line_list_append, la_order_line_list_append_qty). */
typedef struct la_order_line_list la_order_line_list;

/** The version of la_store_port these headers describe. */
#define LA_STORE_PORT_VERSION 5

/**
 * A store adapter's vtable. Every operation of version 1 is required except
 * relay_outbox; those a later version adds are optional (NULL: the store
 * answers #LA_EUNSUPPORTED). Members are only ever added at the end;
 * la_store_new() checks the version and never reads past the members of the
 * version the port says it has, so an adapter built for an older version
 * keeps working.
 */
typedef struct la_store_port {
	unsigned int version; /**< LA_STORE_PORT_VERSION */
	const char *name;     /**< "sqlite", ...: static */

	/* unit of work */
	/** Start a unit of work (a transaction). */
	int (*begin)(void *state);
	/**
	 * Write every change of the products handed out since begin, with the
	 * optimistic version check (#LA_ECONFLICT), atomically. On failure the
	 * store has rolled back.
	 */
	int (*commit)(void *state);
	/** Discard every change since begin; must not fail. */
	void (*rollback)(void *state);
	/** Finish the unit of work: products handed out are no longer used. */
	void (*end)(void *state);

	/* repository */
	/** Take ownership of a new product (also on failure). */
	int (*add)(la_product *product, void *state);
	/** LA_ENOTFOUND (no message needed) when there is no such product. */
	int (*get)(la_product **out, const char *sku, void *state);
	/** The product holding batch ref; LA_ENOTFOUND when none. */
	int (*get_by_batchref)(la_product **out, const char *ref, void *state);
	/** Attach orderid's line to product if it is allocated (la_product_load_line). */
	int (*load_line)(la_product *product, const char *orderid, void *state);
	/** Attach every line of batch ref, then la_product_batch_lines_loaded. */
	int (*load_batch_lines)(la_product *product, const char *ref, void *state);

	/* read model: called outside units of work */
	/** Append orderid's (sku, batchref) rows to into, in allocation order. */
	int (*allocations)(la_allocation_list *into, const char *orderid, void *state);
	/** Rows after cursor `after` (NULL: from the start); set the next cursor when more follow.
	 */
	int (*batches)(la_batch_page *into, const char *sku, size_t limit, const char *after,
	               void *state);

	/** Transactional outbox relay (la_store_relay_outbox); NULL when the store has none. */
	int (*relay_outbox)(size_t *out_sent, size_t max, la_publish_fn publish, void *payload,
	                    void *state);

	/** Close connections and free state. */
	void (*close)(void *state);

	/* version 2 */
	/**
	 * The dashboard row of batch ref (la_batch_page_append), or nothing
	 * when there is no such batch (la_view_batch). Optional.
	 */
	int (*batch)(la_batch_page *into, const char *ref, void *state);
	/**
	 * Inside a unit of work: attach the lines of the orders listed that are
	 * allocated in product (la_product_load_line each), in one query. The
	 * bus calls it before a batch of commands (la_bus_handle_many) with the
	 * orders they name, so that each command finds its line loaded instead
	 * of asking for it alone. Optional (NULL: load_line is asked for each).
	 */
	int (*load_lines)(la_product *product, const char *const *orderids, size_t count,
	                  void *state);

	/* version 3 */
	/**
	 * Outside units of work: how many outbox messages are not yet published
	 * and the age in seconds of the oldest of them (0 when none), for
	 * la_store_outbox_status. Optional (NULL: the store has no outbox, or
	 * cannot tell).
	 */
	int (*outbox_status)(size_t *out_pending, double *out_oldest_age_seconds, void *state);

	/* version 4 */
	/**
	 * Inside a unit of work: every (orderid, sku) of orderid's lines,
	 * allocated (held or not) or waiting, as stored (Confirm finds the
	 * products to load with it). Optional: without it, Confirm answers
	 * #LA_EUNSUPPORTED.
	 */
	int (*lines_of_order)(la_order_line_list *into, const char *orderid, void *state);
	/**
	 * Inside a unit of work: (orderid, sku) of up to max held lines whose
	 * hold ends at or before now, earliest first. Optional: without it,
	 * ExpireHolds answers #LA_EUNSUPPORTED.
	 */
	int (*expired_holds)(la_order_line_list *into, int64_t now, size_t max, void *state);
	/**
	 * Outside units of work: (orderid, sku, qty) of up to max pending
	 * reallocations, oldest first (la_order_line_list_append_qty). A store
	 * that has this operation keeps one record per
	 * #LA_CHANGE_REALLOCATION_PENDING it commits, until the matching
	 * #LA_CHANGE_REALLOCATION_DONE (same sku and orderid) removes it, both
	 * in the transaction of their product's other changes (docs/reliability.md).
	 * Optional: without it the bus records no pending reallocation for this
	 * store and la_bus_finish_reallocations has nothing to do.
	 */
	int (*pending_reallocations)(la_order_line_list *into, size_t max, void *state);
	/**
	 * Outside units of work: append orderid's history entries to into
	 * (la_history_list_append), oldest first; nothing for an order the
	 * store never saw. The store writes them at commit, in the same
	 * transaction as the changes (la_product_change_event says which
	 * change makes which entry). Optional: without it, la_view_history
	 * answers #LA_EUNSUPPORTED.
	 */
	int (*history)(la_history_list *into, const char *orderid, void *state);
	/**
	 * Outside units of work: append every broken invariant of the stored
	 * data to into (la_check_report_append; docs/check.md lists them), in
	 * one consistent snapshot. Optional: without it, la_store_check answers
	 * #LA_EUNSUPPORTED.
	 */
	int (*check)(la_check_report *into, void *state);
	/**
	 * Outside units of work: recompute every derived figure from the
	 * allocations in one transaction, appending one finding per change to
	 * into; never delete an allocation. On failure nothing changed.
	 * Optional: without it, la_store_repair answers #LA_EUNSUPPORTED.
	 */
	int (*repair)(la_check_report *into, void *state);

	/* version 5 */
	/**
	 * Inside a unit of work, right after begin and before any other
	 * repository call: the bus is about to run commands naming the order
	 * lines (orderids[i], skus[i]), i < count (a sku may repeat). Load the
	 * product of every sku named, as get would, and attach each listed line
	 * that is allocated, as load_line would, in as few round trips as the
	 * store can: the commands' own get and load_line calls are then answered
	 * from memory. A sku without a product is left out (get later answers
	 * #LA_ENOTFOUND). Optional (NULL: each product is loaded by get when a
	 * command asks, its lines by load_lines or load_line).
	 */
	int (*prefetch)(const char *const *skus, const char *const *orderids, size_t count,
	                void *state);
} la_store_port;

/**
 * Wrap an adapter into a store handle.
 * @param[out] out the store, owned by the caller (la_store_free()).
 * @param port borrowed: keep it alive as long as the store (e.g. static).
 * @param state the adapter's state, owned from now on: on failure
 *        port->close(state) is called.
 * @return #LA_OK; #LA_EINVAL (NULL port or out, or a required operation
 *         is NULL); #LA_EUNSUPPORTED (unknown port->version); #LA_ENOMEM.
 */
LA_EXTERN(int) la_store_new(la_store **out, const la_store_port *port, void *state);

/**
 * @name Building read-model results
 * Append to the result the core handed to allocations/batches. Strings are
 * copied. Errors: #LA_EINVAL naming the bad field, #LA_ENOMEM.
 * @{
 */

/** Append one (sku, batchref) row to an allocation list. */
LA_EXTERN(int)
la_allocation_list_append(la_allocation_list *list, const char *sku, const char *batchref);
/** Append one dashboard row (eta "YYYY-MM-DD" or NULL). */
LA_EXTERN(int)
la_batch_page_append(la_batch_page *page, const char *ref, const char *sku, const char *eta,
                     int64_t purchased, int64_t allocated, int64_t lines);
/** Set (copied) or clear (NULL) the page's next cursor. */
LA_EXTERN(int) la_batch_page_set_next(la_batch_page *page, const char *cursor);
/**
 * Append one row of an order (la_view_allocations) with what version 1's
 * la_allocation_list_append cannot say: batchref NULL for a waiting line
 * (status #LA_LINE_BACKORDERED), and the end of a hold (status
 * #LA_LINE_HELD).
 * @param list the list.
 * @param sku the line's sku.
 * @param batchref its batch, or NULL when it waits.
 * @param status a #la_line_status.
 * @param expires the hold's end (seconds since 1970 UTC) of a held line, else 0.
 */
LA_EXTERN(int)
la_allocation_list_append_line(la_allocation_list *list, const char *sku, const char *batchref,
                               int status, int64_t expires);
/**
 * Append one dashboard row with the figures version 1's la_batch_page_append
 * lacks: held (of allocated, the quantity held) and waiting (the quantity
 * of the sku's lines waiting for stock).
 */
LA_EXTERN(int)
la_batch_page_append_row(la_batch_page *page, const char *ref, const char *sku, const char *eta,
                         int64_t purchased, int64_t allocated, int64_t lines, int64_t held,
                         int64_t waiting);
/**
 * Append one entry to an order's history (la_view_history); strings are
 * copied.
 * @param list the list.
 * @param time when it happened (seconds since 1970 UTC, >= 0: la_product_change_time).
 * @param event #LA_EVT_ALLOCATED, #LA_EVT_DEALLOCATED, #LA_EVT_CONFIRMED or
 *        #LA_EVT_BACKORDERED (la_product_change_event).
 * @param sku the line's sku.
 * @param qty its quantity (> 0).
 * @param batchref its batch: required for Allocated and Confirmed, NULL for
 *        Backordered, NULL for a Deallocated of a waiting line.
 * @param reason a #la_dealloc_reason for Deallocated, else 0.
 * @param expires a held Allocated's end of hold (seconds since 1970 UTC), else 0.
 * @return #LA_OK; #LA_EINVAL naming the bad field; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_history_list_append(la_history_list *list, int64_t time, int event, const char *sku, int64_t qty,
                       const char *batchref, int reason, int64_t expires);
/** Append one (orderid, sku) pair (copied). */
LA_EXTERN(int)
la_order_line_list_append(la_order_line_list *list, const char *orderid, const char *sku);
/**
 * Append one (orderid, sku, qty) line (strings copied): a pending
 * reallocation (la_store_port.pending_reallocations).
 * @param list the list.
 * @param orderid the order.
 * @param sku the line's sku.
 * @param qty its quantity (> 0 for a pending reallocation).
 * @return #LA_OK; #LA_EINVAL naming the bad field; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_order_line_list_append_qty(la_order_line_list *list, const char *orderid, const char *sku,
                              int64_t qty);

/**
 * Append one finding to a check or repair report (the port's check and
 * repair).
 * @param report the report.
 * @param kind a #la_check_kind.
 * @param batchref, orderid, sku what the finding names, each NULL when it
 *        names none (copied).
 * @param fmt printf format of the message (what is wrong, or what changed).
 * @return #LA_OK; #LA_EINVAL (NULL report or fmt, unknown kind); #LA_ENOMEM.
 */
LA_EXTERN(int)
la_check_report_append(la_check_report *report, int kind, const char *batchref, const char *orderid,
                       const char *sku, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/** @} */

/**
 * @name Dashboard cursors
 * A cursor is the sort key (sku, eta key, sequence) of the last row of a
 * page, as a URL-safe string.
 * @{
 */

/**
 * Encode a cursor.
 * @param[out] out the cursor, freed with la_free().
 * @param sku, eta, sequence the last row's sku, ETA (or NULL) and sequence.
 * @return #LA_OK, #LA_EINVAL, #LA_ENOMEM.
 */
LA_EXTERN(int)
la_batch_cursor_encode(char **out, const char *sku, const char *eta, int64_t sequence);
/**
 * Decode a cursor.
 * @param[out] out_sku the sku (la_free()).
 * @param[out] out_eta_key the ETA key (la_date_key()).
 * @param[out] out_sequence the sequence.
 * @param cursor the cursor.
 * @return #LA_OK; #LA_EINVAL if malformed; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_batch_cursor_decode(char **out_sku, int32_t *out_eta_key, int64_t *out_sequence,
                       const char *cursor);
/** @} */

LA_END_DECL

#endif
