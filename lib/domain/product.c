/* The product aggregate: lifetime, batches in preference order, accessors. */
#include "product_internal.h"

#include "../util/alloc.h"
#include "../common/common_internal.h"
#include "../util/text.h"

#include <string.h>

static la_product *product_create(const char *sku, int64_t version, int is_new)
{
	la_product *p = la__calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->sku = la__strdup(sku);
	if (!p->sku) {
		la_free(p);
		return NULL;
	}
	p->version = p->saved_version = version;
	p->is_new = is_new;
	return p;
}

int la_product_new(la_product **out, const char *sku)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	int rc = la_check_string(sku, "sku");
	if (rc != LA_OK)
		return rc;
	*out = product_create(sku, 0, 1);
	return *out ? LA_OK : la__error_nomem();
}

int la_product_load(la_product **out, const char *sku, int64_t version)
{
	if (!out)
		return la_error_set(LA_EINVAL, "out is NULL");
	int rc = la__check_stored_string(sku, "sku");
	if (rc != LA_OK)
		return rc;
	if (version < 0)
		return la_error_set(LA_EINVAL, "version_number must not be negative");
	*out = product_create(sku, version, 0);
	return *out ? LA_OK : la__error_nomem();
}

static void free_detached(la_product *p)
{
	/* objects the change log keeps alive for undo: removed batches, deallocated lines
	 * (and the lines of pending-reallocation records, which only it holds) */
	for (size_t i = 0; i < p->change_count; i++) {
		la__change_entry *c = &p->changes[i];
		if (c->kind == LA_CHANGE_LINE_DEALLOCATED || c->kind == LA_CHANGE_LINE_UNWAITED ||
		    c->kind == LA_CHANGE_REALLOCATION_PENDING ||
		    c->kind == LA_CHANGE_REALLOCATION_DONE)
			la_free(c->line);
	}
	for (size_t i = 0; i < p->change_count; i++) {
		la__change_entry *c = &p->changes[i];
		if (c->kind == LA_CHANGE_BATCH_REMOVED)
			la__batch_destroy(c->batch);
	}
}

void la_product_free(la_product *p)
{
	if (!p)
		return;
	free_detached(p);
	for (size_t i = 0; i < p->batch_count; i++)
		la__batch_destroy(p->batches[i]);
	for (la__line *w = p->waiting_first, *next; w; w = next) {
		next = w->next;
		la_free(w);
	}
	la__strmap_dispose(&p->waiting_by_order);
	la_product_clear_events(p);
	la_free(p->events);
	la_free(p->changes);
	la_free(p->batches);
	la__strmap_dispose(&p->batch_by_ref);
	la__strmap_dispose(&p->line_by_order);
	la__strmap_dispose(&p->deallocated);
	la_free(p->sku);
	la_free(p);
}

void la_product_changes_saved(la_product *p)
{
	if (!p)
		return;
	free_detached(p);
	p->change_count = p->changes_ordered = 0;
	p->saved_version = p->version;
	p->is_new = 0;
	la__strmap_clear(&p->deallocated);
	la__product_mark(p);
}

const char *la_product_sku(const la_product *p)
{
	return p ? p->sku : NULL;
}

int64_t la_product_version(const la_product *p)
{
	return p ? p->version : 0;
}

int64_t la_product_saved_version(const la_product *p)
{
	return p ? p->saved_version : 0;
}

int la_product_is_new(const la_product *p)
{
	return p && p->is_new;
}

int la__product_reserve(la_product *p, size_t events, size_t changes)
{
	if (la__grow((void **)&p->events, &p->event_capacity, p->event_count + events,
	             sizeof *p->events) != LA_OK ||
	    la__grow((void **)&p->changes, &p->change_capacity, p->change_count + changes,
	             sizeof *p->changes) != LA_OK)
		return la__error_nomem();
	return LA_OK;
}

/* ---- batches ---- */

la_batch *la__batch_create(la_product *p, const char *ref, int64_t purchased, const char *eta,
                           int32_t eta_key, int64_t sequence)
{
	size_t ref_size = strlen(ref) + 1, eta_size = eta ? 11 : 0;
	la_batch *b = la__calloc(1, sizeof *b + ref_size + eta_size);
	if (!b)
		return NULL;
	b->product = p;
	b->ref = b->storage;
	memcpy(b->ref, ref, ref_size);
	if (eta) {
		b->eta = b->storage + ref_size;
		la__date_format(b->eta, eta_key);
	}
	b->eta_key = eta_key;
	b->purchased = purchased;
	b->sequence = sequence;
	b->lines_complete = 1;
	return b;
}

void la__batch_destroy(la_batch *b)
{
	if (!b)
		return;
	la__line *line = b->first;
	while (line) {
		la__line *next = line->next;
		la_free(line);
		line = next;
	}
	la_free(b);
}

