/**
 * @file allocation/sys/ports.h
 * @brief Ports, for people who write an adapter (see docs/adapters.md).
 *
 * A store adapter fills a la_store_port vtable (usually a static const) and
 * hands it with its own state to la_store_new. The bus drives it:
 *
 *     begin → repository calls and domain changes → commit or rollback → end
 *
 * exactly one end per begin. Products the repository hands out (get,
 * get_by_batchref) or takes (add) belong to the store and stay valid until
 * end. At commit the store writes what each of them recorded (the change log,
 * la_product_change_at) and, if it keeps an outbox, their Allocated events
 * (la_product_event_at), then calls la_product_changes_saved. If commit fails
 * the store has rolled back. rollback discards every change since begin.
 *
 * Products are loaded lazily: get returns the product with its batches (and
 * their stored allocated quantity and line count) but not necessarily their
 * lines; load_line and load_batch_lines attach the lines a command needs.
 *
 * All callbacks return LA_OK or a negative code after setting the message
 * with la_error_set. Out parameters come first, the adapter's state last.
 *
 * Threads: the bus calls a store's port from the one thread that uses the
 * store; the functions below act on the objects they are given and are safe
 * from any thread for distinct objects.
 */
#ifndef ALLOCATION_SYS_PORTS_H
#define ALLOCATION_SYS_PORTS_H

#include "../common.h"
#include "../model.h"
#include "../store.h"
#include "../views.h"

LA_BEGIN_DECL

/** The version of la_store_port these headers describe. */
#define LA_STORE_PORT_VERSION 1

/**
 * A store adapter's vtable. Every operation is required except
 * relay_outbox. Members are only ever added at the end; la_store_new()
 * checks the version.
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
 * @return #LA_OK; #LA_EINVAL; #LA_ECONFLICT when ref is loaded twice;
 *         #LA_ENOMEM.
 */
LA_EXTERN(int)
la_product_load_batch(la_product *product, const char *ref, int64_t purchased, const char *eta,
                      int64_t allocated, int64_t line_count, int64_t sequence);
/**
 * A stored line on batch ref. Loading a line already known is a no-op.
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

/** @} */

/**
 * @name The change log: what to write at commit
 * @{
 */

/** Kinds of la_change. Never renumbered. */
typedef enum la_change_kind {
	LA_CHANGE_BATCH_ADDED = 1,     /**< batchref, qty (purchased), eta, sequence */
	LA_CHANGE_BATCH_QUANTITY = 2,  /**< batchref, qty (new purchased) */
	LA_CHANGE_BATCH_REMOVED = 3,   /**< batchref (its lines were deallocated before) */
	LA_CHANGE_LINE_ALLOCATED = 4,  /**< batchref, orderid, qty, sequence */
	LA_CHANGE_LINE_DEALLOCATED = 5 /**< batchref, orderid, qty */
} la_change_kind;

/** One change; strings borrowed from the product until la_product_changes_saved. */
typedef struct la_change {
	int kind;             /**< a #la_change_kind */
	const char *batchref; /**< the batch changed or holding the line */
	const char *orderid;  /**< line changes: the order; else NULL */
	const char *eta;      /**< BATCH_ADDED: "YYYY-MM-DD" or NULL */
	int64_t qty;          /**< purchased quantity, or the line's quantity */
	int64_t sequence;     /**< BATCH_ADDED, LINE_ALLOCATED: the sequence to store */
} la_change;

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
/** Non-zero for a product made by la_product_new that no store has saved yet. */
LA_EXTERN(int) la_product_is_new(const la_product *product);
/** version_number as loaded or last saved: the optimistic-concurrency check. */
LA_EXTERN(int64_t) la_product_saved_version(const la_product *product);
/** The changes are stored: clear the change log, saved version = version. */
LA_EXTERN(void) la_product_changes_saved(la_product *product);
/** Undo every change since the last save, and drop recorded events. Never fails. */
LA_EXTERN(void) la_product_revert_changes(la_product *product);

/** @} */

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

/**
 * Sort key of an ETA: 0 for NULL (in stock, sorts first), else YYYYMMDD.
 * -1 when eta is not a valid calendar date "YYYY-MM-DD".
 */
LA_EXTERN(int32_t) la_date_key(const char *eta);

/** @} */

/**
 * @name Errors and logging for adapters
 * @{
 */

/**
 * Set the calling thread's last error (la_error_last()).
 * @param code the #la_status to report.
 * @param fmt printf format of the message, naming the problem.
 * @return code, so `return la_error_set(LA_EDB, "...", ...);` reads well.
 */
LA_EXTERN(int)
la_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/**
 * Log through the user's callback, if any (la_set_log_callback()).
 * @param level a #la_log_level.
 * @param fmt printf format of one line.
 */
LA_EXTERN(void)
la_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * Validate an identifier (1–255 bytes of UTF-8, no NUL).
 * @param value the string.
 * @param field the field's name, used in the error message.
 * @return #LA_OK or #LA_EINVAL (message set).
 */
LA_EXTERN(int) la_check_string(const char *value, const char *field);

/** @} */

LA_END_DECL

#endif
