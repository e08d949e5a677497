/* The order history's results (la_view_history): a list of entries that
 * stores fill from what they wrote at commit. The query belongs to each
 * store. */
#include "store_internal.h"

#include "../domain/message_internal.h"
#include "../util/alloc.h"
#include "../common/common_internal.h"

#include <allocation/messages.h>

typedef struct history_entry {
	int64_t time, qty, expires;
	int event, reason;
	char *sku, *batchref; /* batchref NULL: no batch (Backordered, a waiting line cancelled) */
} history_entry;

struct la_history_list {
	history_entry *entries;
	size_t count, capacity;
};

/* LA_OK when the fields make an entry an event of this kind can make. */
static int check_entry(int64_t time, int event, int64_t qty, const char *batchref, int reason,
                       int64_t expires)
{
	if (event != LA_EVT_ALLOCATED && event != LA_EVT_DEALLOCATED && event != LA_EVT_CONFIRMED &&
	    event != LA_EVT_BACKORDERED)
		return la_error_set(LA_EINVAL,
		                    "history event must be Allocated, Deallocated, Confirmed or "
		                    "Backordered, got kind %d",
		                    event);
	if (time < 0 || qty <= 0)
		return la_error_set(LA_EINVAL, "history time must be >= 0 and qty > 0");
	if ((event == LA_EVT_ALLOCATED || event == LA_EVT_CONFIRMED) && !batchref)
		return la_error_set(LA_EINVAL, "a %s history entry needs a batchref",
		                    la__message_kind_name(event));
	if (event == LA_EVT_BACKORDERED && batchref)
		return la_error_set(LA_EINVAL, "a Backordered history entry has no batchref");
	if ((event == LA_EVT_DEALLOCATED) != (la__reason_name(reason) != NULL))
		return la_error_set(LA_EINVAL,
		                    "reason must be a la_dealloc_reason exactly for Deallocated");
	if (expires < 0 || (expires && event != LA_EVT_ALLOCATED))
		return la_error_set(LA_EINVAL, "expires must be 0 except for a held Allocated");
	return batchref ? la_check_string(batchref, "batchref") : LA_OK;
}

int la_history_list_append(la_history_list *list, int64_t time, int event, const char *sku,
                           int64_t qty, const char *batchref, int reason, int64_t expires)
{
	int rc;
	if (!list)
		return la_error_set(LA_EINVAL, "list is NULL");
	if ((rc = la_check_string(sku, "sku")) != LA_OK ||
	    (rc = check_entry(time, event, qty, batchref, reason, expires)) != LA_OK)
		return rc;
	if (la__grow((void **)&list->entries, &list->capacity, list->count + 1,
	             sizeof *list->entries))
		return la__error_nomem();
	history_entry e = {time,
	                   qty,
	                   expires,
	                   event,
	                   reason,
	                   la__strdup(sku),
	                   batchref ? la__strdup(batchref) : NULL};
	if (!e.sku || (batchref && !e.batchref)) {
		la_free(e.sku);
		la_free(e.batchref);
		return la__error_nomem();
	}
	list->entries[list->count++] = e;
	return LA_OK;
}

void la_history_list_free(la_history_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		la_free(list->entries[i].sku);
		la_free(list->entries[i].batchref);
	}
	la_free(list->entries);
	la_free(list);
}

static const history_entry *entry_at(const la_history_list *list, size_t index)
{
	return list && index < list->count ? &list->entries[index] : NULL;
}

size_t la_history_list_count(const la_history_list *list)
{
	return list ? list->count : 0;
}

int64_t la_history_list_time(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->time : 0;
}

int la_history_list_event(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->event : 0;
}

const char *la_history_list_event_name(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? la__message_kind_name(e->event) : NULL;
}

const char *la_history_list_sku(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->sku : NULL;
}

int64_t la_history_list_qty(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->qty : 0;
}

const char *la_history_list_batchref(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->batchref : NULL;
}

int la_history_list_reason(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->reason : 0;
}

const char *la_history_list_reason_name(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? la__reason_name(e->reason) : NULL;
}

int64_t la_history_list_expires(const la_history_list *list, size_t index)
{
	const history_entry *e = entry_at(list, index);
	return e ? e->expires : 0;
}

int la_view_history(la_history_list **out, la_store *store, const char *orderid)
{
	int rc;
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	if (!store->port->history)
		return la_error_set(LA_EUNSUPPORTED, "the %s store keeps no order history",
		                    la_store_adapter(store));
	la_history_list *list = la__calloc(1, sizeof *list);
	if (!list)
		return la__error_nomem();
	rc = store->port->history(list, orderid, store->state);
	if (rc != LA_OK) {
		la_history_list_free(list);
		return rc;
	}
	*out = list;
	return LA_OK;
}
