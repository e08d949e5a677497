/* Backorders: lines waiting for stock, first come first served. A waiting
 * line is an la__line without a batch, kept in a queue by arrival
 * (sequence) and in a map by orderid. la_product_fill_waiting places those
 * that now fit, in arrival order, each with its own Allocated event. */
#include "message_internal.h"
#include "product_internal.h"

#include "../util/alloc.h"

void la__waiting_link(la_product *p, la__line *line)
{
	/* arrivals are the latest, so the walk from the tail is short */
	la__line *after = p->waiting_last;
	while (after && after->sequence > line->sequence)
		after = after->prev;
	line->batch = NULL;
	line->prev = after;
	line->next = after ? after->next : p->waiting_first;
	if (line->next)
		line->next->prev = line;
	else
		p->waiting_last = line;
	if (after)
		after->next = line;
	else
		p->waiting_first = line;
	la__strmap_put(&p->waiting_by_order, line->orderid, line); /* room reserved */
	p->waiting_count++;
	p->waiting_qty += line->qty;
}

void la__waiting_unlink(la_product *p, la__line *line)
{
	if (line->prev)
		line->prev->next = line->next;
	else
		p->waiting_first = line->next;
	if (line->next)
		line->next->prev = line->prev;
	else
		p->waiting_last = line->prev;
	line->prev = line->next = NULL;
	la__strmap_remove(&p->waiting_by_order, line->orderid);
	p->waiting_count--;
	p->waiting_qty -= line->qty;
}

int la_product_load_waiting_line(la_product *p, const char *orderid, int64_t qty, int64_t sequence)
{
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(orderid, "orderid")) != LA_OK)
		return rc;
	if (qty <= 0)
		return la_error_set(LA_EINVAL, "stored qty of waiting line %s is not positive",
		                    orderid);
	if (la__strmap_get(&p->waiting_by_order, orderid))
		return LA_OK;
	if (la__strmap_reserve(&p->waiting_by_order, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, sequence);
	if (!line)
		return la__error_nomem();
	la__waiting_link(p, line);
	return LA_OK;
}

/* Move a waiting line onto batch b: it leaves the queue (LINE_UNWAITED,
 * the old line kept for undo) and a new line is allocated. Room reserved. */
static void place(la_product *p, la__line *waiting, la_batch *b, la__line *line, la_message *event)
{
	la__waiting_unlink(p, waiting);
	la__product_record(p, LA_CHANGE_LINE_UNWAITED, NULL, waiting, 0, 0, 0);
	la__allocate_line(p, b, line, event);
}

/* Try the waiting line: LA_OK with *placed set when it went to a batch. */
static int try_one(int *placed, la_product *p, la__line *waiting, const la_allocation_options *opts)
{
	la__policy_line asked = {waiting->orderid, waiting->qty, NULL};
	la_batch *b;
	*placed = 0;
	int rc = la__policy_choose(&b, p, &asked, opts ? opts->policy : NULL);
	if (rc != LA_OK || !b)
		return rc;
	if (la__product_reserve(p, 1, 2) != LA_OK ||
	    la__strmap_reserve(&p->line_by_order, 1) != LA_OK)
		return la__error_nomem();
	int64_t sequence = p->version == p->mark_version ? p->version + 1 : p->version;
	la__line *line = la__line_create(waiting->orderid, waiting->qty, sequence);
	if (!line)
		return la__error_nomem();
	la_message *event;
	rc = la__message_build(&event, LA_EVT_ALLOCATED, waiting->orderid, p->sku, b->ref, NULL,
	                       waiting->qty, 0);
	if (rc != LA_OK) {
		la__free(line);
		return rc;
	}
	place(p, waiting, b, line, event);
	if (p->version == p->mark_version)
		p->version++; /* once per command, like every change */
	*placed = 1;
	return LA_OK;
}

int la_product_fill_waiting(size_t *out_placed, la_product *p, const la_allocation_options *opts)
{
	if (out_placed)
		*out_placed = 0;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	size_t placed = 0;
	la__line *next;
	for (la__line *w = p->waiting_first; w; w = next) {
		next = w->next; /* w leaves the queue when placed */
		int done;
		int rc = try_one(&done, p, w, opts);
		if (rc != LA_OK)
			return rc;
		placed += (size_t)done;
	}
	if (out_placed)
		*out_placed = placed;
	return LA_OK;
}

size_t la_product_waiting_count(const la_product *p)
{
	return p ? p->waiting_count : 0;
}

int64_t la_product_waiting_quantity(const la_product *p)
{
	return p ? p->waiting_qty : 0;
}

int64_t la_product_find_waiting(const la_product *p, const char *orderid)
{
	const la__line *line = p && orderid ? la__strmap_get(&p->waiting_by_order, orderid) : NULL;
	return line ? line->qty : 0;
}
