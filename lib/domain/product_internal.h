/* Internal layout of the aggregate: a product, its batches (kept sorted in
 * allocation-preference order), the order lines allocated to them, and the
 * lines waiting for stock (backorders), in arrival order. */
#ifndef LA_DOMAIN_PRODUCT_INTERNAL_H
#define LA_DOMAIN_PRODUCT_INTERNAL_H

#include <allocation/sys/product.h>
#include <allocation/validation.h>

#include "../common/common_internal.h"
#include "../util/strmap.h"

typedef struct la__line la__line;

struct la__line {
	la_batch *batch;       /* NULL: a waiting line (backorder) */
	la__line *prev, *next; /* in the batch's list (or the queue), oldest first */
	int64_t qty;
	int64_t sequence; /* product version at which it was allocated (or began waiting) */
	int64_t expires;  /* a held line's end, seconds since 1970; 0: permanent */
	char orderid[];
};

struct la_batch {
	la_product *product;
	char *ref;
	char *eta; /* NULL: in stock */
	int32_t eta_key;
	int lines_complete; /* every line of the batch is loaded */
	int64_t purchased, allocated, line_count, sequence;
	int64_t held; /* of allocated, the quantity of held lines */
	la__line *first, *last;
	char storage[];
};

/* One entry of the change log: enough to write the change, and to undo it. */
typedef struct la__change_entry {
	int kind;
	la_batch *batch;
	la__line *line;           /* line changes */
	int64_t old_qty, new_qty; /* BATCH_QUANTITY; LINE_CONFIRMED: old_qty = the old expiry */
	int reason;               /* LINE_DEALLOCATED, LINE_UNWAITED */
	uint64_t order;           /* when, across the products of a unit of work */
	int64_t time;             /* the bus's clock when the command ran */
} la__change_entry;

struct la_product {
	char *sku;
	int64_t version, saved_version;
	int is_new;
	la_batch **batches; /* sorted by (eta_key, sequence) */
	size_t batch_count, batch_capacity;
	la__strmap batch_by_ref;
	la__strmap line_by_order;
	/* waiting lines (backorders): a queue by arrival, and by orderid */
	la__line *waiting_first, *waiting_last;
	la__strmap waiting_by_order;
	size_t waiting_count;
	int64_t waiting_qty;
	la_message **events;
	size_t event_count, event_capacity;
	la__change_entry *changes;
	size_t change_count, change_capacity;
	/* Lines deallocated since the last save, by orderid: the store holds
	 * them until commit, so loading one again must not bring it back. */
	la__strmap deallocated;
	/* Group commit: the state before the command in progress, so a failing
	 * command is undone without undoing the commands before it. */
	size_t mark_changes, mark_events;
	int64_t mark_version;
	size_t events_collected; /* events already handed to the bus (borrowed) */
	size_t changes_ordered;  /* changes given their order (la__product_order_changes) */
	/* The bus's bookkeeping: which bus saw it in which unit of work and
	 * command, so that finding it in the bus's lists takes no search. */
	const void *seen_by;
	uint64_t seen_in_unit, seen_in_command;
};

/* Reserve room for `events` more events and `changes` more change entries. */
int la__product_reserve(la_product *p, size_t events, size_t changes);
/* Insert a batch at its sorted position (room reserved by the caller). */
void la__product_insert_batch(la_product *p, la_batch *b);
/* Remove a batch from the array and the ref map (it is not freed). */
void la__product_detach_batch(la_product *p, la_batch *b);
/* The batch of p that sorts where b would (same eta_key and sequence), or
 * NULL: two batches in one place would make detaching one detach the other. */
const la_batch *la__product_batch_in_place_of(const la_product *p, const la_batch *b);
la_batch *la__batch_create(la_product *p, const char *ref, int64_t purchased, const char *eta,
                           int32_t eta_key, int64_t sequence);
void la__batch_destroy(la_batch *b);
/* Link a line into its batch's list, in sequence order. */
void la__batch_link_line(la_batch *b, la__line *line);
void la__batch_unlink_line(la_batch *b, la__line *line);
la__line *la__line_create(const char *orderid, int64_t qty, int64_t sequence);

/* Remember the product's state before a command (la__product_revert_to_mark
 * undoes everything recorded since). Never fails. */
void la__product_mark(la_product *p);
/* Undo the changes and drop the events recorded since the mark. */
void la__product_revert_to_mark(la_product *p);

/* Give the changes recorded since the last call the order `order` (one
 * tick per command the bus runs) and the time `time` (its clock). */
void la__product_order_changes(la_product *p, uint64_t order, int64_t time);
/* Record an OutOfStock event (no change): a whole order that could not be
 * placed reports its short skus after its changes were undone. */
int la__product_record_out_of_stock(la_product *p);
/* Record a change (room reserved with la__product_reserve). */
void la__product_record(la_product *p, int kind, la_batch *b, la__line *line, int64_t old_qty,
                        int64_t new_qty, int reason);
/* reallocations.c: record LA_CHANGE_REALLOCATION_PENDING or _DONE of
 * orderid's line of qty (the change owns a detached copy of the line). */
int la__product_record_reallocation(la_product *p, int kind, const char *orderid, int64_t qty);
/* allocate.c: place a new line on batch b (with its Allocated event), take
 * one off (with its Deallocated event); room reserved by the caller. */
void la__allocate_line(la_product *p, la_batch *b, la__line *line, la_message *event);
void la__deallocate_line(la_product *p, la__line *line, la_message *event, int reason);
/* One Deallocated event per line, all or none. */
int la__build_deallocated(la_message **events, la_product *p, la__line **lines, size_t count,
                          int reason);
/* Deallocate one allocated line with reason, reserving what it needs. */
int la__deallocate_one(la_product *p, la__line *line, int reason);
/* The waiting queue (waiting.c): link, unlink, in arrival (sequence) order. */
void la__waiting_link(la_product *p, la__line *line);
void la__waiting_unlink(la_product *p, la__line *line);

/* policy.c: the batch policy (NULL: "book") chooses for a line, checked:
 * *out NULL when none (out of stock); LA_EUSER naming the policy when it
 * failed or chose a batch out of range or without room (nothing changed). */
typedef struct la__policy_line {
	const char *orderid;
	int64_t qty;
	const char *promise; /* or NULL */
} la__policy_line;
struct la_policy;
int la__policy_choose(la_batch **out, const la_product *p, const la__policy_line *line,
                      const struct la_policy *policy);

/* The events recorded since the last collection, borrowed: copies their
 * pointers into `into` (room for la_product_event_count entries) and
 * returns how many. They stay the product's, so a store still sees them at
 * commit (its outbox), until la__product_release_events. */
size_t la__product_collect_events(la_product *p, la_message **into);
/* The collected events now belong to whoever holds their pointers (the bus,
 * after a commit): the product forgets them without freeing them. */
void la__product_release_events(la_product *p);

#endif
