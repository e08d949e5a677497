/* The message bus (spec §1.3): commands to their handler in a unit of work
 * (batch.c runs one or many), events to their handlers in order, and the
 * messages handlers queue while the bus is busy. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../domain/message_internal.h"
#include "../util/alloc.h"

#include <allocation/policy.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_OUT_OF_STOCK_ROUTE "stock@made.com"

/* The size of la_bus_options as a caller built for `version` has it: an
 * older caller's struct is shorter, and what lies after it is not its own. */
static size_t options_size(unsigned int version)
{
	return version >= 2 ? sizeof(la_bus_options) : offsetof(la_bus_options, clock);
}

int la_bus_options_init(la_bus_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_BUS_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "bus options version %u is not supported",
		                    version);
	la_bus_options defaults = LA_BUS_OPTIONS_INIT;
	defaults.version = version;
	memcpy(opts, &defaults, options_size(version));
	return LA_OK;
}

int la_bus_new(la_bus **out, la_store *store, const la_bus_options *opts)
{
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if (opts && (opts->version < 1 || opts->version > LA_BUS_OPTIONS_VERSION))
		return la_error_set(LA_EUNSUPPORTED, "bus options version %u is not supported",
		                    opts->version);
	if (opts && opts->version >= 2 && la_policy_check(opts->policy) != LA_OK)
		return la_error_last_code();
	la_bus *bus = la__calloc(1, sizeof *bus);
	if (!bus)
		return la__error_nomem();
	la_bus_options defaults = LA_BUS_OPTIONS_INIT;
	bus->options = defaults;
	if (opts)
		memcpy(&bus->options, opts, options_size(opts->version));
	bus->store = store;
	bus->route_out_of_stock = la__strdup(DEFAULT_OUT_OF_STOCK_ROUTE);
	if (!bus->route_out_of_stock) {
		la_free(bus);
		return la__error_nomem();
	}
	bus->random = (uint64_t)(uintptr_t)bus ^ (uint64_t)time(NULL) ^ 0x9E3779B97F4A7C15ull;
	*out = bus;
	return LA_OK;
}

void la_bus_free(la_bus *bus)
{
	if (!bus)
		return;
	la__queue_dispose(&bus->queue);
	la__queue_forget(&bus->events); /* borrowed: nothing to free */
	la__queue_forget(&bus->handled);
	la_free(bus->events.items);
	la_free(bus->handled.items);
	la__results_free(bus);
	la_free(bus->seen);
	la_free(bus->touched);
	la_free(bus->orderids);
	la_free(bus->skus);
	la__order_line_list_free(bus->unplaced);
	la__strmap_dispose(&bus->prefetched);
	la_free(bus->subscriptions);
	la_free(bus->route_out_of_stock);
	la_free(bus->route_allocated);
	la_free(bus);
}

la_store *la_bus_store(la_bus *bus)
{
	return bus ? bus->store : NULL;
}

int la_bus_subscribe(la_bus *bus, int kind, la_event_handler_fn fn, void *payload)
{
	if (!bus || !fn)
		return la_error_set(LA_EINVAL, "bus and fn are required");
	if (kind != LA_EVT_ALLOCATED && kind != LA_EVT_DEALLOCATED && kind != LA_EVT_OUT_OF_STOCK)
		return la_error_set(LA_EINVAL, "kind %d is not an event kind", kind);
	if (la__grow((void **)&bus->subscriptions, &bus->subscription_capacity,
	             bus->subscription_count + 1, sizeof *bus->subscriptions) != LA_OK)
		return la__error_nomem();
	bus->subscriptions[bus->subscription_count++] = (la__subscription){kind, fn, payload};
	return LA_OK;
}

int la_bus_set_route(la_bus *bus, int kind, const char *destination)
{
	if (!bus)
		return la_error_set(LA_EINVAL, "bus is NULL");
	char **route = kind == LA_EVT_OUT_OF_STOCK ? &bus->route_out_of_stock
	               : kind == LA_EVT_ALLOCATED  ? &bus->route_allocated
	                                           : NULL;
	if (!route)
		return la_error_set(LA_EINVAL, "notifications are sent for OutOfStock and "
		                               "Allocated only");
	int rc;
	if (destination && (rc = la_check_string(destination, "destination")) != LA_OK)
		return rc;
	char *copy = NULL;
	if (destination && !(copy = la__strdup(destination)))
		return la__error_nomem();
	la_free(*route);
	*route = copy;
	return LA_OK;
}

