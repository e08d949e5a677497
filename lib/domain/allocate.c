/* The allocation rules of spec §1.1: every change a command makes to a
 * product. Each function first reserves every byte it will need, then
 * changes state, so a failure (out of memory included) changes nothing. */
#include "message_internal.h"
#include "product_internal.h"

#include "../util/alloc.h"
#include "../common/common_internal.h"
#include "../util/text.h"

static void record(la_product *p, int kind, la_batch *b, la__line *line, int64_t old_qty,
                   int64_t new_qty)
{
	p->changes[p->change_count++] = (la__change_entry){kind, b, line, old_qty, new_qty, 0};
}

static int check_product(const la_product *p)
{
	return p ? LA_OK : la_error_set(LA_EINVAL, "product is NULL");
}

int la_product_add_batch(la_product *p, const char *ref, int64_t qty, const char *eta)
{
	int32_t eta_key;
	int rc;
	if ((rc = check_product(p)) || (rc = la_check_string(ref, "ref")) ||
	    (rc = la__check_date(&eta_key, eta, "eta")))
		return rc;
	if (qty < 0)
		return la_error_set(LA_EINVAL, "qty must be zero or more, got %lld",
		                    (long long)qty);
	if (la__strmap_get(&p->batch_by_ref, ref))
		return la_error_set(LA_ECONFLICT, "Batch %s already exists", ref);
	if (la__product_reserve(p, 0, 1) != LA_OK ||
	    la__grow((void **)&p->batches, &p->batch_capacity, p->batch_count + 1,
	             sizeof *p->batches) != LA_OK ||
	    la__strmap_reserve(&p->batch_by_ref, 1) != LA_OK)
		return la__error_nomem();
	la_batch *b = la__batch_create(p, ref, qty, eta, eta_key, p->version + 1);
	if (!b)
		return la__error_nomem();
	la__product_insert_batch(p, b);
	record(p, LA_CHANGE_BATCH_ADDED, b, NULL, 0, qty);
	p->version++;
	return LA_OK;
}

static int record_out_of_stock(la_product *p)
{
	la_message *event;
	if (la__product_reserve(p, 1, 0) != LA_OK)
		return la__error_nomem();
	int rc = la__message_build(&event, LA_EVT_OUT_OF_STOCK, NULL, p->sku, NULL, NULL, 0, 0);
	if (rc != LA_OK)
		return rc;
	p->events[p->event_count++] = event;
	return LA_OK;
}

