/* Internal: the bus, its unit of work, the results of commands and the
 * helpers its handlers use. */
#ifndef LA_SERVICE_BUS_INTERNAL_H
#define LA_SERVICE_BUS_INTERNAL_H

#include <allocation/bus.h>
#include <allocation/sys/ports.h>

#include "store_internal.h"

#include "../util/strmap.h"

typedef struct la__subscription {
	int kind;
	la_event_handler_fn fn;
	void *payload;
} la__subscription;

/* What one command of the caller's came to. */
/* One line of an AllocateOrder's result. */
typedef struct la__result_line {
	char *sku;      /* owned */
	char *batchref; /* owned; NULL when the order was not placed */
	int is_short;   /* the sku had no room */
} la__result_line;

typedef struct la__result {
	int status;
	int outcome;      /* la_outcome */
	int has_batchref; /* an Allocate that found a batch */
	char batchref[256];
	char *error;            /* la_error_last() of a failure (owned), else NULL */
	la__result_line *lines; /* AllocateOrder: its lines in the command's order (owned) */
	size_t line_count;
} la__result;

/* A FIFO of messages the bus owns, from head to count. */
typedef struct la__queue {
	la_message **items;
	size_t head, count, capacity;
} la__queue;

struct la_bus {
	la_store *store;
	la_bus_options options;
	char *route_out_of_stock, *route_allocated;
	la__subscription *subscriptions;
	size_t subscription_count, subscription_capacity;

	/* messages the caller's handlers queued while the bus was busy */
	la__queue queue;
	int busy;

	/* the unit of work in progress */
	la_product **seen; /* products the handlers touched */
	size_t seen_count, seen_capacity;
	la_product **touched; /* ... by the command in progress */
	size_t touched_count, touched_capacity;
	uint64_t unit_id, command_id; /* for la_product.seen_in_unit, seen_in_command */
	const char **orderids;        /* prefetch: the orders of one sku, or of all */
	size_t orderids_capacity;
	const char **skus; /* prefetch of a whole unit: the sku of each of orderids */
	size_t skus_capacity;
	la__strmap prefetched; /* orderid → the product its line was looked up in */
	int store_conflict;    /* the store reported a concurrent change: worth a retry */
	int store_failed;      /* the store failed: the whole unit of work fails */
	/* the product the last get_by_batchref found without the batch: the
	 * unit of work removed it */
	la_product *batch_removed_from;
	/* Events of the unit of work, borrowed from their products until the
	 * commit hands them over: `events` is the FIFO the built-in handlers
	 * work through, `handled` every event in that order, for the handlers
	 * that run after the commit (it owns them from then on). */
	la__queue events, handled;

	/* results of the last la_bus_handle or la_bus_handle_many */
	la__result *results;
	size_t result_count, result_capacity;

	/* reallocations.c: lines whose reallocation (or its resumption) found
	 * no room in this unit of work; their records are forgotten once their
	 * OutOfStock has been handled (NULL until the first) */
	la_order_line_list *unplaced;
	int resuming; /* la_bus_finish_reallocations: Allocate forgets the record */

	uint64_t change_clock; /* one tick per command run: the order of its changes */
	int64_t now;           /* the clock at the start of the unit of work (holds) */
	uint64_t random;
	uint64_t commands, events_dispatched, retries, handler_failures;
};

/* ---- order_handlers.c: whole orders and holds ---- */
/* The options an Allocate (or AllocateOrder) runs with on this bus. */
la_allocation_options la__bus_allocation_options(const la_bus *bus, const la_message *cmd);
int la__handle_allocate_order(la_bus *bus, const la_message *cmd, la__result *result);
int la__handle_confirm(la_bus *bus, const la_message *cmd, la__result *result);
int la__handle_expire_holds(la_bus *bus, const la_message *cmd, la__result *result);

/* ---- order_lines.c: the (orderid, sku) pairs of lines_of_order and expired_holds ---- */
int la__order_line_list_new(la_order_line_list **out);
void la__order_line_list_free(la_order_line_list *list);
size_t la__order_line_list_count(const la_order_line_list *list);
const char *la__order_line_list_orderid(const la_order_line_list *list, size_t index);
const char *la__order_line_list_sku(const la_order_line_list *list, size_t index);
int64_t la__order_line_list_qty(const la_order_line_list *list, size_t index);
/* Empty the list, keeping its room. */
void la__order_line_list_clear(la_order_line_list *list);

/* ---- uow.c: repository access through the unit of work ---- */
int la__uow_begin(la_bus *bus);
int la__uow_get(la_product **out, la_bus *bus, const char *sku);
int la__uow_get_by_batchref(la_product **out, la_bus *bus, const char *ref);
int la__uow_add(la_bus *bus, la_product *product);
int la__uow_load_line(la_bus *bus, la_product *product, const char *orderid);
int la__uow_load_batch_lines(la_bus *bus, la_product *product, const char *ref);
int la__uow_load_lines(la_bus *bus, la_product *product, const char *const *orderids, size_t count);
int la__uow_store_prefetch(la_bus *bus, const char *const *skus, const char *const *orderids,
                           size_t count);
