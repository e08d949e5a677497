/* The unit of work as the handlers see it: the store's repository, with the
 * products it hands out remembered so their events can be collected. */
#include "bus_internal.h"

#include "../domain/product_internal.h"
#include "../util/alloc.h"
#include "../util/error.h"

static int remember(la_bus *bus, la_product *product)
{
	for (size_t i = 0; i < bus->seen_count; i++) {
		if (bus->seen[i] == product)
			return LA_OK;
	}
	if (la_grow((void **)&bus->seen, &bus->seen_capacity, bus->seen_count + 1,
	            sizeof *bus->seen) != LA_OK)
		return la_error_nomem();
	bus->seen[bus->seen_count++] = product;
	return LA_OK;
}

/* A conflict the store reports is a concurrent change, worth retrying; one
 * the domain reports (a rule broken) would fail the same way every time. */
static int from_store(la_bus *bus, int rc)
{
	if (rc == LA_ECONFLICT)
		bus->store_conflict = 1;
	return rc;
}

int la_uow_begin(la_bus *bus)
{
	const la_store *s = bus->store;
	bus->seen_count = 0;
	bus->committed = 0;
	bus->store_conflict = 0;
	return from_store(bus, s->port->begin(s->state));
}

int la_uow_get(la_product **out, la_bus *bus, const char *sku)
{
	const la_store *s = bus->store;
	int rc = from_store(bus, s->port->get(out, sku, s->state));
	return rc == LA_OK ? remember(bus, *out) : rc;
}

int la_uow_get_by_batchref(la_product **out, la_bus *bus, const char *ref)
{
	const la_store *s = bus->store;
	int rc = from_store(bus, s->port->get_by_batchref(out, ref, s->state));
	return rc == LA_OK ? remember(bus, *out) : rc;
}

int la_uow_load_line(la_bus *bus, la_product *product, const char *orderid)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->load_line(product, orderid, s->state));
}

int la_uow_load_batch_lines(la_bus *bus, la_product *product, const char *ref)
{
	const la_store *s = bus->store;
	return from_store(bus, s->port->load_batch_lines(product, ref, s->state));
}

int la_uow_add(la_bus *bus, la_product *product)
{
	/* remember first: once added, the store owns the product */
	int rc = remember(bus, product);
	if (rc != LA_OK) {
		la_product_free(product);
		return rc;
	}
	const la_store *s = bus->store;
	rc = from_store(bus, s->port->add(product, s->state));
	if (rc != LA_OK)
		bus->seen_count--;
	return rc;
}

int la_uow_commit(la_bus *bus)
{
	/* make room for the events first: once committed they must not be lost */
	size_t events = 0;
	for (size_t i = 0; i < bus->seen_count; i++)
		events += la_product_event_count(bus->seen[i]);
	if (la_grow((void **)&bus->queue, &bus->queue_capacity, bus->queue_count + events,
	            sizeof *bus->queue) != LA_OK)
		return la_error_nomem();
	const la_store *s = bus->store;
	int rc = from_store(bus, s->port->commit(s->state));
	if (rc != LA_OK)
		return rc;
	bus->committed = 1;
	for (size_t i = 0; i < bus->seen_count; i++) {
		la_product *p = bus->seen[i];
		size_t n = p->event_count;
		if (n == 0) /* the queue may still be NULL: NULL + 0 is undefined */
			continue;
		la_product_take_events(p, bus->queue + bus->queue_count);
		bus->queue_count += n;
	}
	return LA_OK;
}
