/**
 * @file allocation/messages.h
 * @brief Commands and events (spec §1.2).
 *
 * One opaque type, la_message, carries every command and event. Create a
 * command with its la_command_* constructor (the fields are validated and
 * copied), inspect any message through the accessors, free it with
 * la_message_free. Accessors return borrowed strings valid while the message
 * lives; a field a kind does not have reads as NULL (strings) or 0 (qty).
 *
 * Threads: a message is immutable once made, so several threads may read one
 * message at the same time; la_message_free() needs the only reference.
 */
#ifndef ALLOCATION_MESSAGES_H
#define ALLOCATION_MESSAGES_H

#include "common.h"

LA_BEGIN_DECL

/** A command or an event (opaque). */
typedef struct la_message la_message;

/** Message kinds. Commands are < 100, events >= 100. Never renumbered. */
typedef enum la_message_kind {
	LA_CMD_CREATE_BATCH = 1,          /**< CreateBatch(ref, sku, qty, eta) */
	LA_CMD_ALLOCATE = 2,              /**< Allocate(orderid, sku, qty) */
	LA_CMD_DEALLOCATE = 3,            /**< Deallocate(orderid, sku) */
	LA_CMD_CHANGE_BATCH_QUANTITY = 4, /**< ChangeBatchQuantity(ref, qty) */
	LA_CMD_CANCEL_BATCH = 5,          /**< CancelBatch(ref) */
	LA_CMD_ALLOCATE_ORDER = 6,        /**< AllocateOrder(orderid, lines, hold) */
	LA_CMD_CONFIRM = 7,               /**< Confirm(orderid): its held lines stay */
	LA_CMD_EXPIRE_HOLDS = 8,          /**< ExpireHolds(now) */
	LA_EVT_ALLOCATED = 101,           /**< Allocated(orderid, sku, qty, batchref[, expires]) */
	LA_EVT_DEALLOCATED = 102,         /**< Deallocated(orderid, sku, qty, reason) */
	LA_EVT_OUT_OF_STOCK = 103,        /**< OutOfStock(sku) */
	LA_EVT_CONFIRMED = 104,           /**< Confirmed(orderid, sku, qty, batchref) */
	LA_EVT_BACKORDERED = 105          /**< Backordered(orderid, sku, qty) */
} la_message_kind;

/** Why a line was deallocated (Deallocated.reason). Never renumbered. */
typedef enum la_dealloc_reason {
	LA_REASON_REQUESTED = 1,     /**< "requested": the customer cancelled */
	LA_REASON_STOCK_REDUCED = 2, /**< "stock_reduced": reallocated at once */
	LA_REASON_EXPIRED = 3        /**< "expired": its hold ran out; not reallocated */
} la_dealloc_reason;

/** Longest hold, in seconds (one day). */
#define LA_HOLD_MAX_SECONDS 86400
/** Most lines of one AllocateOrder. */
#define LA_ORDER_MAX_LINES 1000

/**
 * @name Command constructors
 * On success *out is a new message owned by the caller (free it with
 * la_message_free()); on failure *out is not written. Errors: #LA_EINVAL with
 * a message naming the bad field (strings must be 1–255 bytes of UTF-8 with
 * no NUL; qty > 0, or >= 0 for purchased quantities; eta "YYYY-MM-DD" or
 * NULL), #LA_ENOMEM. Safe from any thread.
 * @{
 */

