/*
 * The order history (docs/history.md): a row per change that makes an
 * entry (la_product_change_event), queued with the commit's other writes,
 * so it travels in the same transaction and round trip.
 */
#include "pg_store.h"

int pg_history_queue(struct pg_store *store, const la_product *product, size_t index,
                     const la_change *change)
{
	int event = la_product_change_event(product, index);
	if (!event)
		return LA_OK;
	char at[24], kind[24], qty[24], reason[24], expires[24];
	int why = event == LA_EVT_DEALLOCATED ? la_product_change_reason(product, index) : 0;
	int64_t until = la_product_change_expires(product, index);
	const char *p[8] = {change->orderid,
	                    pg_fmt_int(at, la_product_change_time(product, index)),
	                    pg_fmt_int(kind, event),
	                    la_product_sku(product),
	                    pg_fmt_int(qty, change->qty),
	                    change->batchref,
	                    why ? pg_fmt_int(reason, why) : NULL,
	                    until ? pg_fmt_int(expires, until) : NULL};
	return pg_queue(store, PG_HISTORY_INSERT, 8, p);
}