void la_bus_stats(const la_bus *bus, uint64_t *commands, uint64_t *events, uint64_t *retries,
                  uint64_t *handler_failures)
{
	if (commands)
		*commands = bus ? bus->commands : 0;
	if (events)
		*events = bus ? bus->events_dispatched : 0;
	if (retries)
		*retries = bus ? bus->retries : 0;
	if (handler_failures)
		*handler_failures = bus ? bus->handler_failures : 0;
}

/* ---- queues ---- */

int la__queue_push(la__queue *q, la_message *message)
{
	if (la__grow((void **)&q->items, &q->capacity, q->count + 1, sizeof *q->items) != LA_OK)
		return la__error_nomem();
	q->items[q->count++] = message;
	return LA_OK;
}

la_message *la__queue_pop(la__queue *q)
{
	if (q->head == q->count) {
		q->head = q->count = 0; /* empty: reuse the room from the start */
		return NULL;
	}
	return q->items[q->head++];
}

void la__queue_clear(la__queue *q)
{
	for (size_t i = q->head; i < q->count; i++)
		la_message_free(q->items[i]);
	q->head = q->count = 0;
}

void la__queue_forget(la__queue *q)
{
	q->head = q->count = 0;
}

void la__queue_dispose(la__queue *q)
{
	la__queue_clear(q);
	la_free(q->items);
	q->items = NULL;
	q->capacity = 0;
}

/* ---- event handlers that run after commit (spec §1.2) ---- */

void la__bus_handler_failed(la_bus *bus, const la_message *event, const char *handler, int rc)
{
	bus->handler_failures++;
	la_log(LA_LOG_ERROR, "handler %s of %s failed: %s: %s", handler, la_message_name(event),
	       la_strerror(rc), la_error_last());
}

static void publish_allocated(la_bus *bus, const la_message *event)
{
	if (!bus->options.publish || la_store_has_outbox(bus->store))
		return; /* with an outbox the store's relay publishes, after commit */
	char *json;
	int rc = la_message_to_json(&json, event, NULL);
	if (rc == LA_OK) {
		rc = bus->options.publish("line_allocated", json, bus->options.publish_payload);
		la_free(json);
	}
	if (rc != LA_OK)
		la__bus_handler_failed(bus, event, "publish", rc);
}

static void notify(la_bus *bus, const la_message *event, const char *destination, const char *text)
{
	if (!bus->options.notify || !destination)
		return;
	int rc = bus->options.notify(destination, text, bus->options.notify_payload);
	if (rc != LA_OK)
		la__bus_handler_failed(bus, event, "notify", rc);
}

static void handle_builtin(la_bus *bus, const la_message *event)
{
	char text[1024]; /* three 255-byte fields and the words around them */
	switch (event->kind) {
	case LA_EVT_ALLOCATED:
		publish_allocated(bus, event);
		if (bus->route_allocated) {
			(void)snprintf(text, sizeof text, "Allocated order %s %s x%lld to batch %s",
			               event->orderid, event->sku, (long long)event->qty,
			               event->batchref);
			notify(bus, event, bus->route_allocated, text);
		}
		break;
	case LA_EVT_OUT_OF_STOCK:
		(void)snprintf(text, sizeof text, "Out of stock for %s", event->sku);
		notify(bus, event, bus->route_out_of_stock, text);
		break;
	}
}

void la__bus_dispatch_event(la_bus *bus, const la_message *event)
{
	bus->events_dispatched++;
	handle_builtin(bus, event);
	for (size_t i = 0; i < bus->subscription_count; i++) {
		const la__subscription *sub = &bus->subscriptions[i];
		if (sub->kind != event->kind)
			continue;
		int rc = sub->fn(bus, event, sub->payload);
		if (rc != LA_OK)
			la__bus_handler_failed(bus, event, "(user)", rc);
	}
}

/* ---- la_bus_handle, la_bus_handle_many ---- */

