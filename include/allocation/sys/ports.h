/*
 * liballocation — ports, for people who write an adapter.
 *
 * A store adapter fills a la_store_port vtable (usually a static const) and
 * hands it with its own state to la_store_new. The bus drives it:
 *
 *   begin → repository calls and domain changes → commit or rollback → end
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
 */
#ifndef ALLOCATION_SYS_PORTS_H
#define ALLOCATION_SYS_PORTS_H

#include "../common.h"
#include "../model.h"
#include "../store.h"
#include "../views.h"

LA_BEGIN_DECL

#define LA_STORE_PORT_VERSION 1

typedef struct la_store_port {
	unsigned int version; /**< LA_STORE_PORT_VERSION */
	const char *name;     /**< "sqlite", ...: static */

	/* unit of work */
	int (*begin)(void *state);
	int (*commit)(void *state);
	void (*rollback)(void *state);
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
 * Wrap an adapter into a store handle. port is borrowed (keep it alive, e.g.
 * static); state is owned from now on: on failure port->close(state) is
 * called. *out owned by the caller (la_store_free).
 */
LA_EXTERN(int) la_store_new(la_store **out, const la_store_port *port, void *state);

/* ---- building products from storage (no events, no version bumps) ---- */

/** A product as stored: sku and version_number. */
LA_EXTERN(int) la_product_load(la_product **out, const char *sku, int64_t version);
/** A stored batch with its stored allocated quantity and line count. */
LA_EXTERN(int)
la_product_load_batch(la_product *product, const char *ref, int64_t purchased, const char *eta,
                      int64_t allocated, int64_t line_count, int64_t sequence);
/**
 * A stored line on batch ref; sequence orders allocations (most recent =
 * largest). Loading a line already known is a no-op.
 */
LA_EXTERN(int)
la_product_load_line(la_product *product, const char *ref, const char *orderid, int64_t qty,
                     int64_t sequence);
/** Declare that every line of batch ref is now loaded. */
LA_EXTERN(int) la_product_batch_lines_loaded(la_product *product, const char *ref);

/* ---- the change log: what to write at commit ---- */

typedef enum la_change_kind {
	LA_CHANGE_BATCH_ADDED = 1,     /**< batchref, qty (purchased), eta, sequence */
	LA_CHANGE_BATCH_QUANTITY = 2,  /**< batchref, qty (new purchased) */
	LA_CHANGE_BATCH_REMOVED = 3,   /**< batchref (its lines were deallocated before) */
	LA_CHANGE_LINE_ALLOCATED = 4,  /**< batchref, orderid, qty, sequence */
	LA_CHANGE_LINE_DEALLOCATED = 5 /**< batchref, orderid, qty */
} la_change_kind;

/** One change; strings borrowed from the product until la_product_changes_saved. */
typedef struct la_change {
	int kind;
	const char *batchref;
	const char *orderid;
	const char *eta;
	int64_t qty;
	int64_t sequence;
} la_change;

LA_EXTERN(size_t) la_product_change_count(const la_product *product);
LA_EXTERN(int) la_product_change_at(la_change *out, const la_product *product, size_t index);
/** Non-zero for a product made by la_product_new that no store has saved yet. */
LA_EXTERN(int) la_product_is_new(const la_product *product);
/** version_number as loaded or last saved: the optimistic-concurrency check. */
LA_EXTERN(int64_t) la_product_saved_version(const la_product *product);
/** The changes are stored: clear the change log, saved version = version. */
LA_EXTERN(void) la_product_changes_saved(la_product *product);
/** Undo every change since the last save, and drop recorded events. */
LA_EXTERN(void) la_product_revert_changes(la_product *product);

/* ---- building read-model results ---- */

LA_EXTERN(int)
la_allocation_list_append(la_allocation_list *list, const char *sku, const char *batchref);
LA_EXTERN(int)
la_batch_page_append(la_batch_page *page, const char *ref, const char *sku, const char *eta,
                     int64_t purchased, int64_t allocated, int64_t lines);
LA_EXTERN(int) la_batch_page_set_next(la_batch_page *page, const char *cursor);

/**
 * Dashboard cursors: the sort key (sku, eta key, sequence) of the last row
 * of a page, as a URL-safe string. *out freed with la_free. Decoding gives
 * *out_sku (la_free), *out_eta_key and *out_sequence; LA_EINVAL if malformed.
 */
LA_EXTERN(int)
la_batch_cursor_encode(char **out, const char *sku, const char *eta, int64_t sequence);
LA_EXTERN(int)
la_batch_cursor_decode(char **out_sku, int32_t *out_eta_key, int64_t *out_sequence,
                       const char *cursor);

/**
 * Sort key of an ETA: 0 for NULL (in stock, sorts first), else YYYYMMDD.
 * -1 when eta is not a valid calendar date "YYYY-MM-DD".
 */
LA_EXTERN(int32_t) la_date_key(const char *eta);

/* ---- errors and logging for adapters ---- */

/** Set the calling thread's last error; returns code. */
LA_EXTERN(int)
la_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** Log through the user's callback, if any. */
LA_EXTERN(void)
la_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Validate an identifier (1–255 bytes of UTF-8, no NUL); field names it in the error. */
LA_EXTERN(int) la_check_string(const char *value, const char *field);

LA_END_DECL

#endif
