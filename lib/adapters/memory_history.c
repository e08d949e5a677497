/* The memory store's order history: per order, its entries oldest first.
 * An entry owns copies of its strings (a batch may be removed later). */
#include "memory_history.h"

#include "../util/alloc.h"

#include <string.h>

typedef struct order_history order_history;

typedef struct history_entry {
	order_history *order;
	int64_t time, qty, expires;
	int event, reason;
	const char *batchref; /* in storage, or NULL */
	char storage[];       /* sku, then batchref */
} history_entry;

struct order_history {
	history_entry **entries;
	size_t count, capacity;
	size_t reserved; /* commit: entries about to be added */
	char orderid[];
};

static order_history *order_get(memory_history *h, const char *orderid)
{
	if (la__strmap_reserve(&h->orders, 1) != LA_OK)
		return NULL;
	la__strmap_slot *slot = la__strmap_slot_of(&h->orders, orderid);
	if (slot->key)
		return slot->value;
	size_t size = strlen(orderid) + 1;
	order_history *order = la__calloc(1, sizeof *order + size);
	if (!order)
		return NULL;
	memcpy(order->orderid, orderid, size);
	la__strmap_fill(&h->orders, slot, order->orderid, order);
	return order;
}

/* The entry of change index of p, or NULL (out of memory). */
static history_entry *entry_make(const la_product *p, size_t index, int event, const la_change *c,
                                 order_history *order)
{
	const char *sku = la_product_sku(p);
	size_t sku_size = strlen(sku) + 1, ref_size = c->batchref ? strlen(c->batchref) + 1 : 0;
	history_entry *e = la__malloc(sizeof *e + sku_size + ref_size);
	if (!e)
		return NULL;
	*e = (history_entry){
	    order,  la_product_change_time(p, index),
	    c->qty, la_product_change_expires(p, index),
	    event,  event == LA_EVT_DEALLOCATED ? la_product_change_reason(p, index) : 0,
	    NULL};
	memcpy(e->storage, sku, sku_size);
	if (c->batchref) {
		memcpy(e->storage + sku_size, c->batchref, ref_size);
		e->batchref = e->storage + sku_size;
	}
	return e;
}

static void discard(memory_history *h)
{
	for (size_t i = 0; i < h->made_count; i++) {
		h->made[i]->order->reserved = 0;
		la__free(h->made[i]);
	}
	h->made_count = 0;
}

/* Make one entry and the room for it in its order. */
static int make_one(memory_history *h, la_product *p, size_t index, int event)
{
	la_change c;
	if (la_product_change_at(&c, p, index) != LA_OK)
		return LA_ENOMEM; /* cannot happen: the index comes from the walk */
	order_history *order = order_get(h, c.orderid);
	if (!order || la__grow((void **)&h->made, &h->made_capacity, h->made_count + 1,
	                       sizeof *h->made) != LA_OK)
		return LA_ENOMEM;
	if (la__grow((void **)&order->entries, &order->capacity, order->count + order->reserved + 1,
	             sizeof *order->entries) != LA_OK)
		return LA_ENOMEM;
	history_entry *e = entry_make(p, index, event, &c, order);
	if (!e)
		return LA_ENOMEM;
	order->reserved++;
	h->made[h->made_count++] = e;
	return LA_OK;
}

int memory_history_prepare(memory_history *h, la_product *const *products, size_t count)
{
	size_t k;
	h->made_count = 0;
	if (la__grow((void **)&h->positions, &h->positions_capacity, count, sizeof *h->positions) !=
	    LA_OK)
		return la_error_set(LA_ENOMEM, "out of memory");
	if (count)
		memset(h->positions, 0, count * sizeof *h->positions);
	while ((k = la_products_next_change(products, count, h->positions)) < count) {
		size_t index = h->positions[k] - 1;
		int event = la_product_change_event(products[k], index);
		if (event && make_one(h, products[k], index, event) != LA_OK) {
			discard(h);
			return la_error_set(LA_ENOMEM, "out of memory");
		}
	}
	return LA_OK;
}

void memory_history_keep(memory_history *h)
{
	for (size_t i = 0; i < h->made_count; i++) {
		history_entry *e = h->made[i];
		e->order->entries[e->order->count++] = e; /* room reserved */
		e->order->reserved = 0;
	}
	h->made_count = 0;
}

int memory_history_view(la_history_list *into, const memory_history *h, const char *orderid)
{
	const order_history *order = la__strmap_get(&h->orders, orderid);
	int rc = LA_OK;
	for (size_t i = 0; order && i < order->count && rc == LA_OK; i++) {
		const history_entry *e = order->entries[i];
		rc = la_history_list_append(into, e->time, e->event, e->storage, e->qty,
		                            e->batchref, e->reason, e->expires);
	}
	return rc;
}

void memory_history_dispose(memory_history *h)
{
	size_t index = 0;
	const char *key;
	void *value;
	discard(h);
	while (la__strmap_next(&h->orders, &index, &key, &value)) {
		order_history *order = value;
		for (size_t i = 0; i < order->count; i++)
			la__free(order->entries[i]);
		la__free(order->entries);
		la__free(order);
	}
	la__strmap_dispose(&h->orders);
	la__free(h->made);
	la__free(h->positions);
}
