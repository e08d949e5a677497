/*
 * la_order_line_list: the (orderid, sku) pairs a store answers with when the
 * bus asks for the lines of one order (Confirm) or for the holds that ended
 * (ExpireHolds), and the (orderid, sku, qty) of pending reallocations.
 */
#include "bus_internal.h"

#include "../common/common_internal.h"
#include "../util/alloc.h"

struct la_order_line_list {
	char **orderids, **skus;
	int64_t *qtys; /* 0 where the store gave none */
	size_t count, capacity;
};

int la__order_line_list_new(la_order_line_list **out)
{
	*out = la__calloc(1, sizeof **out);
	return *out ? LA_OK : la__error_nomem();
}

void la__order_line_list_free(la_order_line_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		la_free(list->orderids[i]);
		la_free(list->skus[i]);
	}
	la_free(list->orderids);
	la_free(list->skus);
	la_free(list->qtys);
	la_free(list);
}

void la__order_line_list_clear(la_order_line_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		la_free(list->orderids[i]);
		la_free(list->skus[i]);
	}
	list->count = 0;
}

size_t la__order_line_list_count(const la_order_line_list *list)
{
	return list->count;
}

const char *la__order_line_list_orderid(const la_order_line_list *list, size_t index)
{
	return list->orderids[index];
}

const char *la__order_line_list_sku(const la_order_line_list *list, size_t index)
{
	return list->skus[index];
}

int64_t la__order_line_list_qty(const la_order_line_list *list, size_t index)
{
	return list->qtys[index];
}

int la_order_line_list_append(la_order_line_list *list, const char *orderid, const char *sku)
{
	return la_order_line_list_append_qty(list, orderid, sku, 0);
}

int la_order_line_list_append_qty(la_order_line_list *list, const char *orderid, const char *sku,
                                  int64_t qty)
{
	int rc;
	if (!list)
		return la_error_set(LA_EINVAL, "list is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK ||
	    (rc = la_check_string(sku, "sku")) != LA_OK)
		return rc;
	if (qty < 0)
		return la_error_set(LA_EINVAL, "qty must not be negative");
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? 2 * list->capacity : 8;
		char **orderids = la__realloc(list->orderids, capacity * sizeof *orderids);
		if (!orderids)
			return la__error_nomem();
		list->orderids = orderids;
		char **skus = la__realloc(list->skus, capacity * sizeof *skus);
		if (!skus)
			return la__error_nomem();
		list->skus = skus;
		int64_t *qtys = la__realloc(list->qtys, capacity * sizeof *qtys);
		if (!qtys)
			return la__error_nomem();
		list->qtys = qtys;
		list->capacity = capacity;
	}
	char *o = la__strdup(orderid), *s = la__strdup(sku);
	if (!o || !s) {
		la_free(o);
		la_free(s);
		return la__error_nomem();
	}
	list->orderids[list->count] = o;
	list->qtys[list->count] = qty;
	list->skus[list->count++] = s;
	return LA_OK;
}
