/*
 * liballocation — the message bus (spec §1.3): the service layer.
 *
 * la_bus_handle puts a message on a FIFO queue and works until the queue is
 * empty: a command goes to its one handler, run in its own unit of work on
 * the bus's store; an event goes to each of its handlers in registration
 * order (the built-in ones first). After each handler, the events recorded by
 * the products it touched are queued. A command's failure stops the run and
 * is returned; an event handler's failure is logged and the others still run.
 * A command that fails with LA_ECONFLICT (a concurrent change) is retried up
 * to max_retries times, after a jittered pause.
 *
 * Built-in event handlers: Allocated → published on "line_allocated" through
 * the publish callback (unless the store has a transactional outbox, which
 * publishes instead); Deallocated with reason stock_reduced → Allocate again;
 * OutOfStock and (opt-in) Allocated → notification through the notify
 * callback. The read model is kept by the store in the same transaction as
 * the change it reflects.
 *
 * Threads: a bus is used by one thread at a time; use one bus (and one
 * store) per thread.
 */
#ifndef ALLOCATION_BUS_H
#define ALLOCATION_BUS_H

#include "common.h"
#include "messages.h"
#include "store.h"

LA_BEGIN_DECL

typedef struct la_bus la_bus;

/** Notifications port: send message to destination. LA_OK or a code. */
typedef int (*la_notify_fn)(const char *destination, const char *message, void *payload);

/** Bus options. Members are only ever added at the end. */
typedef struct la_bus_options {
	unsigned int version;     /**< LA_BUS_OPTIONS_VERSION */
	unsigned int max_retries; /**< retries of a conflicted command; default 10 */
	unsigned int
	    retry_delay_us;  /**< base pause before a retry, jittered and doubled; default 200 */
	la_notify_fn notify; /**< notifications port, or NULL (none sent) */
	void *notify_payload;
	la_publish_fn publish; /**< external publisher, or NULL (none published) */
	void *publish_payload;
} la_bus_options;

#define LA_BUS_OPTIONS_VERSION 1
#define LA_BUS_OPTIONS_INIT                                                                        \
	{                                                                                          \
		LA_BUS_OPTIONS_VERSION, 10, 200, NULL, NULL, NULL, NULL                            \
	}

/** Fill opts with the defaults of that version (ctypes cannot expand macros). */
LA_EXTERN(int) la_bus_options_init(la_bus_options *opts, unsigned int version);

/**
 * New bus on store (borrowed: it must outlive the bus). opts may be NULL for
 * the defaults; it is copied. *out owned by the caller.
 */
LA_EXTERN(int) la_bus_new(la_bus **out, la_store *store, const la_bus_options *opts);
/** Free the bus; NULL is fine. */
LA_EXTERN(void) la_bus_free(la_bus *bus);

/** The store the bus runs on (borrowed). */
LA_EXTERN(la_store *) la_bus_store(la_bus *bus);

/**
 * Handle a command or an event and everything it leads to. The message stays
 * the caller's. Returns the command's status (LA_OK also when an allocation
 * found no stock; see la_bus_result_batchref). Called from inside one of this
 * bus's event handlers, the message is queued and LA_OK returned.
 */
LA_EXTERN(int) la_bus_handle(la_bus *bus, const la_message *message);

/**
 * After la_bus_handle of an Allocate: the batch the line went to, or NULL
 * when it was out of stock. Borrowed until the next la_bus_handle.
 */
LA_EXTERN(const char *) la_bus_result_batchref(const la_bus *bus);

/** Event handler: return LA_OK, or a code (logged; the other handlers still run). */
typedef int (*la_event_handler_fn)(la_bus *bus, const la_message *event, void *payload);

/** Add a handler for events of kind (LA_EVT_*), run after those registered earlier. */
LA_EXTERN(int) la_bus_subscribe(la_bus *bus, int kind, la_event_handler_fn fn, void *payload);

/**
 * Route notifications of event kind (LA_EVT_OUT_OF_STOCK or
 * LA_EVT_ALLOCATED) to destination (copied), or stop them with NULL.
 * Default: OutOfStock → "stock@made.com", Allocated → none.
 */
LA_EXTERN(int) la_bus_set_route(la_bus *bus, int kind, const char *destination);

/** Counters since the bus was made; any out pointer may be NULL. */
LA_EXTERN(void)
la_bus_stats(const la_bus *bus, uint64_t *commands, uint64_t *events, uint64_t *retries,
             uint64_t *handler_failures);

LA_END_DECL

#endif
