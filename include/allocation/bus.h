/**
 * @file allocation/bus.h
 * @brief The message bus (spec §1.3): the service layer.
 *
 * la_bus_handle puts a message on a FIFO queue and works until the queue is
 * empty: a command goes to its one handler, run in its own unit of work on
 * the bus's store; an event goes to each of its handlers in registration
 * order (the built-in ones first). After each handler, the events recorded by
 * the products it touched are queued. A command's failure stops the run and
 * is returned; an event handler's failure is logged and the others still run.
 * A command that fails with LA_ECONFLICT (a concurrent change) is retried up
 * to max_retries times, after a jittered pause. la_bus_handle_many runs many
 * commands in one unit of work with the same results (group commit).
 *
 * Built-in event handlers: Allocated → published on "line_allocated" through
 * the publish callback (unless the store has a transactional outbox, which
 * publishes instead); Deallocated with reason stock_reduced → Allocate again,
 * at once and in the same unit of work as the deallocation (so the two commit
 * together); OutOfStock and (opt-in) Allocated → notification through the
 * notify callback. The handlers with effects outside the store (publish,
 * notify, the caller's own) run after the unit of work committed. The read
 * model is kept by the store in the same transaction as the change it
 * reflects.
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

/** The message bus (opaque). */
typedef struct la_bus la_bus;

/**
 * Notifications port: send message to destination (e.g. an e-mail).
 * @param destination e.g. "stock@made.com" (borrowed for the call).
 * @param message the text, e.g. "Out of stock for SKU" (borrowed).
 * @param payload la_bus_options.notify_payload.
 * @return #LA_OK, or a negative code (logged; the other handlers still run).
 */
typedef int (*la_notify_fn)(const char *destination, const char *message, void *payload);

/**
 * The clock port: the time now, in seconds since 1970-01-01 UTC. Holds and
 * the order history read it; the domain never reads a clock of its own.
 * @param payload la_bus_options.clock_payload.
 */
typedef int64_t (*la_clock_fn)(void *payload);

struct la_policy;

/** la_bus_options.flags: a line that finds no room waits (backorders). */
#define LA_BUS_BACKORDERS 0x1u

/** Bus options. Members are only ever added at the end. */
typedef struct la_bus_options {
	unsigned int version;     /**< LA_BUS_OPTIONS_VERSION */
	unsigned int max_retries; /**< retries of a conflicted command; default 10 */
	unsigned int
	    retry_delay_us;    /**< base pause before a retry, jittered and doubled; default 200 */
	la_notify_fn notify;   /**< notifications port, or NULL (none sent) */
	void *notify_payload;  /**< passed to notify */
	la_publish_fn publish; /**< external publisher, or NULL (none published) */
	void *publish_payload; /**< passed to publish */
	/* version 2 */
	la_clock_fn clock;   /**< the time for holds and history; NULL: the system's (time()) */
	void *clock_payload; /**< passed to clock */
	unsigned int flags;  /**< 0, or #LA_BUS_BACKORDERS */
	const struct la_policy *policy; /**< the batch-choosing rule (policy.h); NULL: "book" */
} la_bus_options;

