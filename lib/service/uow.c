/* The unit of work as the handlers see it: the store's repository, with the
 * products it hands out remembered, so that their events can be collected
 * and a failing command undone without undoing the commands before it. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../domain/product_internal.h"
#include "../util/alloc.h"

static int push(la_product ***items, size_t *count, size_t *capacity, la_product *product)
{
	if (la__grow((void **)items, capacity, *count + 1, sizeof **items) != LA_OK)
		return la__error_nomem();
	(*items)[(*count)++] = product;
	return LA_OK;
}

int la__uow_remember(la_bus *bus, la_product *product)
{
	int in_unit = product->seen_by == bus && product->seen_in_unit == bus->unit_id;
	if (in_unit && product->seen_in_command == bus->command_id)
		return LA_OK;
	if (!in_unit && push(&bus->seen, &bus->seen_count, &bus->seen_capacity, product) != LA_OK)
		return la__error_nomem();
	if (push(&bus->touched, &bus->touched_count, &bus->touched_capacity, product) != LA_OK) {
		if (!in_unit)
			bus->seen_count--;
		return la__error_nomem();
	}
	/* Marked as handed out, before the command changes it; a product new in
	 * this unit of work keeps the mark it was made with (empty) at first. */
	if (in_unit || !la_product_is_new(product))
		la__product_mark(product);
	product->seen_by = bus;
	product->seen_in_unit = bus->unit_id;
	product->seen_in_command = bus->command_id;
	return LA_OK;
}

/* A conflict the store reports is a concurrent change, worth retrying; one
 * the domain reports (a rule broken) would fail the same way every time.
 * Any other failure of the store fails the whole unit of work. */
static int from_store(la_bus *bus, int rc)
{
	if (rc == LA_ECONFLICT)
		bus->store_conflict = 1;
	else if (rc != LA_OK && rc != LA_ENOTFOUND)
		bus->store_failed = 1;
	return rc;
}

int la__uow_begin(la_bus *bus)
{
	const la_store *s = bus->store;
	bus->seen_count = bus->touched_count = 0;
	bus->unit_id++;
	la__strmap_clear(&bus->prefetched);
	bus->store_conflict = 0;
	bus->store_failed = 0;
	la__queue_forget(&bus->events);
	la__queue_forget(&bus->handled);
	return from_store(bus, s->port->begin(s->state));
}

int la__uow_get(la_product **out, la_bus *bus, const char *sku)
{
	const la_store *s = bus->store;
	int rc = from_store(bus, s->port->get(out, sku, s->state));
	return rc == LA_OK ? la__uow_remember(bus, *out) : rc;
}

int la__uow_get_by_batchref(la_product **out, la_bus *bus, const char *ref)
{
	const la_store *s = bus->store;
	bus->batch_removed_from = NULL;
	int rc = from_store(bus, s->port->get_by_batchref(out, ref, s->state));
	if (rc == LA_OK && (rc = la__uow_remember(bus, *out)) == LA_OK &&
	    !la_product_find_batch(*out, ref)) {
		bus->batch_removed_from =
		    *out; /* stored, but removed earlier in this unit of work */
		rc = LA_ENOTFOUND;
	}
	return rc;
}

int la__uow_load_line(la_bus *bus, la_product *product, const char *orderid)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->load_line(product, orderid, s->state));
}

int la__uow_load_batch_lines(la_bus *bus, la_product *product, const char *ref)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->load_batch_lines(product, ref, s->state));
}

int la__uow_load_lines(la_bus *bus, la_product *product, const char *const *orderids, size_t count)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->load_lines(product, orderids, count, s->state));
}

int la__uow_store_prefetch(la_bus *bus, const char *const *skus, const char *const *orderids,
                           size_t count)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->prefetch(skus, orderids, count, s->state));
}

int la__uow_add(la_bus *bus, la_product *product)
{
	/* remember first: once added, the store owns the product */
	int rc = la__uow_remember(bus, product);
	if (rc != LA_OK) {
		la_product_free(product);
		return rc;
	}
	const la_store *s = bus->store;
	rc = from_store(bus, s->port->add(product, s->state));
	if (rc != LA_OK) { /* the store freed it: forget it */
		bus->seen_count--;
		bus->touched_count--;
	}
	return rc;
}

void la__uow_mark(la_bus *bus)
{
	bus->command_id++;
	bus->touched_count = 0;
}

void la__uow_undo_command(la_bus *bus)
{
	for (size_t i = 0; i < bus->touched_count; i++)
		la__product_revert_to_mark(bus->touched[i]);
}

int la__uow_command_done(la_bus *bus)
{
	size_t events = 0;
	uint64_t order = ++bus->change_clock;
	for (size_t i = 0; i < bus->touched_count; i++) {
		la__product_order_changes(bus->touched[i], order, bus->now);
		events += la_product_event_count(bus->touched[i]);
	}
	if (!events)
		return LA_OK; /* (and no arithmetic on a queue that may still be NULL) */
	la__queue *q = &bus->events;
	if (la__grow((void **)&q->items, &q->capacity, q->count + events, sizeof *q->items) !=
	    LA_OK)
		return la__error_nomem();
	for (size_t i = 0; i < bus->touched_count; i++)
		q->count += la__product_collect_events(bus->touched[i], q->items + q->count);
	return LA_OK;
}

static void end(la_bus *bus)
{
	const la_store *s = bus->store;
	s->port->end(s->state);
	bus->seen_count = bus->touched_count = 0;
}

int la__uow_commit(la_bus *bus)
{
	const la_store *s = bus->store;
	int rc = from_store(bus, s->port->commit(s->state));
	if (rc == LA_OK) {
		for (size_t i = 0; i < bus->seen_count; i++)
			la__product_release_events(bus->seen[i]); /* bus->handled owns them */
	} else {
		la__queue_forget(&bus->handled); /* the rollback freed them */
	}
	la__queue_forget(&bus->events);
	end(bus);
	return rc;
}

void la__uow_abandon(la_bus *bus)
{
	const la_store *s = bus->store;
	s->port->rollback(s->state);
	la__queue_forget(&bus->events);
	la__queue_forget(&bus->handled);
	end(bus);
}
