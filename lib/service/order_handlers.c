/* Command handlers of whole orders and holds: AllocateOrder, Confirm,
 * ExpireHolds, and the allocation options every Allocate runs with (the
 * bus's policy, backorders, the hold's end from the bus's clock). */
#include "bus_internal.h"
#include "store_internal.h"

#include "../common/common_internal.h"
#include "../domain/message_internal.h"
#include "../domain/product_internal.h"
#include "../util/alloc.h"

#include <string.h>

la_allocation_options la__bus_allocation_options(const la_bus *bus, const la_message *cmd)
{
	la_allocation_options opts = LA_ALLOCATION_OPTIONS_INIT;
	/* an internal reallocation carries the hold's end itself (time) */
	opts.expires = cmd->time ? cmd->time : cmd->hold ? bus->now + cmd->hold : 0;
	opts.backorder = (bus->options.flags & LA_BUS_BACKORDERS) != 0;
	opts.promise = cmd->kind == LA_CMD_ALLOCATE ? cmd->eta : NULL;
	opts.policy = bus->options.policy;
	return opts;
}

/* Indices of cmd's items in sku order: every order takes its products in
 * the same order, so two orders over the same skus never wait on each
 * other in a cycle (a store locking products as they are read). An
 * insertion sort: at most LA_ORDER_MAX_LINES items, and no global context
 * for qsort to compare with (buses run on many threads). */
static int items_in_sku_order(size_t **out, const la_message *cmd)
{
	size_t n = cmd->item_count;
	size_t *order = la__malloc(n * sizeof *order);
	if (!order) {
		(void)la__error_nomem();
		return LA_ENOMEM; /* spelled out: the caller indexes *out on LA_OK */
	}
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		for (; j > 0 && strcmp(cmd->items[order[j - 1]].sku, cmd->items[i].sku) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	*out = order;
	return LA_OK;
}

struct order_attempt {
	la_product **products;
	const char **batchrefs;
	size_t *order;
	size_t short_count;
};

static void attempt_free(struct order_attempt *a)
{
	la__free(a->products);
	la__free(a->batchrefs);
	la__free(a->order);
}

static int report_lines(la__result *result, const la_message *cmd, const struct order_attempt *a)
{
	int rc = la__result_lines(result, cmd->item_count);
	for (size_t i = 0; rc == LA_OK && i < cmd->item_count; i++)
		rc = la__result_set_line(result, i, cmd->items[i].sku,
		                         a->short_count ? NULL : a->batchrefs[i],
		                         a->batchrefs[i] == NULL);
	if (rc == LA_OK)
		result->outcome = a->short_count ? LA_OUTCOME_OUT_OF_STOCK : LA_OUTCOME_ALLOCATED;
	return rc;
}

int la__handle_allocate_order(la_bus *bus, const la_message *cmd, la__result *result)
{
	size_t n = cmd->item_count;
	struct order_attempt a = {la__calloc(n, sizeof *a.products),
	                          la__calloc(n, sizeof *a.batchrefs), NULL, 0};
	int rc = LA_ENOMEM;
	if (a.products && a.batchrefs)
		rc = items_in_sku_order(&a.order, cmd);
	else
		(void)la__error_nomem();
	la_allocation_options opts = la__bus_allocation_options(bus, cmd);
	opts.backorder = 0; /* a whole order is placed at once or not at all */
	for (size_t k = 0; rc == LA_OK && k < n; k++) {
		size_t i = a.order[k];
		const la__order_item *item = &cmd->items[i];
		rc = la__uow_get(&a.products[i], bus, item->sku);
		if (rc == LA_ENOTFOUND)
			rc = la_error_set(rc, "Invalid sku %s", item->sku);
		if (rc == LA_OK)
			rc = la__uow_find_line(bus, a.products[i], cmd->orderid);
		if (rc == LA_OK)
			rc = la_product_allocate_with(&a.batchrefs[i], a.products[i], cmd->orderid,
			                              item->qty, &opts);
		if (rc == LA_OK && !a.batchrefs[i])
			a.short_count++;
	}
	if (rc == LA_OK && a.short_count) {
		/* Nothing of the order stays; each short sku says so once. */
		la__uow_undo_command(bus);
		for (size_t i = 0; rc == LA_OK && i < n; i++)
			if (!a.batchrefs[i])
				rc = la__product_record_out_of_stock(a.products[i]);
	}
	if (rc == LA_OK && result)
		rc = report_lines(result, cmd, &a);
	attempt_free(&a);
	return rc;
}

static int unsupported(const la_bus *bus, const char *what)
{
	return la_error_set(LA_EUNSUPPORTED, "the %s store does not keep %s",
	                    bus->store->port->name ? bus->store->port->name : "", what);
}

int la__handle_confirm(la_bus *bus, const la_message *cmd, la__result *result)
{
	(void)result;
	if (!bus->store->port->lines_of_order)
		return unsupported(bus, "holds");
	la_order_line_list *lines;
	int rc = la__order_line_list_new(&lines);
	if (rc == LA_OK)
		rc = bus->store->port->lines_of_order(lines, cmd->orderid, bus->store->state);
	if (rc == LA_OK && la__order_line_list_count(lines) == 0)
		rc = la_error_set(LA_ENOTFOUND, "Unknown order %s", cmd->orderid);
	for (size_t i = 0; rc == LA_OK && i < la__order_line_list_count(lines); i++) {
		la_product *p;
		rc = la__uow_get(&p, bus, la__order_line_list_sku(lines, i));
		if (rc == LA_OK)
			rc = la__uow_find_line(bus, p, cmd->orderid);
		if (rc == LA_OK && la_product_find_line(p, cmd->orderid))
			rc = la_product_confirm(p, cmd->orderid);
	}
	la__order_line_list_free(lines);
	return rc;
}

/* At most this many holds end per ExpireHolds: the rest wait for the next. */
#define EXPIRE_AT_MOST 1000

int la__handle_expire_holds(la_bus *bus, const la_message *cmd, la__result *result)
{
	(void)result;
	if (!bus->store->port->expired_holds)
		return unsupported(bus, "holds");
	la_order_line_list *lines;
	int rc = la__order_line_list_new(&lines);
	if (rc == LA_OK)
		rc = bus->store->port->expired_holds(lines, cmd->time, EXPIRE_AT_MOST,
		                                     bus->store->state);
	for (size_t i = 0; rc == LA_OK && i < la__order_line_list_count(lines); i++) {
		const char *orderid = la__order_line_list_orderid(lines, i);
		la_product *p;
		rc = la__uow_get(&p, bus, la__order_line_list_sku(lines, i));
		if (rc == LA_ENOTFOUND) { /* gone since: nothing left to expire */
			rc = LA_OK;
			continue;
		}
		if (rc == LA_OK)
			rc = la__uow_find_line(bus, p, orderid);
		if (rc == LA_OK)
			rc = la_product_expire(p, orderid, cmd->time);
	}
	la__order_line_list_free(lines);
	return rc;
}
