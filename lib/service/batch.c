/* Commands in one unit of work (group commit). Each command is atomic on its
 * own: the products it touched are marked before it runs, and a command that
 * fails is undone back to the marks without touching the commands before it,
 * so no database savepoint is needed. The events a command records are
 * handled before the next command starts, exactly as the bus would handle
 * them one command at a time (spec §1.3): the built-in handler that changes
 * the store (reallocation after stock_reduced) runs at once, inside the unit
 * of work; the handlers with effects outside it (publish, notify, the
 * caller's own) run after the commit, in the same order. A conflict the
 * store reports re-runs every command against fresh state; any other failure
 * of the store fails them all. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../domain/message_internal.h"
#include "../util/alloc.h"

#include <string.h>
#include <time.h>

#define MAX_RETRY_DELAY_US 50000u

void la__bus_pause_before_retry(la_bus *bus, unsigned int attempt)
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

static int failed_in_store(const la_bus *bus)
{
	return bus->store_failed || bus->store_conflict;
}

/* The line of event found no room: it stays pending (reallocations.c);
 * delivered_after: until its OutOfStock has been handled after the commit,
 * else until la_bus_finish_reallocations. The product is already in the
 * unit of work: the store hands it out without loading it. */
static int record_unplaced(la_bus *bus, const la_message *event, int delivered_after)
{
	la_product *p;
	if (!la__bus_keeps_pending(bus))
		return LA_OK; /* (a store built for an older port would not know the change) */
	int rc = la__uow_get(&p, bus, event->sku);
	if (rc == LA_OK)
		rc = la__bus_reallocation_unplaced(bus, p, event->orderid, event->qty,
		                                   delivered_after);
	return rc;
}

/* Reallocate a line deallocated because stock was reduced (spec §1.2), as a
 * command of its own inside the unit of work. A line it cannot place stays
 * recorded as pending until its OutOfStock has been handled
 * (reallocations.c). Its failure is logged like any event handler's, and
 * the line kept pending for la_bus_finish_reallocations, unless the store
 * failed or memory ran out: then the unit of work fails (else the line
 * would be dropped, deallocated for good, by a command that reports
 * success). */
static int reallocate(la_bus *bus, const la_message *event)
{
	la_message *command;
	la__result result = {0};
	int rc = la__reallocation_command(&command, event);
	if (rc != LA_OK)
		return rc;
	bus->commands++;
	la__uow_mark(bus);
	rc = la__handle_command(bus, command, &result);
	la_message_free(command);
	if (rc == LA_OK && result.outcome == LA_OUTCOME_OUT_OF_STOCK)
		rc = record_unplaced(bus, event, 1);
	if (rc == LA_OK)
		return la__uow_command_done(bus);
	if (failed_in_store(bus) || rc == LA_ENOMEM)
		return rc;
	la__uow_undo_command(bus);
	la__bus_handler_failed(bus, event, "reallocate", rc);
	la__uow_mark(bus); /* the record, a step of its own */
	rc = record_unplaced(bus, event, 0);
	return rc == LA_OK ? la__uow_command_done(bus) : rc;
}

/* Backorders: the waiting lines of the unit's products that now fit, each
 * product's placement a step of its own (like a reallocation). */
static int fill_waiting(la_bus *bus, int *out_placed)
{
	*out_placed = 0;
	la_allocation_options opts = LA_ALLOCATION_OPTIONS_INIT;
	opts.policy = bus->options.policy;
	for (size_t i = 0; i < bus->seen_count; i++) {
		la_product *p = bus->seen[i];
		if (!la_product_waiting_count(p))
			continue;
		size_t placed = 0;
		la__uow_mark(bus);
		int rc = la__uow_remember(bus, p);
		if (rc == LA_OK)
			rc = la_product_fill_waiting(&placed, p, &opts);
		if (rc == LA_OK && placed) {
			*out_placed = 1;
			rc = la__uow_command_done(bus);
		}
		if (rc == LA_EUSER) { /* the policy failed: the lines keep waiting */
			la__uow_undo_command(bus);
			la_log(LA_LOG_WARN, "backorders of %s not placed: %s", la_product_sku(p),
			       la_error_last());
			rc = LA_OK;
		}
		if (rc != LA_OK)
			return rc;
	}
	return LA_OK;
}

/* The events of the command just run, oldest first, with those they lead
 * to; then, with backorders, the waiting lines the new stock lets in. */
static int handle_events(la_bus *bus)
{
	int rc = la__uow_command_done(bus);
	for (int placed = 1; rc == LA_OK && placed;) {
		la_message *event;
		while (rc == LA_OK && (event = la__queue_pop(&bus->events))) {
			if ((rc = la__queue_push(&bus->handled, event)) != LA_OK)
				break;
			if (event->kind == LA_EVT_DEALLOCATED &&
			    event->reason == LA_REASON_STOCK_REDUCED)
				rc = reallocate(bus, event);
		}
		placed = 0;
		if (rc == LA_OK && (bus->options.flags & LA_BUS_BACKORDERS))
			rc = fill_waiting(bus, &placed);
	}
	return rc;
}

/* Ask the list's source for more (up to its capacity); how many came.
 * Their results have room (reserved) but were not reset: reset here. */