/**
 * CreateBatch: a new batch (shipment) of a product.
 * @param[out] out the new command.
 * @param ref batch reference, unique across all products.
 * @param sku the product.
 * @param qty purchased quantity, >= 0.
 * @param eta arrival date "YYYY-MM-DD", or NULL when already in stock.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_create_batch(la_message **out, const char *ref, const char *sku, int64_t qty,
                        const char *eta);
/**
 * Allocate: allocate an order line to a batch.
 * @param[out] out the new command.
 * @param orderid the order.
 * @param sku the product.
 * @param qty quantity, > 0.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_allocate(la_message **out, const char *orderid, const char *sku, int64_t qty);
/**
 * Deallocate: the customer cancelled the line (orderid, sku).
 * @param[out] out the new command.
 * @param orderid the order.
 * @param sku the product.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int) la_command_deallocate(la_message **out, const char *orderid, const char *sku);
/**
 * ChangeBatchQuantity: set a batch's purchased quantity.
 * @param[out] out the new command.
 * @param ref the batch.
 * @param qty new purchased quantity, >= 0.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_change_batch_quantity(la_message **out, const char *ref, int64_t qty);
/**
 * CancelBatch: the shipment is lost; its lines are reallocated.
 * @param[out] out the new command.
 * @param ref the batch.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int) la_command_cancel_batch(la_message **out, const char *ref);
/**
 * Allocate with a hold and/or a promise date.
 *
 * A held line counts as allocated until it is confirmed (Confirm) or its
 * hold expires (ExpireHolds deallocates it, reason "expired"). A promise
 * date is the date the customer was promised: the allocation policy may use
 * it (the built-in "latest-in-time" takes the latest batch that still
 * arrives by then; "book" ignores it). With neither, a plain Allocate.
 * @param[out] out the new command.
 * @param orderid the order.
 * @param sku the product.
 * @param qty quantity, > 0.
 * @param hold_seconds 0 (permanent), or 1 to #LA_HOLD_MAX_SECONDS: the hold
 *        runs from the time the bus handles the command (its clock).
 * @param promise "YYYY-MM-DD", or NULL.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_allocate_with(la_message **out, const char *orderid, const char *sku, int64_t qty,
                         int64_t hold_seconds, const char *promise);
/**
 * AllocateOrder: every line of an order, or none (whole orders).
 * @param[out] out the new command.
 * @param orderid the order.
 * @param skus the lines' skus, each once (copied).
 * @param qtys their quantities, each > 0.
 * @param count 1 to #LA_ORDER_MAX_LINES lines.
 * @param hold_seconds 0 (permanent), or 1 to #LA_HOLD_MAX_SECONDS for every
 *        line.
 * @return #LA_OK; #LA_EINVAL naming the bad field (no lines, too many, a
 *         sku twice, a bad sku or qty); #LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_allocate_order(la_message **out, const char *orderid, const char *const *skus,
                          const int64_t *qtys, size_t count, int64_t hold_seconds);
/**
 * Confirm: every held line of orderid becomes permanent.
 * @param[out] out the new command.
 * @param orderid the order.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int) la_command_confirm(la_message **out, const char *orderid);
/**
 * ExpireHolds: deallocate (reason "expired") every held line whose hold ran
 * out at or before now; their stock becomes available.
 * @param[out] out the new command.
 * @param now seconds since 1970-01-01 UTC, >= 0.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int) la_command_expire_holds(la_message **out, int64_t now);

/** @} */

/**
 * @name Event constructors
 * For tests and for adapters that replay events. Same validation, errors,
 * ownership and thread-safety as the command constructors.
 * @{
 */

/**
 * Allocated: the line (orderid, sku, qty) went to batch batchref.
 * @param[out] out the new event.
 * @param orderid the order.
 * @param sku the product.
 * @param qty the line's quantity, > 0.
 * @param batchref the batch it went to.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_event_allocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                   const char *batchref);
/**
 * Deallocated: the line (orderid, sku, qty) left its batch.
 * @param[out] out the new event.
 * @param orderid the order.
 * @param sku the product.
 * @param qty the line's quantity, > 0.
 * @param reason a #la_dealloc_reason.
 * @return #LA_OK, #LA_EINVAL (also for an unknown reason) or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_event_deallocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                     int reason);
/**
 * OutOfStock: no batch of sku could take a line.
 * @param[out] out the new event.
 * @param sku the product.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int) la_event_out_of_stock(la_message **out, const char *sku);
/**
 * Allocated with a hold: the line (orderid, sku, qty) went to batchref until
 * expires (seconds since 1970 UTC, > 0).
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_event_allocated_held(la_message **out, const char *orderid, const char *sku, int64_t qty,
                        const char *batchref, int64_t expires);
/**
 * Confirmed: the held line (orderid, sku, qty) on batchref became permanent.
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_event_confirmed(la_message **out, const char *orderid, const char *sku, int64_t qty,
                   const char *batchref);
/**
 * Backordered: no batch could take the line (orderid, sku, qty): it waits
 * for stock, first come first served (bus option #LA_BUS_BACKORDERS).
 * @return #LA_OK, #LA_EINVAL or #LA_ENOMEM.
 */
LA_EXTERN(int)
la_event_backordered(la_message **out, const char *orderid, const char *sku, int64_t qty);

/** @} */

/**
 * Deep copy of a message.
 * @param[out] out the copy, owned by the caller (la_message_free()).
 * @param message the message to copy (borrowed).
 * @return #LA_OK, #LA_EINVAL when an argument is NULL, #LA_ENOMEM.
 * @par Thread safety
 * Safe from any thread; @p message may be read by others meanwhile.
 */
