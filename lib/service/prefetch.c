/* Before the commands of a batch run, the lines they name are loaded a sku
 * at a time: one query per product instead of one per command, so a
 * database store answers a batch of n allocations on one sku in a few round
 * trips, not n. Loading earlier in the same transaction reads the same
 * state, so no command's result changes. */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../domain/message_internal.h"
#include "../util/alloc.h"

#include <string.h>

/* Commands that look up one order line of their sku. */
static int names_a_line(const la_message *m)
{
	return m && (m->kind == LA_CMD_ALLOCATE || m->kind == LA_CMD_DEALLOCATE);
}

/* Whether an earlier command already named this sku. */
static int sku_seen_before(const la_message *const *commands, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (names_a_line(commands[j]) && strcmp(commands[j]->sku, commands[i]->sku) == 0)
			return 1;
	}
	return 0;
}

int la__uow_prefetch_lines(la_bus *bus, const la_message *const *commands, size_t count)
{
	const la_store *s = bus->store;
	if (!s->port->load_lines || count < 2)
		return LA_OK;
	if (la__grow((void **)&bus->orderids, &bus->orderids_capacity, count,
	             sizeof *bus->orderids) != LA_OK)
		return la__error_nomem();
	for (size_t i = 0; i < count; i++) {
		const la_message *m = commands[i];
		if (!la_message_is_command(m) || !names_a_line(m) || sku_seen_before(commands, i))
			continue;
		size_t n = 0;
		for (size_t j = i; j < count; j++) {
			if (la_message_is_command(commands[j]) && names_a_line(commands[j]) &&
			    strcmp(commands[j]->sku, m->sku) == 0)
				bus->orderids[n++] = commands[j]->orderid;
		}
		if (n < 2)
			continue; /* one line: the command asks for it as usual */
		la_product *p;
		int rc = la__uow_get(&p, bus, m->sku);
		if (rc == LA_ENOTFOUND)
			continue; /* an unknown sku: its commands fail on their own */
		if (rc == LA_OK)
			rc = la__uow_load_lines(bus, p, bus->orderids, n);
		if (rc == LA_OK && la__strmap_reserve(&bus->prefetched, n) != 0)
			rc = la__error_nomem();
		if (rc != LA_OK)
			return rc;
		/* the keys are the commands' own strings: they outlive the unit of work */
		for (size_t k = 0; k < n; k++)
			la__strmap_put(&bus->prefetched, bus->orderids[k], p);
	}
	return LA_OK;
}

/* Through the store's prefetch: the (sku, orderid) of every command that
 * names a line, in one call, then each line marked as looked up in its
 * product (now in the identity map: get costs no query). */
static int prefetch_all(la_bus *bus, const la_message *const *commands, size_t count)
{
	if (la__grow((void **)&bus->orderids, &bus->orderids_capacity, count,
	             sizeof *bus->orderids) != LA_OK ||
	    la__grow((void **)&bus->skus, &bus->skus_capacity, count, sizeof *bus->skus) != LA_OK)
		return la__error_nomem();
	size_t n = 0;
	for (size_t i = 0; i < count; i++) {
		const la_message *m = commands[i];
		if (la_message_is_command(m) && names_a_line(m)) {
			bus->skus[n] = m->sku;
			bus->orderids[n++] = m->orderid;
		}
	}
	if (!n)
		return LA_OK;
	int rc = la__uow_store_prefetch(bus, bus->skus, bus->orderids, n);
	if (rc == LA_OK && la__strmap_reserve(&bus->prefetched, n) != 0)
		rc = la__error_nomem();
	/* An order named with two skus keeps the mark of the last: the other
	 * line is looked up through load_line, as without a prefetch. */
	for (size_t k = 0; rc == LA_OK && k < n; k++) {
		la_product *p;
		rc = la__uow_get(&p, bus, bus->skus[k]);
		if (rc == LA_ENOTFOUND) {
			rc = LA_OK; /* an unknown sku: its commands fail on their own */
			continue;
		}
		/* the keys are the commands' own strings: they outlive the unit of work */
		if (rc == LA_OK)
			la__strmap_put(&bus->prefetched, bus->orderids[k], p);
	}
	return rc;
}

int la__uow_prefetch_unit(la_bus *bus, const la_message *const *commands, size_t count)
{
	if (bus->store->port->prefetch)
		return prefetch_all(bus, commands, count);
	return la__uow_prefetch_lines(bus, commands, count);
}

int la__uow_find_line(la_bus *bus, la_product *product, const char *orderid)
{
	if (la__strmap_get(&bus->prefetched, orderid) == product)
		return LA_OK; /* loaded with the others, or known to be absent */
	return la__uow_load_line(bus, product, orderid);
}
