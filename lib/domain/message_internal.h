/* Internal layout of la_message: one allocation holds the struct and its
 * strings, so making and freeing a message costs one malloc and one free. */
#ifndef LA_DOMAIN_MESSAGE_INTERNAL_H
#define LA_DOMAIN_MESSAGE_INTERNAL_H

#include <allocation/messages.h>
#include <allocation/validation.h>

/* One line of an AllocateOrder. */
typedef struct la__order_item {
	const char *sku;
	int64_t qty;
} la__order_item;

struct la_message {
	int kind;
	int reason;
	int64_t qty;
	int64_t hold; /* Allocate, AllocateOrder: hold in seconds (0: permanent) */
	int64_t time; /* Allocated: its hold's end (0: permanent); ExpireHolds: now */
	const char *orderid;
	const char *sku;
	const char *batchref;
	const char *eta;   /* CreateBatch: its ETA; Allocate: its promise date */
	size_t item_count; /* AllocateOrder */
	const la__order_item *items;
	char storage[];
};

/* Every field of a message: the strings and items are copied. */
typedef struct la__message_fields {
	int kind, reason;
	int64_t qty, hold, time;
	const char *orderid, *sku, *batchref, *eta;
	size_t item_count;
	const la__order_item *items;
} la__message_fields;

/* Build a message from already validated fields (NULL for absent ones). */
int la__message_build(la_message **out, int kind, const char *orderid, const char *sku,
                      const char *batchref, const char *eta, int64_t qty, int reason);
/* The Allocate that reallocates the line of a Deallocated event: same order,
 * sku and qty, and a held line's end (the event's time) so it stays held. */
int la__reallocation_command(la_message **out, const la_message *deallocated);
int la__message_make(la_message **out, const la__message_fields *f);
/* The spec's name of a message kind ("Allocated", ...; "Unknown"), and of a
 * la_dealloc_reason ("requested", ...; NULL for others). */
const char *la__message_kind_name(int kind);
const char *la__reason_name(int reason);

#endif
