/* Batches of a product (spec §1.1.7–8, CreateBatch): add one, change its
 * purchased quantity (deallocating the most recent lines that no longer
 * fit), cancel it (deallocating every line). Each reserves first, then
 * changes: a failure changes nothing. */
#include "message_internal.h"
#include "product_internal.h"

#include "../util/alloc.h"

int la_product_add_batch(la_product *p, const char *ref, int64_t qty, const char *eta)
{
	int32_t eta_key;
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(ref, "ref")) || (rc = la__check_date(&eta_key, eta, "eta")))
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
	la__product_record(p, LA_CHANGE_BATCH_ADDED, b, NULL, 0, qty, 0);
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
	la__line **lines = NULL;
	size_t n = 0;
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
		rc = la__build_deallocated(events, p, lines, n, LA_REASON_STOCK_REDUCED);
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
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(ref, "ref")) != LA_OK)
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
	la__product_record(p, LA_CHANGE_BATCH_QUANTITY, b, NULL, b->purchased, qty, 0);
	b->purchased = qty;
	for (size_t i = 0; i < n; i++)
		la__deallocate_line(p, lines[i], events[i], LA_REASON_STOCK_REDUCED);
	la_free(lines);
	la_free(events);
	p->version++;
	return LA_OK;
}

int la_product_cancel_batch(la_product *p, const char *ref)
{
	int rc;
	if (!p)
		return la_error_set(LA_EINVAL, "product is NULL");
	if ((rc = la_check_string(ref, "ref")) != LA_OK)
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
		la__deallocate_line(p, lines[i], events[i], LA_REASON_STOCK_REDUCED);
	la__product_detach_batch(p, b);
	la__product_record(p, LA_CHANGE_BATCH_REMOVED, b, NULL, b->purchased, 0, 0);
	la_free(lines);
	la_free(events);
	p->version++;
	return LA_OK;
}