int la_product_allocate(const char **out_batchref, la_product *p, const char *orderid, int64_t qty)
{
	int rc;
	if (!out_batchref)
		return la_error_set(LA_EINVAL, "out_batchref is NULL");
	if ((rc = check_product(p)) || (rc = la_check_string(orderid, "orderid")))
		return rc;
	if (qty <= 0)
		return la_error_set(LA_EINVAL, "qty must be greater than zero, got %lld",
		                    (long long)qty);
	if (la__strmap_reserve(&p->line_by_order, 1) != LA_OK)
		return la__error_nomem();
	la__strmap_slot *slot = la__strmap_slot_of(&p->line_by_order, orderid);
	if (slot->key) {
		la__line *existing = slot->value;
		if (existing->qty != qty)
			return la_error_set(
			    LA_ECONFLICT, "Order line %s for %s is already allocated with qty %lld",
			    orderid, p->sku, (long long)existing->qty);
		*out_batchref = existing->batch->ref; /* a retried command: nothing changes */
		return LA_OK;
	}
	la_batch *chosen = NULL;
	for (size_t i = 0; i < p->batch_count && !chosen; i++) {
		if (p->batches[i]->purchased - p->batches[i]->allocated >= qty)
			chosen = p->batches[i];
	}
	if (!chosen) {
		*out_batchref = NULL;
		return record_out_of_stock(p);
	}
	la_message *event;
	if (la__product_reserve(p, 1, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, p->version + 1);
	if (!line)
		return la__error_nomem();
	rc =
	    la__message_build(&event, LA_EVT_ALLOCATED, orderid, p->sku, chosen->ref, NULL, qty, 0);
	if (rc != LA_OK) {
		la_free(line);
		return rc;
	}
	la__batch_link_line(chosen, line);
	la__strmap_fill(&p->line_by_order, slot, line->orderid, line);
	chosen->allocated += qty;
	chosen->line_count++;
	record(p, LA_CHANGE_LINE_ALLOCATED, chosen, line, 0, 0);
	p->events[p->event_count++] = event;
	p->version++;
	*out_batchref = chosen->ref;
	return LA_OK;
}

/* Deallocate `count` lines given by next_line, with reason; room reserved. */
static void deallocate_line(la_product *p, la__line *line, la_message *event)
{
	la_batch *b = line->batch;
	la__batch_unlink_line(b, line);
	la__strmap_remove(&p->line_by_order, line->orderid);
	la__strmap_put(&p->deallocated, line->orderid, line); /* room reserved */
	b->allocated -= line->qty;
	b->line_count--;
	record(p, LA_CHANGE_LINE_DEALLOCATED, b, line, 0, 0);
	p->events[p->event_count++] = event;
}

/* Build one Deallocated event per line (lines[0..count)), all or none. */
static int build_deallocated(la_message **events, la_product *p, la__line **lines, size_t count,
                             int reason)
{
	for (size_t i = 0; i < count; i++) {
		int rc = la__message_build(&events[i], LA_EVT_DEALLOCATED, lines[i]->orderid,
		                           p->sku, NULL, NULL, lines[i]->qty, reason);
		if (rc != LA_OK) {
			while (i--)
				la_message_free(events[i]);
			return rc;
		}
	}
	return LA_OK;
}

int la_product_deallocate(la_product *p, const char *orderid)
{
	int rc;
	if ((rc = check_product(p)) || (rc = la_check_string(orderid, "orderid")))
		return rc;
	la__line *line = la__strmap_get(&p->line_by_order, orderid);
	if (!line)
		return la_error_set(LA_ENOTFOUND, "Order line %s for %s is not allocated", orderid,
		                    p->sku);
	la_message *event;
	if (la__product_reserve(p, 1, 1) != LA_OK ||
	    la__strmap_reserve(&p->deallocated, 1) != LA_OK)
		return la__error_nomem();
	if ((rc = build_deallocated(&event, p, &line, 1, LA_REASON_REQUESTED)) != LA_OK)
		return rc;
	deallocate_line(p, line, event);
	p->version++;
	return LA_OK;
}

static la_batch *find_batch(la_product *p, const char *ref)
{
	return la__strmap_get(&p->batch_by_ref, ref);
}

static int check_lines_loaded(const la_batch *b)
{
	if (!b->lines_complete)
		return la_error_set(LA_ESTATE, "the lines of batch %s are not loaded", b->ref);
	return LA_OK;
}

/* Collect into *out (la_free) the lines to deallocate from b, newest first
 * when newest_first, until purchased - allocated >= 0 (or all when all). */
static int pick_lines(la__line ***out, size_t *count, la_batch *b, int64_t purchased, int all)
{
	*out = NULL;
	*count = 0;
	size_t n = 0;
	int64_t allocated = b->allocated;
	for (la__line *l = b->last; l && (all || purchased - allocated < 0); l = l->prev) {
		allocated -= l->qty;
		n++;
	}
	if (!n)
		return LA_OK;
	la__line **lines = la__malloc(n * sizeof *lines);
	if (!lines)
		return la__error_nomem();
	size_t i = 0;
	if (all) {
		for (la__line *l = b->first; l; l = l->next)
			lines[i++] = l; /* oldest first: earlier orders are reallocated first */
	} else {
		for (la__line *l = b->last; i < n; l = l->prev)
			lines[i++] = l; /* most recently allocated first (rule 1.1.7) */
	}
	*out = lines;
	*count = n;
	return LA_OK;
}

static int deallocate_lines(la_product *p, la_batch *b, int64_t purchased, int all,
                            size_t extra_changes, la__line ***out_lines, size_t *out_count,
                            la_message ***out_events)
{
	la__line **lines;
	size_t n;
	int rc = pick_lines(&lines, &n, b, purchased, all);
	if (rc != LA_OK)
		return rc;
	la_message **events = NULL;
	if (n && !(events = la__malloc(n * sizeof *events))) {
		la_free(lines);
		return la__error_nomem();
	}
	if (la__product_reserve(p, n, n + extra_changes) != LA_OK ||
	    la__strmap_reserve(&p->deallocated, n) != LA_OK) {
		rc = la__error_nomem();
	} else {
		rc = build_deallocated(events, p, lines, n, LA_REASON_STOCK_REDUCED);
	}
	if (rc != LA_OK) {
		la_free(events);
		la_free(lines);
		return rc;
	}
	*out_lines = lines;
	*out_count = n;
	*out_events = events;
	return LA_OK;
}

int la_product_change_batch_quantity(la_product *p, const char *ref, int64_t qty)
{
	int rc;
	if ((rc = check_product(p)) || (rc = la_check_string(ref, "ref")))
		return rc;
	if (qty < 0)
		return la_error_set(LA_EINVAL, "qty must be zero or more, got %lld",
		                    (long long)qty);
	la_batch *b = find_batch(p, ref);
	if (!b)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", ref);
	if (qty < b->allocated && (rc = check_lines_loaded(b)) != LA_OK)
		return rc;
	la__line **lines = NULL;
	la_message **events = NULL;
	size_t n = 0;
	if ((rc = deallocate_lines(p, b, qty, 0, 1, &lines, &n, &events)) != LA_OK)
		return rc;
	record(p, LA_CHANGE_BATCH_QUANTITY, b, NULL, b->purchased, qty);
	b->purchased = qty;
	for (size_t i = 0; i < n; i++)
		deallocate_line(p, lines[i], events[i]);
	la_free(lines);
	la_free(events);
	p->version++;
	return LA_OK;
}

int la_product_cancel_batch(la_product *p, const char *ref)
{
	int rc;
	if ((rc = check_product(p)) || (rc = la_check_string(ref, "ref")))
		return rc;
	la_batch *b = find_batch(p, ref);
	if (!b)
		return la_error_set(LA_ENOTFOUND, "Invalid batch reference %s", ref);
	if ((rc = check_lines_loaded(b)) != LA_OK)
		return rc;
	la__line **lines = NULL;
	la_message **events = NULL;
	size_t n = 0;
	if ((rc = deallocate_lines(p, b, 0, 1, 1, &lines, &n, &events)) != LA_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		deallocate_line(p, lines[i], events[i]);
	la__product_detach_batch(p, b);
	record(p, LA_CHANGE_BATCH_REMOVED, b, NULL, b->purchased, 0);
	la_free(lines);
	la_free(events);
	p->version++;
	return LA_OK;
}
