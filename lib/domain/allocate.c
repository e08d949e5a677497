/* The allocation rules of spec §1.1 for one line: allocate (with a hold, a
 * backorder, a promise date, a policy) and deallocate. Each function first
 * reserves every byte it will need, then changes state, so a failure (out of
 * memory included) changes nothing. */
#include "message_internal.h"
#include "product_internal.h"

#include "../util/alloc.h"
#include "../util/text.h"

#include <string.h>

void la__product_record(la_product *p, int kind, la_batch *b, la__line *line, int64_t old_qty,
                        int64_t new_qty, int reason)
{
	p->changes[p->change_count++] =
	    (la__change_entry){kind, b, line, old_qty, new_qty, reason, 0, 0};
}

int la_allocation_options_init(la_allocation_options *opts, unsigned int version)
{
	if (!opts || version < 1 || version > LA_ALLOCATION_OPTIONS_VERSION)
		return la_error_set(LA_EUNSUPPORTED,
		                    "allocation options version %u is not supported", version);
	la_allocation_options defaults = LA_ALLOCATION_OPTIONS_INIT;
	*opts = defaults;
	opts->version = version;
	return LA_OK;
}

static int push_event(la_product *p, int kind, const char *orderid, const char *batchref,
                      int64_t qty, int reason, int64_t time)
{
	la__message_fields f = {.kind = kind,
	                        .reason = reason,
	                        .qty = qty,
	                        .time = time,
	                        .orderid = orderid,
	                        .sku = p->sku,
	                        .batchref = batchref};
	la_message *event;
	int rc = la__message_make(&event, &f); /* room in p->events reserved by the caller */
	if (rc == LA_OK)
		p->events[p->event_count++] = event;
	return rc;
}

int la__product_record_out_of_stock(la_product *p)
{
	if (la__product_reserve(p, 1, 0) != LA_OK)
		return la__error_nomem();
	return push_event(p, LA_EVT_OUT_OF_STOCK, NULL, NULL, 0, 0, 0);
}

/* Place line (new, unlinked) on batch b: every byte already reserved. */
void la__allocate_line(la_product *p, la_batch *b, la__line *line, la_message *event)
{
	la__batch_link_line(b, line);
	la__strmap_put(&p->line_by_order, line->orderid, line);
	b->allocated += line->qty;
	b->line_count++;
	if (line->expires)
		b->held += line->qty;
	la__product_record(p, LA_CHANGE_LINE_ALLOCATED, b, line, 0, 0, 0);
	p->events[p->event_count++] = event;
}

/* A line already allocated or waiting: the same qty is a retry (nothing
 * changes), another qty a conflict. *handled set when that was the case. */
static int known_line(const char **out_batchref, int *handled, la_product *p, const char *orderid,
                      int64_t qty)
{
	const la__line *line = la__strmap_get(&p->line_by_order, orderid);
	if (!line)
		line = la__strmap_get(&p->waiting_by_order, orderid);
	*handled = line != NULL;
	if (!line)
		return LA_OK;
	if (line->qty != qty)
		return la_error_set(LA_ECONFLICT,
		                    line->batch
		                        ? "Order line %s for %s is already allocated with qty %lld"
		                        : "Order line %s for %s is already waiting with qty %lld",
		                    orderid, p->sku, (long long)line->qty);
	*out_batchref = line->batch ? line->batch->ref : NULL; /* a retried command */
	return LA_OK;
}

/* No batch can take the line: OutOfStock, and with a backorder the line
 * joins the queue (Backordered). */
