/* What adapters see of a product: loading it from storage, reading its
 * change log at commit, and undoing the log on rollback. */
#include "product_internal.h"

#include "../util/alloc.h"
#include "../common/common_internal.h"
#include "../util/text.h"

#include <inttypes.h>
#include <string.h>

int la_product_load_batch(la_product *p, const char *ref, int64_t purchased, const char *eta,
                          int64_t allocated, int64_t line_count, int64_t sequence)
{
	int32_t eta_key;
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la__check_stored_string(ref, "ref")) ||
	    (rc = la__check_date(&eta_key, eta, "eta")))
		return rc;
	if (purchased < 0 || allocated < 0 || line_count < 0)
		return la_error_set(LA_EINVAL, "stored figures of batch %s are negative", ref);
	if (la__strmap_get(&p->batch_by_ref, ref))
		return la_error_set(LA_ECONFLICT, "Batch %s is loaded twice", ref);
	if (la__grow((void **)&p->batches, &p->batch_capacity, p->batch_count + 1,
	             sizeof *p->batches) != LA_OK ||
	    la__strmap_reserve(&p->batch_by_ref, 1) != LA_OK)
		return la__error_nomem();
	la_batch *b = la__batch_create(p, ref, purchased, eta, eta_key, sequence);
	if (!b)
		return la__error_nomem();
	const la_batch *twin = la__product_batch_in_place_of(p, b);
	if (twin) {
		rc = la_error_set(LA_ECONFLICT,
		                  "Batches %s and %s of %s have the same eta and sequence (%" PRId64
		                  ")",
		                  twin->ref, ref, p->sku, sequence);
		la__batch_destroy(b);
		return rc;
	}
	b->allocated = allocated;
	b->line_count = line_count;
	b->lines_complete = line_count == 0;
	la__product_insert_batch(p, b);
	return LA_OK;
}

int la_product_load_line(la_product *p, const char *ref, const char *orderid, int64_t qty,
                         int64_t sequence)
{
	return la_product_load_held_line(p, ref, orderid, qty, sequence, 0);
}

int la_product_load_held_line(la_product *p, const char *ref, const char *orderid, int64_t qty,
                              int64_t sequence, int64_t expires)
{
	int rc;
	if (expires < 0)
		return la_error_set(LA_EINVAL, "stored expiry of line %s is negative",
		                    orderid ? orderid : "(null)");
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la__check_stored_string(ref, "ref")) ||
	    (rc = la__check_stored_string(orderid, "orderid")))
		return rc;
	if (la__strmap_get(&p->line_by_order, orderid) || la__strmap_get(&p->deallocated, orderid))
		return LA_OK; /* known, or deallocated in this unit of work */
	la_batch *b = la__strmap_get(&p->batch_by_ref, ref);
	if (!b)
		return la_error_set(LA_ENOTFOUND, "line %s names batch %s, which is not loaded",
		                    orderid, ref);
	if (qty <= 0)
		return la_error_set(LA_EINVAL, "stored qty of line %s is not positive", orderid);
	if (la__strmap_reserve(&p->line_by_order, 1) != LA_OK)
		return la__error_nomem();
	la__line *line = la__line_create(orderid, qty, sequence);
	if (!line)
		return la__error_nomem();
	line->expires = expires;
	la__batch_link_line(b, line);
	la__strmap_put(&p->line_by_order, line->orderid, line);
	return LA_OK;
}

int la_product_load_batch_held(la_product *p, const char *ref, int64_t held)
{
	la_batch *b = p && ref ? la__strmap_get(&p->batch_by_ref, ref) : NULL;
	if (!b)
		return la_error_set(LA_ENOTFOUND, "batch %s is not loaded", ref ? ref : "(null)");
	if (held < 0 || held > b->allocated)
		return la_error_set(LA_EINVAL,
		                    "stored held quantity %lld of batch %s is not within "
		                    "its allocated %lld",
		                    (long long)held, ref, (long long)b->allocated);
	b->held = held;
	return LA_OK;
}

int la_product_batch_lines_loaded(la_product *p, const char *ref)
{
	la_batch *b = p && ref ? la__strmap_get(&p->batch_by_ref, ref) : NULL;
	if (!b)
		return la_error_set(LA_ENOTFOUND, "batch %s is not loaded", ref ? ref : "(null)");
	b->lines_complete = 1;
	return LA_OK;
}

size_t la_product_change_count(const la_product *p)
{
	return p ? p->change_count : 0;
}