/** The version of la_bus_options these headers describe. */
#define LA_BUS_OPTIONS_VERSION 2
/** Initialiser of la_bus_options with the defaults. */
#define LA_BUS_OPTIONS_INIT                                                                        \
	{                                                                                          \
		LA_BUS_OPTIONS_VERSION, 10, 200, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL       \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @param[out] opts the caller's struct.
 * @param version #LA_BUS_OPTIONS_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL opts or a version this library
 *         does not know.
 */
LA_EXTERN(int) la_bus_options_init(la_bus_options *opts, unsigned int version);

/**
 * New bus on store.
 * @param[out] out the bus, owned by the caller (la_bus_free()).
 * @param store borrowed: it must outlive the bus.
 * @param opts NULL for the defaults; copied.
 * @return #LA_OK; #LA_EINVAL (NULL out or store); #LA_EUNSUPPORTED (unknown
 *         opts->version); #LA_ENOMEM.
 */
LA_EXTERN(int) la_bus_new(la_bus **out, la_store *store, const la_bus_options *opts);
/** Free the bus (not its store); NULL is fine. */
LA_EXTERN(void) la_bus_free(la_bus *bus);

/** The store the bus runs on (borrowed), or NULL for NULL. */
LA_EXTERN(la_store *) la_bus_store(la_bus *bus);

/**
 * Handle a command or an event and everything it leads to.
 *
 * Called from inside one of this bus's event handlers, the message is queued
 * (copied) and LA_OK returned.
 *
 * @param bus the bus.
 * @param message stays the caller's (borrowed for the call).
 * @return the command's status: #LA_OK (also when an allocation found no
 *         stock; see la_bus_result_batchref()); #LA_EINVAL (NULL argument, or
 *         a bad field); #LA_ENOTFOUND ("Invalid sku SKU", "Invalid batch
 *         reference REF", a line not allocated); #LA_ECONFLICT (different
 *         values for an existing batch or line, or a concurrent change that
 *         outlasted the retries); #LA_ENOMEM; the store's #LA_EDB / #LA_EIO.
 *         On failure la_error_last() names the problem and the store holds
 *         no change of the failed command (messages queued after it are
 *         dropped; commands already done stay done). Events always return
 *         #LA_OK.
 */
LA_EXTERN(int) la_bus_handle(la_bus *bus, const la_message *message);

/**
 * After la_bus_handle of an Allocate: the batch the line went to.
 * @param bus the bus, or NULL.
 * @return the batch reference, borrowed until the next la_bus_handle; NULL
 *         when it was out of stock (or the last message was not an Allocate
 *         that succeeded, or the last call was la_bus_handle_many of more
 *         than one command: see la_bus_result_batchref_at()).
 */
LA_EXTERN(const char *) la_bus_result_batchref(const la_bus *bus);

/**
 * Handle many commands in one unit of work with one commit (group commit).
 *
 * The commands run in array order, each atomic on its own: one that fails
 * (a bad field, an unknown sku, a conflict of values, ...) changes nothing
 * and does not stop the others. The events each command records, and the
 * reallocations they trigger, are handled before the next command starts,
 * exactly as if the commands had been handled one by one with
 * la_bus_handle(); so each command's result is the one it would have had.
 * The handlers with effects outside the store (publish, notifications, the
 * caller's own handlers) run after the commit, in the same order. A
 * concurrent change reported by the store at any point re-runs every
 * command against fresh state (up to max_retries times, after a jittered
 * pause); any other failure of the store fails every command with its code.
 * Messages the caller's handlers queue run after, one at a time; their
 * failures are logged.
 *
 * @param bus the bus (not from inside one of its event handlers).
 * @param commands the commands, borrowed for the call; an event in the
 *        array fails on its own with #LA_EINVAL.
 * @param count how many (0 is fine: nothing happens).
 * @return #LA_OK when the unit of work committed: each command's own
 *         outcome is in la_bus_result_status(); otherwise the code that
 *         failed every command (#LA_ECONFLICT after the retries, the
 *         store's #LA_EDB / #LA_EIO, #LA_ENOMEM); #LA_EINVAL for a NULL
 *         bus, array or element; #LA_ESTATE from inside an event handler.
 */
LA_EXTERN(int)
la_bus_handle_many(la_bus *bus, const la_message *const *commands, size_t count);

/**
 * Where la_bus_handle_pull() finds more commands: write up to room command
 * pointers to out and return how many were written (0 when none is waiting:
 * the bus then commits). Called on the thread of la_bus_handle_pull(),
 * inside its unit of work; it must not call the bus. What it hands over is
 * borrowed until la_bus_handle_pull() returns.
 */
typedef size_t (*la_command_pull_fn)(void *payload, const la_message **out, size_t room);

/**
 * la_bus_handle_many() whose batch grows while it runs: group commit for a
 * queue. Commands that arrive while the unit of work waits for its store (a
 * database lock held by another process, say) join it instead of waiting
 * for the next one.
 *
 * The unit of work starts with commands[0..*count). Each time it has run
 * every command it has, it asks pull for more, up to capacity in all, and
 * commits once pull has none. Everything else is as la_bus_handle_many():
 * each command atomic on its own, events handled in order, each command's
 * result the one it would have had handled alone, in array order; a
 * conflict re-runs every command taken so far (and pull is asked again
 * when they have run).
 *
 * @param bus the bus (not from inside one of its event handlers).
 * @param commands an array of capacity elements: the first *count are the
 *        commands to start with, and pull writes the others after them.
 *        Borrowed for the call; a NULL written by pull fails on its own
 *        with #LA_EINVAL.
 * @param[in,out] count how many to start with (0: pull is asked first); on
 *        return how many were taken in all (la_bus_result_count()), also
 *        on failure.
 * @param capacity the array's size, at least *count.
 * @param pull the source of more; NULL for none (la_bus_handle_many()).
 * @param payload passed to pull.
 * @return as la_bus_handle_many(); #LA_EINVAL for a NULL bus, count,
 *         array (with capacity) or starting command, or *count > capacity.
 */
LA_EXTERN(int)
la_bus_handle_pull(la_bus *bus, const la_message **commands, size_t *count, size_t capacity,
                   la_command_pull_fn pull, void *payload);

/**
 * Finish the reallocations a process left pending (docs/reliability.md): a
 * line deallocated by ChangeBatchQuantity or CancelBatch whose reallocation
 * found no room stays recorded by the store, in the transaction of its
 * deallocation, until its OutOfStock has been handled; a crash in between
 * leaves the record. For each record this runs Allocate(orderid, sku, qty)
 * again, as la_bus_handle_many would (its events, notifications and the
 * caller's handlers after the commit; with #LA_BUS_BACKORDERS a line with
 * no room waits), and removes the record in the same transaction as the
 * line is placed, or once its OutOfStock has been handled. Call it when a
 * store is opened, before serving (the server and the CLI do); running it
 * from two processes at once is safe (Allocate is idempotent) but may send
 * an OutOfStock twice.
 * @param bus the bus (not from inside one of its event handlers).
 * @param[out] out_finished how many records were handled (may be NULL);
 *        a record whose Allocate failed stays for the next call.
 * @return #LA_OK (also when the store keeps no such records: 0 finished);
 *         the store's error (#LA_EDB, #LA_EIO, #LA_ECONFLICT after the
 *         retries, #LA_ENOMEM); #LA_EINVAL for a NULL bus; #LA_ESTATE from
 *         inside an event handler. Overwrites the results of the last call.
 */
LA_EXTERN(int) la_bus_finish_reallocations(la_bus *bus, size_t *out_finished);

/**
 * @name Results of the commands of the last call
 * After la_bus_handle() (one result for a command, none for an event) or
 * la_bus_handle_many() (one per command, in order). Strings are borrowed
 * from the bus until its next la_bus_handle or la_bus_handle_many.
 * @{
 */

/** How many commands the last call handled (0 for NULL). */
LA_EXTERN(size_t) la_bus_result_count(const la_bus *bus);
/** Status of command index (#LA_OK or its error); #LA_EINVAL out of range. */
LA_EXTERN(int) la_bus_result_status(const la_bus *bus, size_t index);
/**
 * The batch an Allocate at index went to; NULL when it found no stock, failed,
 * or was not an Allocate.
 */
LA_EXTERN(const char *) la_bus_result_batchref_at(const la_bus *bus, size_t index);
/** The message of command index's failure; "" when it succeeded; NULL out of range. */
LA_EXTERN(const char *) la_bus_result_error(const la_bus *bus, size_t index);

/** What a command that succeeded came to (la_bus_result_outcome). Never renumbered. */
typedef enum la_outcome {
	LA_OUTCOME_DONE = 0,         /**< done (not an allocation), or the command failed */
	LA_OUTCOME_ALLOCATED = 1,    /**< Allocate, AllocateOrder: every line has a batch */
	LA_OUTCOME_OUT_OF_STOCK = 2, /**< no room: nothing allocated (an order: nothing at all) */
	LA_OUTCOME_BACKORDERED = 3   /**< Allocate with #LA_BUS_BACKORDERS: the line waits */
} la_outcome;

/** The #la_outcome of command index. */
LA_EXTERN(int) la_bus_result_outcome(const la_bus *bus, size_t index);
/** AllocateOrder at index: its number of lines (in the command's order); else 0. */
LA_EXTERN(size_t) la_bus_result_line_count(const la_bus *bus, size_t index);
/** Sku of line `line` of AllocateOrder at index, or NULL. */
LA_EXTERN(const char *) la_bus_result_line_sku(const la_bus *bus, size_t index, size_t line);
/** Batch line `line` of AllocateOrder at index went to; NULL when the order was not placed. */
LA_EXTERN(const char *)
la_bus_result_line_batchref(const la_bus *bus, size_t index, size_t line);
/** Non-zero when line `line` of an AllocateOrder found no room (a short sku). */
LA_EXTERN(int) la_bus_result_line_short(const la_bus *bus, size_t index, size_t line);

/** @} */

/**
 * Event handler.
 * @param bus the bus running it: la_bus_handle() on it queues a message.
 * @param event the event (borrowed for the call: copy to keep).
 * @param payload the pointer given to la_bus_subscribe().
 * @return #LA_OK, or a code (logged; the other handlers still run).
 */
typedef int (*la_event_handler_fn)(la_bus *bus, const la_message *event, void *payload);

/**
 * Add a handler for events of kind, run after those registered earlier.
 * @param bus the bus.
 * @param kind #LA_EVT_ALLOCATED, #LA_EVT_DEALLOCATED or #LA_EVT_OUT_OF_STOCK.
 * @param fn the handler, called on the thread that runs la_bus_handle().
 * @param payload passed to fn; not owned.
 * @return #LA_OK; #LA_EINVAL (NULL bus or fn, not an event kind); #LA_ENOMEM.
 */
LA_EXTERN(int) la_bus_subscribe(la_bus *bus, int kind, la_event_handler_fn fn, void *payload);

/**
 * Route notifications of an event kind. Default: OutOfStock →
 * "stock@made.com", Allocated → none.
 * @param bus the bus.
 * @param kind #LA_EVT_OUT_OF_STOCK or #LA_EVT_ALLOCATED.
 * @param destination where to send (copied), or NULL to stop them.
 * @return #LA_OK; #LA_EINVAL (NULL bus, another kind, a bad destination);
 *         #LA_ENOMEM.
 */
LA_EXTERN(int) la_bus_set_route(la_bus *bus, int kind, const char *destination);

/**
 * Counters since the bus was made.
 * @param bus the bus (NULL reads as zeros).
 * @param[out] commands commands run, reallocations included.
 * @param[out] events events dispatched.
 * @param[out] retries retries of conflicted commands.
 * @param[out] handler_failures event handlers that failed.
 *
 * Any out pointer may be NULL.
 */
LA_EXTERN(void)
la_bus_stats(const la_bus *bus, uint64_t *commands, uint64_t *events, uint64_t *retries,
             uint64_t *handler_failures);

LA_END_DECL

#endif
