/* Holds: a line allocated until a time, confirmed (made permanent) or
 * expired (deallocated, reason "expired", not reallocated). The time is
 * always given: the domain never reads a clock. */
#include "message_internal.h"
#include "product_internal.h"

#include "../util/alloc.h"

int la_product_confirm(la_product *p, const char *orderid)
{
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	la__line *line = la__strmap_get(&p->line_by_order, orderid);
	if (!line)
		return la_error_set(LA_ENOTFOUND, "Order line %s for %s is not allocated", orderid,
		                    p->sku);
	if (!line->expires)
		return LA_OK; /* permanent already: a retried Confirm */
	if (la__product_reserve(p, 1, 1) != LA_OK)
		return la__error_nomem();
	la_message *event;
	rc = la__message_build(&event, LA_EVT_CONFIRMED, orderid, p->sku, line->batch->ref, NULL,
	                       line->qty, 0);
	if (rc != LA_OK)
		return rc;
	la__product_record(p, LA_CHANGE_LINE_CONFIRMED, line->batch, line, line->expires, 0, 0);
	line->batch->held -= line->qty;
	line->expires = 0;
	p->events[p->event_count++] = event;
	p->version++;
	return LA_OK;
}

int la_product_expire(la_product *p, const char *orderid, int64_t now)
{
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	la__line *line = la__strmap_get(&p->line_by_order, orderid);
	if (!line || !line->expires || line->expires > now)
		return LA_OK; /* confirmed, gone, or not due yet */
	return la__deallocate_one(p, line, LA_REASON_EXPIRED);
}

int64_t la_product_line_expires(const la_product *p, const char *orderid)
{
	const la__line *line = p && orderid ? la__strmap_get(&p->line_by_order, orderid) : NULL;
	return line ? line->expires : 0;
}

int64_t la_batch_held_quantity(const la_batch *b)
{
	return b ? b->held : 0;
}