static size_t pull(la__command_list *list, la__result *results)
{
	if (!list->pull || list->count >= list->capacity)
		return 0;
	size_t got =
	    list->pull(list->payload, list->room + list->count, list->capacity - list->count);
	if (got > list->capacity - list->count)
		got = list->capacity - list->count; /* a source that claims too much */
	if (got)
		memset(results + list->count, 0, got * sizeof *results);
	list->count += got;
	return got;
}

/* The unit of work has run its list: what the source has joins it, with
 * the lines the new commands name loaded. LA_OK, or the store's error. */
static int pull_more(la_bus *bus, la__command_list *list, la__result *results)
{
	size_t got = pull(list, results);
	return la__uow_prefetch_lines(bus, list->items + list->count - got, got);
}

/* Command i of the unit of work, result its result; *done counts the
 * commands that changed the unit. LA_OK (a command's own failure is in its
 * result), LA__ESPLIT when it must start a new unit of work (undone), or
 * why the unit of work as a whole fails. */
static int run_one(la_bus *bus, const la_message *command, size_t i, la__result *result,
                   size_t *done)
{
	la__result_clear(result); /* a retried attempt's lines too */
	if (!la_message_is_command(command)) {
		if (command)
			la_error_set(LA_EINVAL, "message %zu (%s) is not a command", i,
			             la_message_name(command));
		else /* handed over by a pull source */
			la_error_set(LA_EINVAL, "command %zu is NULL", i);
		la__result_fail(result, LA_EINVAL);
		return LA_OK;
	}
	la__uow_mark(bus);
	int rc = la__handle_command(bus, command, result);
	if (rc == LA__ESPLIT && *done) {
		la__uow_undo_command(bus);
		return LA__ESPLIT;
	}
	if (rc != LA_OK && !failed_in_store(bus)) {
		la__uow_undo_command(bus); /* this command only */
		la__result_fail(result, rc);
		return LA_OK;
	}
	if (rc == LA_OK)
		rc = handle_events(bus);
	*done += rc == LA_OK;
	return rc;
}

/* One attempt: the commands from at in order (and, with a source, those it
 * hands over meanwhile), then the commit. *ran is how many commands the unit
 * of work took: all of them, or fewer when one must start a new unit of
 * work (LA__ESPLIT). LA_OK, or why the unit of work as a whole failed (it is
 * rolled back). */
static int run_once(la_bus *bus, la__command_list *list, size_t at, la__result *results,
                    size_t *ran)
{
	la__bus_unplaced_reset(bus);
	bus->now = bus->options.clock ? bus->options.clock(bus->options.clock_payload)
	                              : (int64_t)time(NULL);
	int rc = la__uow_begin(bus);
	if (rc != LA_OK)
		return rc;
	if ((rc = la__uow_prefetch_unit(bus, list->items + at, list->count - at)) != LA_OK) {
		la__uow_abandon(bus);
		return rc;
	}
	size_t done = 0;
	for (size_t i = at; i < list->count; i++) {
		rc = run_one(bus, list->items[i], i, &results[i], &done);
		if (rc == LA__ESPLIT) {
			*ran = i - at;
			return la__uow_commit(bus);
		}
		/* Commands that came while these ran (the store may have waited
		 * for a lock meanwhile) join the same unit of work. */
		if (rc == LA_OK && i + 1 == list->count)
			rc = pull_more(bus, list, results);
		if (rc != LA_OK) {
			la__uow_abandon(bus);
			return rc;
		}
	}
	*ran = list->count - at;
	if (!done) { /* every command failed: there is nothing to write */
		la__uow_abandon(bus);
		return LA_OK;
	}
	return la__uow_commit(bus);
}

/* The commands from the first, in as few units of work as they allow
 * (one, unless a command needs the ones before it committed); *ran is how
 * many the committed unit of work took. */
static int run_unit(la_bus *bus, la__command_list *list, size_t at, la__result *results,
                    size_t *ran)
{
	for (unsigned int attempt = 0;; attempt++) {
		int rc = run_once(bus, list, at, results, ran);
		if (rc == LA_OK)
			return LA_OK;
		if (rc != LA_ECONFLICT || !bus->store_conflict ||
		    attempt >= bus->options.max_retries)
			return rc;
		bus->retries++;
		la_log(LA_LOG_DEBUG, "%zu command(s) conflicted (%s); retry %u", list->count - at,
		       la_error_last(), attempt + 1);
		la__bus_pause_before_retry(bus, attempt);
	}
}

int la__bus_run_commands(la_bus *bus, const la_message *const *commands, size_t count,
                         la__result *results)
{
	la__command_list list = {.items = commands, .count = count, .capacity = count};
	return la__bus_run_list(bus, &list, results);
}

int la__bus_run_list(la_bus *bus, la__command_list *list, la__result *results)
{
	if (!list->count) /* nothing to start with: ask first */
		(void)pull(list, results);
	size_t counted = 0;
	for (size_t at = 0; at < list->count;) {
		size_t ran = 0;
		int rc = run_unit(bus, list, at, results, &ran);
		bus->commands += list->count - counted; /* those pulled included */
		counted = list->count;
		if (rc != LA_OK) {
			for (size_t i = at; i < list->count; i++)
				la__result_fail(&results[i], rc);
			return rc;
		}
		la_message *event;
		while ((event = la__queue_pop(&bus->handled))) {
			la__bus_dispatch_event(bus, event);
			la_message_free(event);
		}
		la__bus_forget_delivered(bus); /* their OutOfStock has been handled */
		at += ran;
	}
	return LA_OK;
}