/* One command in its own unit of work; its status, with la_error_last set. */
static int run_command(la_bus *bus, const la_message *command, la__result *result)
{
	int rc = la__bus_run_commands(bus, &command, 1, result);
	if (rc == LA_OK)
		rc = result->status;
	if (rc != LA_OK && result->error)
		la_error_set(rc, "%s", result->error);
	return rc;
}

/* An event handed to the bus: a Deallocated with reason stock_reduced is
 * reallocated (in a unit of work of its own), then every handler runs. */
static void run_event(la_bus *bus, const la_message *event)
{
	if (event->kind == LA_EVT_DEALLOCATED && event->reason == LA_REASON_STOCK_REDUCED) {
		la_message *command;
		la__result result = {0};
		int rc = la__reallocation_command(&command, event);
		if (rc == LA_OK) {
			rc = run_command(bus, command, &result);
			la_message_free(command);
			la__free(result.error);
		}
		if (rc != LA_OK)
			la__bus_handler_failed(bus, event, "reallocate", rc);
	}
	la__bus_dispatch_event(bus, event);
}

/* The messages the handlers queued, in order, each with its own unit of
 * work. The first command that fails stops the rest (they are dropped). */
static int run_queued(la_bus *bus)
{
	int rc = LA_OK;
	la_message *next;
	while (rc == LA_OK && (next = la__queue_pop(&bus->queue))) {
		if (la_message_is_command(next)) {
			la__result result = {0};
			rc = run_command(bus, next, &result);
			la__free(result.error);
		} else {
			run_event(bus, next);
		}
		la_message_free(next);
	}
	if (rc != LA_OK && bus->queue.head < bus->queue.count)
		la_log(LA_LOG_WARN, "dropping %zu queued messages after a failed command",
		       bus->queue.count - bus->queue.head);
	la__queue_clear(&bus->queue);
	return rc;
}

static int enqueue_copy(la_bus *bus, const la_message *message)
{
	la_message *copy;
	int rc = la_message_copy(&copy, message);
	if (rc == LA_OK && (rc = la__queue_push(&bus->queue, copy)) != LA_OK)
		la_message_free(copy);
	return rc;
}

int la_bus_handle(la_bus *bus, const la_message *message)
{
	if (!bus || !message)
		return la_error_set(LA_EINVAL, "bus and message are required");
	if (bus->busy)
		return enqueue_copy(bus, message); /* called from one of our handlers */
	int command = la_message_is_command(message);
	int rc = la__results_reset(bus, command ? 1 : 0);
	if (rc != LA_OK)
		return rc;
	bus->busy = 1;
	if (command) {
		rc = run_command(bus, message, &bus->results[0]);
	} else {
		run_event(bus, message);
	}
	if (rc == LA_OK) {
		rc = run_queued(bus);
	} else {
		if (bus->queue.count > bus->queue.head)
			la_log(LA_LOG_WARN, "dropping %zu queued messages after a failed command",
			       bus->queue.count - bus->queue.head);
		la__queue_clear(&bus->queue);
	}
	bus->busy = 0;
	return rc;
}

/* The end of a call that ran a batch: what its handlers queued runs now
 * (its failure is logged, not the batch's), and the bus is free again. */
static void end_call(la_bus *bus)
{
	int queued = run_queued(bus);
	if (queued != LA_OK)
		la_log(LA_LOG_WARN, "a message queued by an event handler failed: %s: %s",
		       la_strerror(queued), la_error_last());
	bus->busy = 0;
}

int la_bus_handle_many(la_bus *bus, const la_message *const *commands, size_t count)
{
	if (!bus || (!commands && count))
		return la_error_set(LA_EINVAL, "bus and commands are required");
	for (size_t i = 0; i < count; i++) {
		if (!commands[i])
			return la_error_set(LA_EINVAL, "command %zu is NULL", i);
	}
	if (bus->busy)
		return la_error_set(LA_ESTATE,
		                    "la_bus_handle_many cannot be called from an event handler");
	int rc = la__results_reset(bus, count);
	if (rc != LA_OK)
		return rc;
	bus->busy = 1;
	if (count)
		rc = la__bus_run_commands(bus, commands, count, bus->results);
	end_call(bus);
	return rc;
}

