/*
 * The order history (docs/history.md): a row per change that makes an
 * entry (la_product_change_event), gathered over the commit's walk and
 * written by one statement with the commit's other writes, so it travels
 * in the same transaction and round trip; rows keep the walk's order.
 */
#include "pg_store.h"

void pg_history_add(struct pg_history_rows *rows, const la_product *product, size_t index,
                    const la_change *change)
{
	int event = la_product_change_event(product, index);
	if (!event)
		return;
	pg_array_text(&rows->orderid, change->orderid);
	pg_array_int(&rows->at, la_product_change_time(product, index));
	pg_array_int(&rows->event, event);
	pg_array_text(&rows->sku, la_product_sku(product));
	pg_array_int(&rows->qty, change->qty);
	pg_array_text(&rows->batchref, change->batchref);
	pg_array_int_or_null(&rows->reason, event == LA_EVT_DEALLOCATED
	                                        ? la_product_change_reason(product, index)
	                                        : 0);
	pg_array_int_or_null(&rows->expires, la_product_change_expires(product, index));
}

int pg_history_queue(struct pg_store *store, struct pg_history_rows *rows)
{
	struct pg_array *columns[8] = {&rows->orderid, &rows->at,     &rows->event,
	                               &rows->sku,     &rows->qty,    &rows->batchref,
	                               &rows->reason,  &rows->expires};
	return pg_queue_arrays(store, PG_HISTORY_INSERT, columns, 8);
}
