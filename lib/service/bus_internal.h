/* Internal: the bus and the unit-of-work helpers its handlers use. */
#ifndef LA_SERVICE_BUS_INTERNAL_H
#define LA_SERVICE_BUS_INTERNAL_H

#include <allocation/bus.h>
#include <allocation/sys/ports.h>

#include "store_internal.h"

typedef struct la__subscription {
	int kind;
	la_event_handler_fn fn;
	void *payload;
} la__subscription;

struct la_bus {
	la_store *store;
	la_bus_options options;
	char *route_out_of_stock, *route_allocated;
	la__subscription *subscriptions;
	size_t subscription_count, subscription_capacity;

	/* FIFO of messages the bus owns, from head to count */
	la_message **queue;
	size_t queue_head, queue_count, queue_capacity;
	int busy;

	/* the unit of work in progress: products the handler touched */
	la_product **seen;
	size_t seen_count, seen_capacity;
	int committed;
	int store_conflict; /* the store reported a concurrent change: worth a retry */

	int depth; /* 0 while running the caller's own message */
	int has_result;
	char result[256];

	uint64_t random;
	uint64_t commands, events, retries, handler_failures;
};

/* Repository access through the unit of work: remembers the products seen. */
int la__uow_get(la_product **out, la_bus *bus, const char *sku);
int la__uow_get_by_batchref(la_product **out, la_bus *bus, const char *ref);
int la__uow_add(la_bus *bus, la_product *product);
int la__uow_load_line(la_bus *bus, la_product *product, const char *orderid);
int la__uow_load_batch_lines(la_bus *bus, la_product *product, const char *ref);
int la__uow_begin(la_bus *bus);
int la__uow_commit(la_bus *bus);

/* Run one command in its own unit of work, retrying conflicts. */
int la__bus_run_command(la_bus *bus, const la_message *command);
/* The handler of each command kind. */
int la__handle_command(la_bus *bus, const la_message *command);
/* The built-in handlers of an event. */
void la__handle_event_builtin(la_bus *bus, const la_message *event);

#endif