int la_bus_handle_pull(la_bus *bus, const la_message **commands, size_t *count, size_t capacity,
                       la_command_pull_fn pull, void *payload)
{
	if (!bus || !count || (!commands && capacity))
		return la_error_set(LA_EINVAL, "bus, count and commands are required");
	if (*count > capacity)
		return la_error_set(LA_EINVAL, "%zu commands do not fit a capacity of %zu", *count,
		                    capacity);
	for (size_t i = 0; i < *count; i++) {
		if (!commands[i])
			return la_error_set(LA_EINVAL, "command %zu is NULL", i);
	}
	if (bus->busy)
		return la_error_set(LA_ESTATE,
		                    "la_bus_handle_pull cannot be called from an event handler");
	/* Room for capacity results; only those used are ever reset (a result
	 * is a few hundred bytes, and most batches are far from full). */
	int rc = la__results_reset(bus, *count);
	if (rc == LA_OK)
		rc = la__results_reserve(bus, capacity);
	if (rc != LA_OK)
		return rc;
	la__command_list list = {.items = commands,
	                         .room = commands,
	                         .count = *count,
	                         .capacity = capacity,
	                         .pull = pull,
	                         .payload = payload};
	bus->busy = 1;
	if (list.count || pull)
		rc = la__bus_run_list(bus, &list, bus->results);
	bus->result_count = list.count; /* the slots after them were never used */
	*count = list.count;
	end_call(bus);
	return rc;
}

/* ---- la_bus_finish_reallocations ---- */

#define FINISH_MAX   100000u /* records read per call */
#define FINISH_CHUNK 256u    /* Allocates per unit of work */

/* Records [at, at + count) of list as Allocate commands, in one group. */
static int finish_chunk(la_bus *bus, const la_order_line_list *list, size_t at, size_t count,
                        size_t *finished)
{
	la_message *commands[FINISH_CHUNK];
	size_t built = 0;
	int rc = LA_OK;
	for (; built < count && rc == LA_OK; built++)
		rc = la__message_build(&commands[built], LA_CMD_ALLOCATE,
		                       la__order_line_list_orderid(list, at + built),
		                       la__order_line_list_sku(list, at + built), NULL, NULL,
		                       la__order_line_list_qty(list, at + built), 0);
	if (rc != LA_OK)
		built--; /* the last one failed: nothing to free */
	if (rc == LA_OK)
		rc = la__results_reset(bus, count);
	if (rc == LA_OK) {
		bus->busy = bus->resuming = 1;
		rc = la__bus_run_commands(bus, (const la_message *const *)commands, count,
		                          bus->results);
		bus->resuming = 0;
		end_call(bus);
	}
	for (size_t i = 0; rc == LA_OK && i < count; i++) {
		if (bus->results[i].status == LA_OK)
			(*finished)++;
		else
			la_log(LA_LOG_WARN, "pending reallocation of %s %s kept: %s",
			       la__order_line_list_orderid(list, at + i),
			       la__order_line_list_sku(list, at + i),
			       bus->results[i].error ? bus->results[i].error : "");
	}
	for (size_t i = 0; i < built; i++)
		la_message_free(commands[i]);
	return rc;
}

int la_bus_finish_reallocations(la_bus *bus, size_t *out_finished)
{
	size_t finished = 0;
	if (out_finished)
		*out_finished = 0;
	if (!bus)
		return la_error_set(LA_EINVAL, "bus is NULL");
	if (bus->busy)
		return la_error_set(LA_ESTATE, "la_bus_finish_reallocations cannot be called from "
		                               "an event handler");
	const la_store *s = bus->store;
	if (!la__bus_keeps_pending(bus))
		return LA_OK;
	la_order_line_list *list;
	int rc = la__order_line_list_new(&list);
	if (rc != LA_OK)
		return rc;
	rc = s->port->pending_reallocations(list, FINISH_MAX, s->state);
	size_t count = la__order_line_list_count(list);
	for (size_t at = 0; rc == LA_OK && at < count; at += FINISH_CHUNK)
		rc = finish_chunk(bus, list, at,
		                  count - at < FINISH_CHUNK ? count - at : FINISH_CHUNK, &finished);
	la__order_line_list_free(list);
	if (finished)
		la_log(LA_LOG_INFO, "finished %zu pending reallocation(s)", finished);
	if (out_finished)
		*out_finished = finished;
	return rc;
}