/* prefetch.c: load the lines the commands name, a product at a time. */
int la__uow_prefetch_lines(la_bus *bus, const la_message *const *commands, size_t count);
/* The same at the start of a unit of work: with a store that prefetches,
 * every product and line the commands name at once. */
int la__uow_prefetch_unit(la_bus *bus, const la_message *const *commands, size_t count);
/* Look orderid's line up in product, unless the prefetch did already. */
int la__uow_find_line(la_bus *bus, la_product *product, const char *orderid);
/* A command starts: the products it touches are marked as they are handed
 * out (la__uow_undo_command goes back to the marks). */
void la__uow_mark(la_bus *bus);
/* Undo what the command in progress changed, in every product it touched. */
void la__uow_undo_command(la_bus *bus);
/* A command is done: give its changes their order, and append the events
 * the products recorded since the last call to bus->events (borrowed). */
int la__uow_command_done(la_bus *bus);
/* Commit (the store rolls back itself when this fails), take ownership of
 * the events in bus->handled, then end. */
int la__uow_commit(la_bus *bus);
/* Roll back and end. */
void la__uow_abandon(la_bus *bus);
/* A product the store hands out is remembered as seen, marked as it is. */
int la__uow_remember(la_bus *bus, la_product *product);

/* A handler's answer: commit the commands before this one first, then run
 * it in a new unit of work. Never returned to a caller. */
#define LA__ESPLIT (-1000)

/* ---- handlers.c: one handler per command kind; no commit ---- */
int la__handle_command(la_bus *bus, const la_message *command, la__result *result);

/* ---- batch.c: commands in one unit of work ---- */
/* Run commands[0..count) in one unit of work and commit, retrying store
 * conflicts; each command's outcome in results[i] (NULL: none kept). Events
 * are handled inside the unit of work by the built-in handlers that change
 * the store (reallocation) and after the commit by the others. Returns
 * LA_OK when the unit of work committed, else the code every command failed
 * with. */
int la__bus_run_commands(la_bus *bus, const la_message *const *commands, size_t count,
                         la__result *results);
/* Commands for la__bus_run_list: items[0..count), and with pull, more that
 * pull writes to room + count (room is items, writable) up to capacity. */
typedef struct la__command_list {
	const la_message *const *items;
	const la_message **room;
	size_t count;
	size_t capacity;
	la_command_pull_fn pull;
	void *payload;
} la__command_list;
/* la__bus_run_commands over a list that may grow while it runs: when a
 * unit of work has run every command of the list, it asks pull for more,
 * which join it. results has room for capacity. */
int la__bus_run_list(la_bus *bus, la__command_list *list, la__result *results);
/* The handlers of an event that run after commit: publish, notify, the
 * caller's own. */
void la__bus_dispatch_event(la_bus *bus, const la_message *event);
/* Log a failed event handler. */
void la__bus_handler_failed(la_bus *bus, const la_message *event, const char *handler, int rc);

/* ---- reallocations.c: pending reallocations ---- */
/* Non-zero when the store keeps pending reallocations. */
int la__bus_keeps_pending(const la_bus *bus);
/* A stock_reduced line's reallocation found no room (or failed): record it
 * pending in product; delivered_after: its OutOfStock runs after this
 * unit's commit, and then the record is forgotten (else it waits for
 * la_bus_finish_reallocations). Only for a store that keeps them. */
int la__bus_reallocation_unplaced(la_bus *bus, la_product *product, const char *orderid,
                                  int64_t qty, int delivered_after);
/* la_bus_finish_reallocations' Allocate of orderid ran: placed (allocated
 * or waiting) forgets the record in the same unit of work; else it is
 * forgotten after its OutOfStock. */
int la__bus_reallocation_resumed(la_bus *bus, la_product *product, const char *orderid, int64_t qty,
                                 int placed);
/* After a unit's commit and its events: forget the records of its unplaced
 * lines, in a unit of work of its own (a failure is logged). */
void la__bus_forget_delivered(la_bus *bus);
/* A unit of work starts again: no unplaced lines yet. */
void la__bus_unplaced_reset(la_bus *bus);
/* batch.c: the jittered pause before retry number attempt. */
void la__bus_pause_before_retry(la_bus *bus, unsigned int attempt);

/* ---- results.c ---- */
/* Room for count results, all reset; LA_OK or LA_ENOMEM. */
int la__results_reset(la_bus *bus, size_t count);
/* Room for capacity results in all, those after the current count left as
 * they are (la__bus_run_list resets each as it takes its command). */
int la__results_reserve(la_bus *bus, size_t capacity);
void la__result_fail(la__result *result, int status);
/* AllocateOrder: room for count lines in result (zeroed). */
int la__result_lines(la__result *result, size_t count);
/* Free what result holds (message, lines) and zero it. */
void la__result_clear(la__result *result);
/* Fill line i (sku and batchref copied; batchref may be NULL). */
int la__result_set_line(la__result *result, size_t i, const char *sku, const char *batchref,
                        int is_short);
void la__results_free(la_bus *bus);

/* ---- queue ---- */
int la__queue_push(la__queue *q, la_message *message);
la_message *la__queue_pop(la__queue *q);
void la__queue_clear(la__queue *q);
/* Drop the pointers without freeing the messages (borrowed ones). */
void la__queue_forget(la__queue *q);
void la__queue_dispose(la__queue *q);

#endif
