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
	LA_EVT_ALLOCATED = 101,           /**< Allocated(orderid, sku, qty, batchref) */
	LA_EVT_DEALLOCATED = 102,         /**< Deallocated(orderid, sku, qty, reason) */
	LA_EVT_OUT_OF_STOCK = 103         /**< OutOfStock(sku) */
} la_message_kind;

/** Why a line was deallocated (Deallocated.reason). */
typedef enum la_dealloc_reason {
	LA_REASON_REQUESTED = 1,    /**< "requested": the customer cancelled */
	LA_REASON_STOCK_REDUCED = 2 /**< "stock_reduced": reallocated later */
} la_dealloc_reason;

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
/** "requested" / "stock_reduced" for Deallocated, else NULL. Static storage. */
LA_EXTERN(const char *) la_message_reason_name(const la_message *message);

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
