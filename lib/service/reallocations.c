/* Pending reallocations (docs/reliability.md): a line that a stock_reduced
 * deallocation took off and its reallocation could not place is recorded
 * in the product's change log (LA_CHANGE_REALLOCATION_PENDING), so the
 * store keeps it in the transaction of the deallocation; once the
 * OutOfStock has been handled after the commit, a unit of work of its own
 * forgets it (LA_CHANGE_REALLOCATION_DONE). A crash in between leaves the
 * record for la_bus_finish_reallocations. Only for stores that keep them
 * (la_store_port.pending_reallocations). */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../domain/product_internal.h"

int la__bus_keeps_pending(const la_bus *bus)
{
	return bus->store->port->pending_reallocations != NULL;
}

static int remember_unplaced(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	if (!bus->unplaced) {
		int rc = la__order_line_list_new(&bus->unplaced);
		if (rc != LA_OK)
			return rc;
	}
	return la_order_line_list_append_qty(bus->unplaced, orderid, sku, qty);
}

int la__bus_reallocation_unplaced(la_bus *bus, la_product *product, const char *orderid,
                                  int64_t qty, int delivered_after)
{
	int rc =
	    la__product_record_reallocation(product, LA_CHANGE_REALLOCATION_PENDING, orderid, qty);
	if (rc == LA_OK && delivered_after)
		rc = remember_unplaced(bus, orderid, la_product_sku(product), qty);
	return rc;
}

int la__bus_reallocation_resumed(la_bus *bus, la_product *product, const char *orderid, int64_t qty,
                                 int placed)
{
	if (placed) /* the line is stored again: forget the record with it */
		return la__product_record_reallocation(product, LA_CHANGE_REALLOCATION_DONE,
		                                       orderid, 0);
	return remember_unplaced(bus, orderid, la_product_sku(product), qty);
}

static int forget_once(la_bus *bus)
{
	const la_order_line_list *list = bus->unplaced;
	int rc = la__uow_begin(bus);
	if (rc != LA_OK)
		return rc;
	for (size_t i = 0; rc == LA_OK && i < la__order_line_list_count(list); i++) {
		la_product *p;
		la__uow_mark(bus);
		rc = la__uow_get(&p, bus, la__order_line_list_sku(list, i));
		if (rc == LA_OK)
			rc = la__product_record_reallocation(p, LA_CHANGE_REALLOCATION_DONE,
			                                     la__order_line_list_orderid(list, i),
			                                     0);
		if (rc == LA_OK)
			rc = la__uow_command_done(bus);
	}
	if (rc != LA_OK) {
		la__uow_abandon(bus);
		return rc;
	}
	return la__uow_commit(bus);
}

void la__bus_forget_delivered(la_bus *bus)
{
	if (!bus->unplaced || !la__order_line_list_count(bus->unplaced))
		return;
	int rc;
	for (unsigned int attempt = 0;; attempt++) {
		rc = forget_once(bus);
		if (rc != LA_ECONFLICT || !bus->store_conflict ||
		    attempt >= bus->options.max_retries)
			break;
		bus->retries++;
		la__bus_pause_before_retry(bus, attempt);
	}
	if (rc != LA_OK)
		la_log(LA_LOG_WARN,
		       "%zu pending reallocation(s) not cleared after their OutOfStock: %s: %s "
		       "(la_bus_finish_reallocations runs them again)",
		       la__order_line_list_count(bus->unplaced), la_strerror(rc), la_error_last());
	la__order_line_list_clear(bus->unplaced);
}

void la__bus_unplaced_reset(la_bus *bus)
{
	if (bus->unplaced)
		la__order_line_list_clear(bus->unplaced);
}