int la_product_change_at(la_change *out, const la_product *p, size_t index)
{
	if (!out || !p || index >= p->change_count)
		return la_error_set(LA_EINVAL, "no change %zu", index);
	const la__change_entry *c = &p->changes[index];
	memset(out, 0, sizeof *out);
	out->kind = c->kind;
	out->batchref = c->batch ? c->batch->ref : NULL; /* none for waiting lines */
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED:
		out->qty = c->new_qty;
		if (c->batch) { /* always set for this kind; said for the analyzer */
			out->eta = c->batch->eta;
			out->sequence = c->batch->sequence;
		}
		break;
	case LA_CHANGE_BATCH_QUANTITY:
		out->qty = c->new_qty;
		break;
	case LA_CHANGE_LINE_ALLOCATED:
	case LA_CHANGE_LINE_DEALLOCATED:
	case LA_CHANGE_LINE_CONFIRMED:
	case LA_CHANGE_LINE_WAITING:
	case LA_CHANGE_LINE_UNWAITED:
	case LA_CHANGE_REALLOCATION_PENDING:
	case LA_CHANGE_REALLOCATION_DONE:
		out->orderid = c->line->orderid;
		out->qty = c->line->qty;
		out->sequence = c->line->sequence;
		break;
	}
	return LA_OK;
}

static const la__change_entry *entry(const la_product *p, size_t index)
{
	return p && index < p->change_count ? &p->changes[index] : NULL;
}

int64_t la_product_change_expires(const la_product *p, size_t index)
{
	const la__change_entry *c = entry(p, index);
	return c && c->kind == LA_CHANGE_LINE_ALLOCATED ? c->line->expires : 0;
}

int la_product_change_reason(const la_product *p, size_t index)
{
	const la__change_entry *c = entry(p, index);
	return c ? c->reason : 0;
}

int64_t la_product_change_time(const la_product *p, size_t index)
{
	const la__change_entry *c = entry(p, index);
	return c ? c->time : 0;
}

/* Undo one change. Never allocates: maps and arrays never shrink, so putting
 * back what was taken out always fits. */
static void undo(la_product *p, la__change_entry *c)
{
	la_batch *b = c->batch;
	switch (c->kind) {
	case LA_CHANGE_BATCH_ADDED:
		la__product_detach_batch(p, b);
		la__batch_destroy(b);
		break;
	case LA_CHANGE_BATCH_QUANTITY:
		b->purchased = c->old_qty;
		break;
	case LA_CHANGE_BATCH_REMOVED:
		la__product_insert_batch(p, b);
		break;
	case LA_CHANGE_LINE_ALLOCATED:
		la__batch_unlink_line(b, c->line);
		la__strmap_remove(&p->line_by_order, c->line->orderid);
		b->allocated -= c->line->qty;
		b->line_count--;
		if (c->line->expires)
			b->held -= c->line->qty;
		la_free(c->line);
		break;
	case LA_CHANGE_LINE_DEALLOCATED:
		la__batch_link_line(b, c->line);
		la__strmap_put(&p->line_by_order, c->line->orderid, c->line);
		la__strmap_remove(&p->deallocated, c->line->orderid);
		b->allocated += c->line->qty;
		b->line_count++;
		if (c->line->expires)
			b->held += c->line->qty;
		break;
	case LA_CHANGE_LINE_CONFIRMED:
		c->line->expires = c->old_qty;
		b->held += c->line->qty;
		break;
	case LA_CHANGE_LINE_WAITING:
		la__waiting_unlink(p, c->line);
		la_free(c->line);
		break;
	case LA_CHANGE_LINE_UNWAITED:
		la__waiting_link(p, c->line);
		break;
	case LA_CHANGE_REALLOCATION_PENDING:
	case LA_CHANGE_REALLOCATION_DONE:
		la_free(c->line); /* a record only: nothing else to put back */
		break;
	}
}

void la_product_revert_changes(la_product *p)
{
	if (!p)
		return;
	while (p->change_count)
		undo(p, &p->changes[--p->change_count]);
	p->changes_ordered = 0;
	p->version = p->saved_version;
	la_product_clear_events(p);
	la__product_mark(p);
}

void la__product_order_changes(la_product *p, uint64_t order, int64_t time)
{
	for (size_t i = p->changes_ordered; i < p->change_count; i++) {
		p->changes[i].order = order;
		p->changes[i].time = time;
	}
	p->changes_ordered = p->change_count;
}

uint64_t la_product_change_order(const la_product *p, size_t index)
{
	return p && index < p->change_count ? p->changes[index].order : 0;
}

size_t la_products_next_change(la_product *const *products, size_t count, size_t *positions)
{
	size_t next = count;
	uint64_t earliest = 0;
	for (size_t k = 0; products && positions && k < count; k++) {
		const la_product *p = products[k];
		if (!p || positions[k] >= p->change_count)
			continue;
		uint64_t order = p->changes[positions[k]].order;
		if (next == count || order < earliest) {
			next = k;
			earliest = order;
		}
	}
	if (next < count)
		positions[next]++;
	return next;
}

void la__product_mark(la_product *p)
{
	p->mark_changes = p->change_count;
	p->mark_events = p->event_count;
	p->mark_version = p->version;
}

void la__product_revert_to_mark(la_product *p)
{
	while (p->change_count > p->mark_changes)
		undo(p, &p->changes[--p->change_count]);
	if (p->changes_ordered > p->change_count)
		p->changes_ordered = p->change_count;
	p->version = p->mark_version;
	while (p->event_count > p->mark_events)
		la_message_free(p->events[--p->event_count]);
	if (p->events_collected > p->event_count)
		p->events_collected = p->event_count;
}
