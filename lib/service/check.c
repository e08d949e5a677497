/* Check and repair (check.h): the report, and the calls that hand it to the
 * store's port. What each store verifies is its own (docs/check.md). */
#include "store_internal.h"

#include "../util/alloc.h"
#include "../common/common_internal.h"

#include <stdarg.h>
#include <stdio.h>

typedef struct finding {
	int kind;
	char *batchref, *orderid, *sku, *message;
} finding;

struct la_check_report {
	finding *items;
	size_t count, capacity;
};

static const char *const kind_names[] = {
    [LA_CHECK_OVER_ALLOCATED] = "over_allocated",
    [LA_CHECK_ALLOCATED_MISMATCH] = "allocated_mismatch",
    [LA_CHECK_LINE_COUNT_MISMATCH] = "line_count_mismatch",
    [LA_CHECK_READ_MODEL_MISMATCH] = "read_model_mismatch",
    [LA_CHECK_LINE_WITHOUT_BATCH] = "line_without_batch",
    [LA_CHECK_DUPLICATE_LINE] = "duplicate_line",
    [LA_CHECK_VERSION_NOT_POSITIVE] = "version_not_positive",
    [LA_CHECK_OUTBOX_MALFORMED] = "outbox_malformed",
    [LA_CHECK_LINE_SKU_MISMATCH] = "line_sku_mismatch",
    [LA_CHECK_BATCH_WITHOUT_PRODUCT] = "batch_without_product",
    [LA_CHECK_QUANTITY_NOT_POSITIVE] = "quantity_not_positive",
    [LA_CHECK_HELD_MISMATCH] = "held_mismatch",
    [LA_CHECK_WAITING_AND_ALLOCATED] = "waiting_and_allocated",
    [LA_CHECK_WAITING_WITHOUT_PRODUCT] = "waiting_without_product",
};
#define KIND_COUNT (sizeof kind_names / sizeof *kind_names)

const char *la_check_kind_name(int kind)
{
	if (kind <= 0 || (size_t)kind >= KIND_COUNT || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}

static char *copy_or_null(const char *text, int *failed)
{
	if (!text)
		return NULL;
	char *copy = la__strdup(text);
	if (!copy)
		*failed = 1;
	return copy;
}

static void finding_clear(finding *f)
{
	la_free(f->batchref);
	la_free(f->orderid);
	la_free(f->sku);
	la_free(f->message);
}

int la_check_report_append(la_check_report *report, int kind, const char *batchref,
                           const char *orderid, const char *sku, const char *fmt, ...)
{
	if (!report || !fmt)
		return la_error_set(LA_EINVAL, "report and fmt are required");
	if (kind <= 0 || (size_t)kind >= KIND_COUNT)
		return la_error_set(LA_EINVAL, "kind must be a la_check_kind, got %d", kind);
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof text, fmt, ap); /* a longer message is cut */
	va_end(ap);
	if (la__grow((void **)&report->items, &report->capacity, report->count + 1,
	             sizeof *report->items))
		return la__error_nomem();
	int failed = 0;
	finding f = {kind, copy_or_null(batchref, &failed), copy_or_null(orderid, &failed),
	             copy_or_null(sku, &failed), copy_or_null(text, &failed)};
	if (failed) {
		finding_clear(&f);
		return la__error_nomem();
	}
	report->items[report->count++] = f;
	return LA_OK;
}

void la_check_report_free(la_check_report *report)
{
	if (!report)
		return;
	for (size_t i = 0; i < report->count; i++)
		finding_clear(&report->items[i]);
	la_free(report->items);
	la_free(report);
}

size_t la_check_report_count(const la_check_report *report)
{
	return report ? report->count : 0;
}

static const finding *at(const la_check_report *report, size_t index)
{
	return report && index < report->count ? &report->items[index] : NULL;
}

int la_check_report_kind(const la_check_report *report, size_t index)
{
	const finding *f = at(report, index);
	return f ? f->kind : 0;
}

const char *la_check_report_batchref(const la_check_report *report, size_t index)
{
	const finding *f = at(report, index);
	return f ? f->batchref : NULL;
}

const char *la_check_report_orderid(const la_check_report *report, size_t index)
{
	const finding *f = at(report, index);
	return f ? f->orderid : NULL;
}

const char *la_check_report_sku(const la_check_report *report, size_t index)
{
	const finding *f = at(report, index);
	return f ? f->sku : NULL;
}

const char *la_check_report_message(const la_check_report *report, size_t index)
{
	const finding *f = at(report, index);
	return f ? f->message : NULL;
}

typedef int (*report_op)(la_check_report *into, void *state);

static int run(la_check_report **out, la_store *store, int repair)
{
	if (out)
		*out = NULL;
	if (!out || !store)
		return la_error_set(LA_EINVAL, "out and store are required");
	report_op op = repair ? store->port->repair : store->port->check;
	if (!op)
		return la_error_set(LA_EUNSUPPORTED, "the %s store cannot %s itself",
		                    la_store_adapter(store), repair ? "repair" : "check");
	la_check_report *report = la__calloc(1, sizeof *report);
	if (!report)
		return la__error_nomem();
	int rc = op(report, store->state);
	if (rc != LA_OK) {
		la_check_report_free(report);
		return rc;
	}
	*out = report;
	return LA_OK;
}

int la_store_check(la_check_report **out, la_store *store)
{
	return run(out, store, 0);
}

int la_store_repair(la_check_report **out, la_store *store)
{
	return run(out, store, 1);
}
