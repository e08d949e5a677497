/* A product's own figures against its lines, for a store's check and
 * repair (sys/product.h): the lines walked, and the figures a batch keeps
 * (allocated, line count, held) and the product's waiting quantity
 * recomputed from them. */
#include "product_internal.h"

int la_product_walk_lines(const la_product *p, la_line_visit_fn visit, void *arg)
{
	if (!p || !visit)
		return la_error_set(LA_EINVAL, "product and visit are required");
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < p->batch_count; i++) {
		const la_batch *b = p->batches[i];
		for (const la__line *l = b->first; l && rc == LA_OK; l = l->next)
			rc = visit(l->orderid, b->ref, l->qty, l->expires, arg);
	}
	for (const la__line *l = p->waiting_first; l && rc == LA_OK; l = l->next)
		rc = visit(l->orderid, NULL, l->qty, 0, arg);
	return rc;
}

static int64_t set(int64_t *figure, int64_t value)
{
	int64_t changed = *figure != value;
	*figure = value;
	return changed;
}

int64_t la_product_recount(la_product *p)
{
	if (!p)
		return -1;
	int64_t changed = 0;
	for (size_t i = 0; i < p->batch_count; i++) {
		la_batch *b = p->batches[i];
		if (!b->lines_complete)
			continue;
		int64_t allocated = 0, lines = 0, held = 0;
		for (const la__line *l = b->first; l; l = l->next) {
			allocated += l->qty;
			lines++;
			held += l->expires ? l->qty : 0;
		}
		changed += set(&b->allocated, allocated) + set(&b->line_count, lines) +
		           set(&b->held, held);
	}
	int64_t waiting = 0;
	for (const la__line *l = p->waiting_first; l; l = l->next)
		waiting += l->qty;
	return changed + set(&p->waiting_qty, waiting);
}