LA_EXTERN(int) la_message_copy(la_message **out, const la_message *message);

/**
 * Free a message.
 * @param message the message, or NULL (nothing happens). Must be the
 *        caller's own: never a borrowed event (la_product_event_at(), a bus
 *        handler's argument).
 */
LA_EXTERN(void) la_message_free(la_message *message);

/**
 * Kind of a message.
 * @param message the message (borrowed), or NULL.
 * @return a #la_message_kind; 0 for NULL.
 */
LA_EXTERN(int) la_message_kind_of(const la_message *message);
/**
 * Whether a message is a command.
 * @param message the message (borrowed), or NULL.
 * @return non-zero for commands, zero for events and NULL.
 */
LA_EXTERN(int) la_message_is_command(const la_message *message);
/**
 * Stable name of the message's kind.
 * @param message the message (borrowed), or NULL.
 * @return "CreateBatch", "Allocate", ..., "Allocated", "OutOfStock";
 *         "Unknown" for NULL. Static storage.
 */
LA_EXTERN(const char *) la_message_name(const la_message *message);

/**
 * @name Field accessors
 * Each takes a message (borrowed, or NULL) and returns its field: strings
 * are borrowed from the message and live as long as it; a field the kind
 * does not have reads as NULL (strings) or 0 (numbers). Safe from any
 * thread.
 * @{
 */

/** Order id of Allocate, Deallocate, Allocated and Deallocated, else NULL. */
LA_EXTERN(const char *) la_message_orderid(const la_message *message);
/** Product sku of every kind but ChangeBatchQuantity and CancelBatch (NULL). */
LA_EXTERN(const char *) la_message_sku(const la_message *message);
/** Batch reference: CreateBatch/ChangeBatchQuantity/CancelBatch ref, Allocated batchref. */
LA_EXTERN(const char *) la_message_batchref(const la_message *message);
/** ETA "YYYY-MM-DD" of CreateBatch, or NULL when in stock. */
LA_EXTERN(const char *) la_message_eta(const la_message *message);
/** Quantity of CreateBatch, Allocate, ChangeBatchQuantity, Allocated, Deallocated; else 0. */
LA_EXTERN(int64_t) la_message_qty(const la_message *message);
/** la_dealloc_reason of a Deallocated event, else 0. */
LA_EXTERN(int) la_message_reason(const la_message *message);
/** "requested" / "stock_reduced" / "expired" for Deallocated, else NULL. Static storage. */
LA_EXTERN(const char *) la_message_reason_name(const la_message *message);
/** Hold of Allocate and AllocateOrder in seconds (0: permanent), else 0. */
LA_EXTERN(int64_t) la_message_hold_seconds(const la_message *message);
/** When the hold of an Allocated line ends (seconds since 1970 UTC); 0 when permanent. */
LA_EXTERN(int64_t) la_message_expires(const la_message *message);
/** Promise date "YYYY-MM-DD" of an Allocate, or NULL. */
LA_EXTERN(const char *) la_message_promise(const la_message *message);
/** The time of ExpireHolds (seconds since 1970 UTC), else 0. */
LA_EXTERN(int64_t) la_message_now(const la_message *message);
/** Number of lines of AllocateOrder, else 0. */
LA_EXTERN(size_t) la_message_line_count(const la_message *message);
/** Sku of line index of AllocateOrder, or NULL. */
LA_EXTERN(const char *) la_message_line_sku(const la_message *message, size_t index);
/** Quantity of line index of AllocateOrder, or 0. */
LA_EXTERN(int64_t) la_message_line_qty(const la_message *message, size_t index);

/** @} */

/**
 * The message as a JSON object with the spec's field names, e.g. Allocated
 * → {"orderid":..,"sku":..,"qty":..,"batchref":..}.
 *
 * @param[out] out a NUL-terminated UTF-8 string owned by the caller, freed
 *        with la_free().
 * @param message the message (borrowed).
 * @param id when not NULL, an "id" field added first (the outbox uses it to
 *        make each published message unique).
 * @return #LA_OK, #LA_EINVAL when out or message is NULL, #LA_ENOMEM.
 * @par Thread safety
 * Safe from any thread.
 */
LA_EXTERN(int) la_message_to_json(char **out, const la_message *message, const char *id);

/**
 * Free memory the library returned as a plain buffer (strings such as
 * la_message_to_json() output and dashboard cursors).
 * @param ptr the buffer, or NULL (nothing happens).
 */
LA_EXTERN(void) la_free(void *ptr);

LA_END_DECL

#endif
