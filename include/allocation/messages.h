/*
 * liballocation — commands and events (spec §1.2).
 *
 * One opaque type, la_message, carries every command and event. Create a
 * command with its la_command_* constructor (the fields are validated and
 * copied), inspect any message through the accessors, free it with
 * la_message_free. Accessors return borrowed strings valid while the message
 * lives; a field a kind does not have reads as NULL (strings) or 0 (qty).
 */
#ifndef ALLOCATION_MESSAGES_H
#define ALLOCATION_MESSAGES_H

#include "common.h"

LA_BEGIN_DECL

typedef struct la_message la_message;

/** Message kinds. Commands are < 100, events >= 100. Never renumbered. */
typedef enum la_message_kind {
	LA_CMD_CREATE_BATCH = 1,
	LA_CMD_ALLOCATE = 2,
	LA_CMD_DEALLOCATE = 3,
	LA_CMD_CHANGE_BATCH_QUANTITY = 4,
	LA_CMD_CANCEL_BATCH = 5,
	LA_EVT_ALLOCATED = 101,
	LA_EVT_DEALLOCATED = 102,
	LA_EVT_OUT_OF_STOCK = 103
} la_message_kind;

/** Why a line was deallocated (Deallocated.reason). */
typedef enum la_dealloc_reason {
	LA_REASON_REQUESTED = 1,    /**< "requested": the customer cancelled */
	LA_REASON_STOCK_REDUCED = 2 /**< "stock_reduced": reallocated later */
} la_dealloc_reason;

/*
 * Command constructors. On success *out is a new message owned by the
 * caller. Errors: LA_EINVAL with a message naming the bad field (strings
 * must be 1–255 bytes of UTF-8; qty > 0, or >= 0 for purchased quantities;
 * eta "YYYY-MM-DD" or NULL), LA_ENOMEM.
 */
LA_EXTERN(int)
la_command_create_batch(la_message **out, const char *ref, const char *sku, int64_t qty,
                        const char *eta);
LA_EXTERN(int)
la_command_allocate(la_message **out, const char *orderid, const char *sku, int64_t qty);
LA_EXTERN(int) la_command_deallocate(la_message **out, const char *orderid, const char *sku);
LA_EXTERN(int)
la_command_change_batch_quantity(la_message **out, const char *ref, int64_t qty);
LA_EXTERN(int) la_command_cancel_batch(la_message **out, const char *ref);

/*
 * Event constructors, for tests and for adapters that replay events.
 * Same validation and ownership as the commands.
 */
LA_EXTERN(int)
la_event_allocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                   const char *batchref);
LA_EXTERN(int)
la_event_deallocated(la_message **out, const char *orderid, const char *sku, int64_t qty,
                     int reason);
LA_EXTERN(int) la_event_out_of_stock(la_message **out, const char *sku);

/** Deep copy. *out is owned by the caller. */
LA_EXTERN(int) la_message_copy(la_message **out, const la_message *message);

/** Free a message; NULL is fine. */
LA_EXTERN(void) la_message_free(la_message *message);

/** Kind (la_message_kind) of a message; 0 for NULL. */
LA_EXTERN(int) la_message_kind_of(const la_message *message);
/** Non-zero for commands, zero for events. */
LA_EXTERN(int) la_message_is_command(const la_message *message);
/** Stable name: "CreateBatch", "Allocate", ..., "Allocated", "OutOfStock". */
LA_EXTERN(const char *) la_message_name(const la_message *message);

/* Field accessors (borrowed; NULL / 0 when the kind has no such field). */
LA_EXTERN(const char *) la_message_orderid(const la_message *message);
LA_EXTERN(const char *) la_message_sku(const la_message *message);
/** Batch reference: CreateBatch/ChangeBatchQuantity/CancelBatch ref, Allocated batchref. */
LA_EXTERN(const char *) la_message_batchref(const la_message *message);
/** ETA "YYYY-MM-DD" of CreateBatch, or NULL when in stock. */
LA_EXTERN(const char *) la_message_eta(const la_message *message);
LA_EXTERN(int64_t) la_message_qty(const la_message *message);
/** la_dealloc_reason of a Deallocated event, else 0. */
LA_EXTERN(int) la_message_reason(const la_message *message);
/** "requested" / "stock_reduced" for Deallocated, else NULL. */
LA_EXTERN(const char *) la_message_reason_name(const la_message *message);

/**
 * The message as a JSON object with the spec's field names, e.g. Allocated
 * → {"orderid":..,"sku":..,"qty":..,"batchref":..}. When id is not NULL an
 * "id" field is added first. *out is a NUL-terminated string owned by the
 * caller, freed with la_free.
 */
LA_EXTERN(int) la_message_to_json(char **out, const la_message *message, const char *id);

/** Free memory the library returned as a plain buffer (strings); NULL is fine. */
LA_EXTERN(void) la_free(void *ptr);

LA_END_DECL

#endif