static int no_room(la_product *p, const char *orderid, int64_t qty, int backorder)
{
	if (!backorder)
		return la__product_record_out_of_stock(p);
	if (la__product_reserve(p, 2, 1) != LA_OK ||
	    la__strmap_reserve(&p->waiting_by_order, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, p->version + 1);
	if (!line)
		return la__error_nomem();
	int rc = push_event(p, LA_EVT_OUT_OF_STOCK, NULL, NULL, 0, 0, 0);
	if (rc == LA_OK &&
	    (rc = push_event(p, LA_EVT_BACKORDERED, orderid, NULL, qty, 0, 0)) != LA_OK)
		la_message_free(p->events[--p->event_count]);
	if (rc != LA_OK) {
		la__free(line);
		return rc;
	}
	la__waiting_link(p, line);
	la__product_record(p, LA_CHANGE_LINE_WAITING, NULL, line, 0, 0, 0);
	p->version++;
	return LA_OK;
}

int la_product_allocate_with(const char **out_batchref, la_product *p, const char *orderid,
                             int64_t qty, const la_allocation_options *opts)
{
	int rc;
	if (!out_batchref)
		return la_error_set(LA_EINVAL, "out_batchref is NULL");
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	if (qty <= 0)
		return la_error_set(LA_EINVAL, "qty must be greater than zero, got %lld",
		                    (long long)qty);
	if (opts && (opts->version < 1 || opts->version > LA_ALLOCATION_OPTIONS_VERSION))
		return la_error_set(LA_EUNSUPPORTED,
		                    "allocation options version %u is not supported",
		                    opts->version);
	if (opts && opts->expires < 0)
		return la_error_set(LA_EINVAL, "expires must not be negative");
	int handled;
	if ((rc = known_line(out_batchref, &handled, p, orderid, qty)) != LA_OK || handled)
		return rc;
	la_batch *chosen = NULL;
	la__policy_line asked = {orderid, qty, opts ? opts->promise : NULL};
	if ((rc = la__policy_choose(&chosen, p, &asked, opts ? opts->policy : NULL)) != LA_OK)
		return rc;
	if (!chosen) {
		*out_batchref = NULL;
		return no_room(p, orderid, qty, opts && opts->backorder);
	}
	int64_t expires = opts ? opts->expires : 0;
	la_message *event;
	if (la__product_reserve(p, 1, 1) != LA_OK ||
	    la__strmap_reserve(&p->line_by_order, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, p->version + 1);
	if (!line)
		return la__error_nomem();
	line->expires = expires;
	la__message_fields f = {.kind = LA_EVT_ALLOCATED,
	                        .qty = qty,
	                        .time = expires,
	                        .orderid = orderid,
	                        .sku = p->sku,
	                        .batchref = chosen->ref};
	if ((rc = la__message_make(&event, &f)) != LA_OK) {
		la__free(line);
		return rc;
	}
	la__allocate_line(p, chosen, line, event);
	p->version++;
	*out_batchref = chosen->ref;
	return LA_OK;
}

int la_product_allocate(const char **out_batchref, la_product *p, const char *orderid, int64_t qty)
{
	return la_product_allocate_with(out_batchref, p, orderid, qty, NULL);
}

/* Take line off its batch, recording why; room reserved by the caller. */
void la__deallocate_line(la_product *p, la__line *line, la_message *event, int reason)
{
	la_batch *b = line->batch;
	la__batch_unlink_line(b, line);
	la__strmap_remove(&p->line_by_order, line->orderid);
	la__strmap_put(&p->deallocated, line->orderid, line); /* room reserved */
	b->allocated -= line->qty;
	b->line_count--;
	if (line->expires)
		b->held -= line->qty;
	la__product_record(p, LA_CHANGE_LINE_DEALLOCATED, b, line, 0, 0, reason);
	p->events[p->event_count++] = event;
}

/* One Deallocated event per line (lines[0..count)), all or none. A held
 * line's event carries its expiry, so a reallocation keeps the hold. */
int la__build_deallocated(la_message **events, la_product *p, la__line **lines, size_t count,
                          int reason)
{
	for (size_t i = 0; i < count; i++) {
		la__message_fields f = {.kind = LA_EVT_DEALLOCATED,
		                        .reason = reason,
		                        .qty = lines[i]->qty,
		                        .time = lines[i]->expires,
		                        .orderid = lines[i]->orderid,
		                        .sku = p->sku};
		int rc = la__message_make(&events[i], &f);
		if (rc != LA_OK) {
			while (i--)
				la_message_free(events[i]);
			return rc;
		}
	}
	return LA_OK;
}

/* Deallocate orderid's allocated line with reason (room reserved here). */
int la__deallocate_one(la_product *p, la__line *line, int reason)
{
	la_message *event;
	int rc;
	if (la__product_reserve(p, 1, 1) != LA_OK ||
	    la__strmap_reserve(&p->deallocated, 1) != LA_OK)
		return la__error_nomem();
	if ((rc = la__build_deallocated(&event, p, &line, 1, reason)) != LA_OK)
		return rc;
	la__deallocate_line(p, line, event, reason);
	p->version++;
	return LA_OK;
}

/* A waiting line the customer cancelled: it leaves the queue. */
static int cancel_waiting(la_product *p, la__line *line)
{
	if (la__product_reserve(p, 1, 1) != LA_OK)
		return la__error_nomem();
	int rc = push_event(p, LA_EVT_DEALLOCATED, line->orderid, NULL, line->qty,
	                    LA_REASON_REQUESTED, 0);
	if (rc != LA_OK)
		return rc;
	la__waiting_unlink(p, line);
	la__product_record(p, LA_CHANGE_LINE_UNWAITED, NULL, line, 0, 0, LA_REASON_REQUESTED);
	p->version++;
	return LA_OK;
}

int la_product_deallocate(la_product *p, const char *orderid)
{
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	la__line *line = la__strmap_get(&p->line_by_order, orderid);
	if (line)
		return la__deallocate_one(p, line, LA_REASON_REQUESTED);
	if ((line = la__strmap_get(&p->waiting_by_order, orderid)) != NULL)
		return cancel_waiting(p, line);
	return la_error_set(LA_ENOTFOUND, "Order line %s for %s is not allocated", orderid, p->sku);
}
