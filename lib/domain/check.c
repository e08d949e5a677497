/* The aggregate's own invariants, for the memory store's check and repair:
 * the figures a batch keeps (allocated, line count, held) are the sums of
 * its lines, and no batch holds more than it was bought with. */
#include "check_internal.h"
#include "product_internal.h"

#include <allocation/sys/store_port.h>

typedef struct figures {
	int64_t allocated, lines, held;
} figures;

static figures sum_lines(const la_batch *b)
{
	figures f = {0, 0, 0};
	for (const la__line *l = b->first; l; l = l->next) {
		f.allocated += l->qty;
		f.lines++;
		if (l->expires)
			f.held += l->qty;
	}
	return f;
}

static int check_lines(const la_product *p, const la_batch *b, la_check_report *into)
{
	int rc = LA_OK;
	for (const la__line *l = b->first; l && rc == LA_OK; l = l->next) {
		if (l->qty <= 0)
			rc = la_check_report_append(into, LA_CHECK_QUANTITY_NOT_POSITIVE, b->ref,
			                            l->orderid, p->sku,
			                            "line %s of %s on batch %s has quantity %lld",
			                            l->orderid, p->sku, b->ref, (long long)l->qty);
		const la__line *indexed = la__strmap_get(&p->line_by_order, l->orderid);
		if (rc == LA_OK && indexed != l)
			rc = la_check_report_append(into, LA_CHECK_DUPLICATE_LINE, b->ref,
			                            l->orderid, p->sku,
			                            "order %s has more than one line of %s (one on "
			                            "batch %s)",
			                            l->orderid, p->sku, b->ref);
	}
	return rc;
}

static int check_batch(const la_product *p, const la_batch *b, la_check_report *into)
{
	figures f = sum_lines(b);
	int rc = LA_OK;
	if (b->lines_complete && f.allocated != b->allocated)
		rc =
		    la_check_report_append(into, LA_CHECK_ALLOCATED_MISMATCH, b->ref, NULL, p->sku,
		                           "batch %s stores allocated %lld but its lines add up "
		                           "to %lld",
		                           b->ref, (long long)b->allocated, (long long)f.allocated);
	if (rc == LA_OK && b->lines_complete && f.lines != b->line_count)
		rc = la_check_report_append(into, LA_CHECK_LINE_COUNT_MISMATCH, b->ref, NULL,
		                            p->sku, "batch %s stores %lld lines but has %lld",
		                            b->ref, (long long)b->line_count, (long long)f.lines);
	if (rc == LA_OK && b->lines_complete && f.held != b->held)
		rc = la_check_report_append(into, LA_CHECK_HELD_MISMATCH, b->ref, NULL, p->sku,
		                            "batch %s stores held %lld but its held lines add up "
		                            "to %lld",
		                            b->ref, (long long)b->held, (long long)f.held);
	int64_t allocated = b->lines_complete ? f.allocated : b->allocated;
	if (rc == LA_OK && allocated > b->purchased)
		rc = la_check_report_append(into, LA_CHECK_OVER_ALLOCATED, b->ref, NULL, p->sku,
		                            "batch %s has %lld allocated of %lld purchased", b->ref,
		                            (long long)allocated, (long long)b->purchased);
	return rc == LA_OK ? check_lines(p, b, into) : rc;
}

/* A waiting line has a positive quantity and is not also allocated. */
static int check_waiting_line(const la_product *p, const la__line *l, la_check_report *into)
{
	int rc = LA_OK;
	if (l->qty <= 0)
		rc = la_check_report_append(into, LA_CHECK_QUANTITY_NOT_POSITIVE, NULL, l->orderid,
		                            p->sku,
		                            "order %s's waiting line of %s has quantity %lld",
		                            l->orderid, p->sku, (long long)l->qty);
	const la__line *allocated = la__strmap_get(&p->line_by_order, l->orderid);
	if (rc == LA_OK && allocated)
		rc = la_check_report_append(
		    into, LA_CHECK_WAITING_AND_ALLOCATED, la_batch_reference(allocated->batch),
		    l->orderid, p->sku,
		    "order %s's line of %s waits for stock and is allocated "
		    "on %s",
		    l->orderid, p->sku, la_batch_reference(allocated->batch));
	return rc;
}

int la__product_check(const la_product *p, la_check_report *into)
{
	int rc = LA_OK;
	if (p->version <= 0)
		rc = la_check_report_append(into, LA_CHECK_VERSION_NOT_POSITIVE, NULL, NULL, p->sku,
		                            "product %s has version %lld", p->sku,
		                            (long long)p->version);
	for (size_t i = 0; rc == LA_OK && i < p->batch_count; i++)
		rc = check_batch(p, p->batches[i], into);
	int64_t waiting = 0;
	for (const la__line *l = p->waiting_first; l && rc == LA_OK; l = l->next) {
		waiting += l->qty;
		rc = check_waiting_line(p, l, into);
	}
	if (rc == LA_OK && waiting != p->waiting_qty)
		rc = la_check_report_append(into, LA_CHECK_ALLOCATED_MISMATCH, NULL, NULL, p->sku,
		                            "product %s stores %lld units waiting but its waiting "
		                            "lines add up to %lld",
		                            p->sku, (long long)p->waiting_qty, (long long)waiting);
	return rc;
}

static int note_change(la_check_report *into, int kind, const la_product *p, const char *ref,
                       const char *what, int64_t old, int64_t now)
{
	return la_check_report_append(into, kind, ref, NULL, p->sku, "%s %s: %s %lld -> %lld",
	                              ref ? "batch" : "product", ref ? ref : p->sku, what,
	                              (long long)old, (long long)now);
}

int la__product_repair(la_product *p, la_check_report *into)
{
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < p->batch_count; i++) {
		la_batch *b = p->batches[i];
		if (!b->lines_complete)
			continue;
		figures f = sum_lines(b);
		if (f.allocated != b->allocated)
			rc = note_change(into, LA_CHECK_ALLOCATED_MISMATCH, p, b->ref, "allocated",
			                 b->allocated, f.allocated);
		if (rc == LA_OK && f.lines != b->line_count)
			rc = note_change(into, LA_CHECK_LINE_COUNT_MISMATCH, p, b->ref,
			                 "line count", b->line_count, f.lines);
		if (rc == LA_OK && f.held != b->held)
			rc = note_change(into, LA_CHECK_HELD_MISMATCH, p, b->ref, "held", b->held,
			                 f.held);
		if (rc == LA_OK) {
			b->allocated = f.allocated;
			b->line_count = f.lines;
			b->held = f.held;
		}
	}
	int64_t waiting = 0;
	for (const la__line *l = p->waiting_first; l; l = l->next)
		waiting += l->qty;
	if (rc == LA_OK && waiting != p->waiting_qty) {
		rc = note_change(into, LA_CHECK_ALLOCATED_MISMATCH, p, NULL, "waiting",
		                 p->waiting_qty, waiting);
		if (rc == LA_OK)
			p->waiting_qty = waiting;
	}
	return rc;
}

int la__product_each_line(const la_product *p, la__line_visit_fn fn, void *arg)
{
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < p->batch_count; i++) {
		const la_batch *b = p->batches[i];
		for (const la__line *l = b->first; l && rc == LA_OK; l = l->next)
			rc = fn(l->orderid, b->ref, arg);
	}
	for (const la__line *l = p->waiting_first; l && rc == LA_OK; l = l->next)
		rc = fn(l->orderid, NULL, arg);
	return rc;
}
