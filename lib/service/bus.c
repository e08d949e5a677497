/* The message bus (spec §1.3): a FIFO queue, one unit of work per command,
 * bounded retries of conflicts, events to their handlers in order. */
#include "bus_internal.h"

#include "../domain/message_internal.h"
#include "../domain/product_internal.h"
#include "../util/alloc.h"
#include "../common/common_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEFAULT_OUT_OF_STOCK_ROUTE "stock@made.com"
#define MAX_RETRY_DELAY_US         50000u

int la_bus_options_init(la_bus_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_BUS_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED, "bus options version %u is not supported",
		                    version);
	la_bus_options defaults = LA_BUS_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

int la_bus_new(la_bus **out, la_store *store, const la_bus_options *opts)
{
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if (opts && (opts->version < 1 || opts->version > LA_BUS_OPTIONS_VERSION))
		return la_error_set(LA_EUNSUPPORTED, "bus options version %u is not supported",
		                    opts->version);
	la_bus *bus = la__calloc(1, sizeof *bus);
	if (!bus)
		return la__error_nomem();
	la_bus_options defaults = LA_BUS_OPTIONS_INIT;
	bus->options = opts ? *opts : defaults;
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

static void drop_queue(la_bus *bus)
{
	for (size_t i = bus->queue_head; i < bus->queue_count; i++)
		la_message_free(bus->queue[i]);
	bus->queue_head = bus->queue_count = 0;
}

void la_bus_free(la_bus *bus)
{
	if (!bus)
		return;
	drop_queue(bus);
	la_free(bus->queue);
	la_free(bus->seen);
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

const char *la_bus_result_batchref(const la_bus *bus)
{
	return bus && bus->has_result ? bus->result : NULL;
}

void la_bus_stats(const la_bus *bus, uint64_t *commands, uint64_t *events, uint64_t *retries,
                  uint64_t *handler_failures)
{
	if (commands)
		*commands = bus ? bus->commands : 0;
	if (events)
		*events = bus ? bus->events : 0;
	if (retries)
		*retries = bus ? bus->retries : 0;
	if (handler_failures)
		*handler_failures = bus ? bus->handler_failures : 0;
}

static void pause_before_retry(la_bus *bus, unsigned int attempt)
{
	uint64_t x = bus->random; /* xorshift64: jitter needs no quality */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	bus->random = x;
	uint64_t base = bus->options.retry_delay_us;
	for (unsigned int i = 0; i < attempt && base < MAX_RETRY_DELAY_US; i++)
		base *= 2;
	if (base > MAX_RETRY_DELAY_US)
		base = MAX_RETRY_DELAY_US;
	uint64_t us = base / 2 + (base ? x % (base + 1) : 0); /* 0.5x to 1.5x */
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

int la__bus_run_command(la_bus *bus, const la_message *command)
{
	const la_store *s = bus->store;
	for (unsigned int attempt = 0;; attempt++) {
		int rc = la__uow_begin(bus);
		if (rc == LA_OK) {
			rc = la__handle_command(bus, command);
			if (!bus->committed)
				s->port->rollback(s->state);
			s->port->end(s->state);
		}
		bus->seen_count = 0;
		if (rc != LA_ECONFLICT || !bus->store_conflict ||
		    attempt >= bus->options.max_retries)
			return rc;
		bus->retries++;
		la_log(LA_LOG_DEBUG, "%s conflicted (%s); retry %u", la_message_name(command),
		       la_error_last(), attempt + 1);
		pause_before_retry(bus, attempt);
	}
}

static void handler_failed(la_bus *bus, const la_message *event, const char *handler, int rc)
{
	bus->handler_failures++;
	la_log(LA_LOG_ERROR, "handler %s of %s failed: %s: %s", handler, la_message_name(event),
	       la_strerror(rc), la_error_last());
}

static void dispatch_event(la_bus *bus, const la_message *event)
{
	bus->events++;
	la__handle_event_builtin(bus, event);
	for (size_t i = 0; i < bus->subscription_count; i++) {
		const la__subscription *sub = &bus->subscriptions[i];
		if (sub->kind != event->kind)
			continue;
		int rc = sub->fn(bus, event, sub->payload);
		if (rc != LA_OK)
			handler_failed(bus, event, "(user)", rc);
	}
}

static int dispatch(la_bus *bus, const la_message *message)
{
	if (message->kind < 100) {
		bus->commands++;
		return la__bus_run_command(bus, message);
	}
	dispatch_event(bus, message);
	return LA_OK;
}

static int enqueue_copy(la_bus *bus, const la_message *message)
{
	la_message *copy;
	int rc = la_message_copy(&copy, message);
	if (rc != LA_OK)
		return rc;
	if (la__grow((void **)&bus->queue, &bus->queue_capacity, bus->queue_count + 1,
	             sizeof *bus->queue) != LA_OK) {
		la_message_free(copy);
		return la__error_nomem();
	}
	bus->queue[bus->queue_count++] = copy;
	return LA_OK;
}

int la_bus_handle(la_bus *bus, const la_message *message)
{
	if (!bus || !message)
		return la_error_set(LA_EINVAL, "bus and message are required");
	if (bus->busy)
		return enqueue_copy(bus, message); /* called from one of our handlers */
	bus->busy = 1;
	bus->has_result = 0;
	bus->depth = 0;
	int rc = dispatch(bus, message);
	bus->depth = 1;
	while (rc == LA_OK && bus->queue_head < bus->queue_count) {
		la_message *next = bus->queue[bus->queue_head++];
		rc = dispatch(bus, next);
		la_message_free(next);
	}
	if (rc != LA_OK && bus->queue_head < bus->queue_count)
		la_log(LA_LOG_WARN, "dropping %zu queued messages after a failed command",
		       bus->queue_count - bus->queue_head);
	drop_queue(bus);
	bus->busy = 0;
	return rc;
}

/* ---- built-in event handlers (spec §1.2) ---- */

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
		handler_failed(bus, event, "publish", rc);
}

static void notify(la_bus *bus, const la_message *event, const char *destination, const char *text)
{
	if (!bus->options.notify || !destination)
		return;
	int rc = bus->options.notify(destination, text, bus->options.notify_payload);
	if (rc != LA_OK)
		handler_failed(bus, event, "notify", rc);
}

static void reallocate(la_bus *bus, const la_message *event)
{
	la_message *command;
	int rc = la__message_build(&command, LA_CMD_ALLOCATE, event->orderid, event->sku, NULL,
	                           NULL, event->qty, 0);
	if (rc == LA_OK) {
		bus->commands++;
		rc = la__bus_run_command(bus, command);
		la_message_free(command);
	}
	if (rc != LA_OK)
		handler_failed(bus, event, "reallocate", rc);
}

void la__handle_event_builtin(la_bus *bus, const la_message *event)
{
	char text[1024]; /* three 255-byte fields and the words around them */
	switch (event->kind) {
	case LA_EVT_ALLOCATED:
		publish_allocated(bus, event);
		if (bus->route_allocated) {
			snprintf(text, sizeof text, "Allocated order %s %s x%lld to batch %s",
			         event->orderid, event->sku, (long long)event->qty,
			         event->batchref);
			notify(bus, event, bus->route_allocated, text);
		}
		break;
	case LA_EVT_DEALLOCATED:
		if (event->reason == LA_REASON_STOCK_REDUCED)
			reallocate(bus, event);
		break;
	case LA_EVT_OUT_OF_STOCK:
		snprintf(text, sizeof text, "Out of stock for %s", event->sku);
		notify(bus, event, bus->route_out_of_stock, text);
		break;
	}
}