la__line *la__line_create(const char *orderid, int64_t qty, int64_t sequence)
{
	size_t size = strlen(orderid) + 1;
	la__line *line = la__malloc(sizeof *line + size);
	if (!line)
		return NULL;
	memcpy(line->orderid, orderid, size);
	line->batch = NULL;
	line->prev = line->next = NULL;
	line->qty = qty;
	line->sequence = sequence;
	line->expires = 0;
	return line;
}

void la__batch_link_line(la_batch *b, la__line *line)
{
	/* new allocations are the most recent, so the walk from the tail is short */
	la__line *after = b->last;
	while (after && after->sequence > line->sequence)
		after = after->prev;
	line->batch = b;
	line->prev = after;
	line->next = after ? after->next : b->first;
	if (line->next)
		line->next->prev = line;
	else
		b->last = line;
	if (after)
		after->next = line;
	else
		b->first = line;
}

void la__batch_unlink_line(la_batch *b, la__line *line)
{
	if (line->prev)
		line->prev->next = line->next;
	else
		b->first = line->next;
	if (line->next)
		line->next->prev = line->prev;
	else
		b->last = line->prev;
	line->prev = line->next = NULL;
}

static int batch_before(const la_batch *a, const la_batch *b)
{
	if (a->eta_key != b->eta_key)
		return a->eta_key < b->eta_key;
	return a->sequence < b->sequence;
}

static size_t batch_position(const la_product *p, const la_batch *b)
{
	size_t lo = 0, hi = p->batch_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (batch_before(p->batches[mid], b))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void la__product_insert_batch(la_product *p, la_batch *b)
{
	size_t at = batch_position(p, b);
	memmove(p->batches + at + 1, p->batches + at, (p->batch_count - at) * sizeof *p->batches);
	p->batches[at] = b;
	p->batch_count++;
	la__strmap_put(&p->batch_by_ref, b->ref, b); /* room reserved by the caller */
}

const la_batch *la__product_batch_in_place_of(const la_product *p, const la_batch *b)
{
	size_t at = batch_position(p, b);
	if (at < p->batch_count && !batch_before(b, p->batches[at]))
		return p->batches[at];
	return NULL;
}

void la__product_detach_batch(la_product *p, la_batch *b)
{
	size_t at = batch_position(p, b);
	memmove(p->batches + at, p->batches + at + 1,
	        (p->batch_count - at - 1) * sizeof *p->batches);
	p->batch_count--;
	la__strmap_remove(&p->batch_by_ref, b->ref);
}

size_t la_product_batch_count(const la_product *p)
{
	return p ? p->batch_count : 0;
}

const la_batch *la_product_batch_at(const la_product *p, size_t index)
{
	return p && index < p->batch_count ? p->batches[index] : NULL;
}

const la_batch *la_product_find_batch(const la_product *p, const char *ref)
{
	return p && ref ? la__strmap_get(&p->batch_by_ref, ref) : NULL;
}

const la_batch *la_product_find_line(const la_product *p, const char *orderid)
{
	if (!p || !orderid)
		return NULL;
	la__line *line = la__strmap_get(&p->line_by_order, orderid);
	return line ? line->batch : NULL;
}

const char *la_batch_reference(const la_batch *b)
{
	return b ? b->ref : NULL;
}

const char *la_batch_sku(const la_batch *b)
{
	return b ? b->product->sku : NULL;
}

const char *la_batch_eta(const la_batch *b)
{
	return b ? b->eta : NULL;
}

int64_t la_batch_purchased_quantity(const la_batch *b)
{
	return b ? b->purchased : 0;
}

int64_t la_batch_allocated_quantity(const la_batch *b)
{
	return b ? b->allocated : 0;
}

int64_t la_batch_available_quantity(const la_batch *b)
{
	return b ? b->purchased - b->allocated : 0;
}

int64_t la_batch_line_count(const la_batch *b)
{
	return b ? b->line_count : 0;
}

int64_t la_batch_sequence(const la_batch *b)
{
	return b ? b->sequence : 0;
}

/* ---- events ---- */

size_t la_product_event_count(const la_product *p)
{
	return p ? p->event_count : 0;
}

const la_message *la_product_event_at(const la_product *p, size_t index)
{
	return p && index < p->event_count ? p->events[index] : NULL;
}

void la_product_clear_events(la_product *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->event_count; i++)
		la_message_free(p->events[i]);
	p->event_count = p->events_collected = p->mark_events = 0;
}

size_t la__product_collect_events(la_product *p, la_message **into)
{
	size_t n = p->event_count - p->events_collected;
	if (n) /* memcpy from a NULL array is undefined even for 0 bytes */
		memcpy(into, p->events + p->events_collected, n * sizeof *into);
	p->events_collected = p->event_count;
	return n;
}

void la__product_release_events(la_product *p)
{
	p->event_count = p->events_collected = p->mark_events = 0;
}
