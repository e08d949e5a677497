/*
 * The service layer through the message bus (spec §1.2–1.4), on whatever
 * store tests/support/store_factory.h opens: this file is linked unchanged
 * with the memory, SQLite and PostgreSQL factories. It uses only the public
 * API and observes state through the views, so it depends on nothing else in
 * this directory. Each test opens its own store.
 */
#include "store_factory.h"
#include "../unit/flat_json.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording the ports' outputs ---- */

typedef struct record {
	char *a; /* destination / channel / log level */
	char *b; /* message / JSON / log line */
} record;

typedef struct records {
	record *items;
	size_t count, cap;
} records;

static void records_add(records *r, const char *a, const char *b)
{
	if (r->count == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->items = realloc(r->items, r->cap * sizeof *r->items);
		cr_assert_not_null(r->items);
	}
	r->items[r->count].a = strdup(a ? a : "(null)");
	r->items[r->count].b = strdup(b ? b : "(null)");
	r->count++;
}

static void records_free(records *r)
{
	for (size_t i = 0; i < r->count; i++) {
		free(r->items[i].a);
		free(r->items[i].b);
	}
	free(r->items);
	memset(r, 0, sizeof *r);
}

/* The test's world: Criterion runs each test in its own process. */
static struct {
	la_store *store;
	la_bus *bus;
	records notes;     /* notify(destination, message) */
	records published; /* publish(channel, json), from the bus or the outbox relay */
	records logs;      /* log callback */
	records trace;     /* order in which ports and user handlers ran */
	size_t published_by_bus;
	int notify_result, publish_result; /* what the ports answer */
} w;

static int on_notify(const char *destination, const char *message, void *payload)
{
	records_add(&w.notes, destination, message);
	records_add(&w.trace, "notify", message);
	return w.notify_result;
}

static int on_publish(const char *channel, const char *json, void *payload)
{
	if (payload == &w.published_by_bus)
		w.published_by_bus++;
	records_add(&w.published, channel, json);
	records_add(&w.trace, "publish", channel);
	return payload == &w.published_by_bus ? w.publish_result : LA_OK;
}

static void on_log(int level, const char *message, void *payload)
{
	char lvl[16];
	snprintf(lvl, sizeof lvl, "%d", level);
	records_add(&w.logs, lvl, message);
}

static void setup(void)
{
	memset(&w, 0, sizeof w);
	la_set_log_callback(on_log, NULL);
	int rc = test_store_open(&w.store);
	cr_assert_eq(rc, LA_OK, "test_store_open(%s): %s %s", test_store_name(), la_strerror(rc),
	             la_error_last());
	la_bus_options opts;
	cr_assert_eq(la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION), LA_OK);
	opts.notify = on_notify;
	opts.publish = on_publish;
	opts.publish_payload = &w.published_by_bus;
	rc = la_bus_new(&w.bus, w.store, &opts);
	cr_assert_eq(rc, LA_OK, "la_bus_new: %s", la_error_last());
}

static void teardown(void)
{
	la_bus_free(w.bus);
	la_store_free(w.store);
	la_set_log_callback(NULL, NULL);
	records_free(&w.notes);
	records_free(&w.published);
	records_free(&w.logs);
	records_free(&w.trace);
}

TestSuite(service, .init = setup, .fini = teardown);

/* ---- commands ---- */

static int handle(la_message *m)
{
	int rc = la_bus_handle(w.bus, m);
	la_message_free(m);
	return rc;
}

static la_message *made(int rc, la_message **m)
{
	cr_assert_eq(rc, LA_OK, "constructor: %s", la_error_last());
	return *m;
}

static int create_batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	return handle(made(la_command_create_batch(&m, ref, sku, qty, eta), &m));
}

static int allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	return handle(made(la_command_allocate(&m, orderid, sku, qty), &m));
}

static int deallocate(const char *orderid, const char *sku)
{
	la_message *m = NULL;
	return handle(made(la_command_deallocate(&m, orderid, sku), &m));
}

static int change_quantity(const char *ref, int64_t qty)
{
	la_message *m = NULL;
	return handle(made(la_command_change_batch_quantity(&m, ref, qty), &m));
}

static int cancel_batch(const char *ref)
{
	la_message *m = NULL;
	return handle(made(la_command_cancel_batch(&m, ref), &m));
}

#define MUST(call)                                                                                 \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		cr_assert_eq(rc_, LA_OK, "%s: %s %s", #call, la_strerror(rc_), la_error_last());   \
	} while (0)

/* Allocate and return the batch it went to ("" when out of stock). */
static const char *allocate_to(const char *orderid, const char *sku, int64_t qty)
{
	MUST(allocate(orderid, sku, qty));
	const char *ref = la_bus_result_batchref(w.bus);
	return ref ? ref : "";
}

/* ---- reading the views ---- */

/* "sku:batchref sku:batchref" for orderid (caller frees). */
static char *allocations_of(const char *orderid)
{
	la_allocation_list *list = NULL;
	MUST(la_view_allocations(&list, w.store, orderid));
	size_t cap = 64, len = 0;
	char *out = calloc(1, cap);
	for (size_t i = 0; i < la_allocation_list_count(list); i++) {
		const char *sku = la_allocation_list_sku(list, i);
		const char *ref = la_allocation_list_batchref(list, i);
		size_t need = strlen(sku) + strlen(ref) + 3;
		while (len + need >= cap)
			out = realloc(out, cap *= 2);
		len += (size_t)sprintf(out + len, "%s%s:%s", len ? " " : "", sku, ref);
	}
	la_allocation_list_free(list);
	return out;
}

static void expect_allocations(const char *orderid, const char *expected)
{
	char *got = allocations_of(orderid);
	cr_assert_str_eq(got, expected, "allocations of %s", orderid);
	free(got);
}

typedef struct row {
	char ref[256], sku[256], eta[16];
	int64_t purchased, allocated, available, lines;
} row;

typedef struct rows {
	row *items;
	size_t count;
	size_t pages;
} rows;

/* Every dashboard row (of sku, or all), reading pages of `limit`. */
static rows dashboard(const char *sku, size_t limit)
{
	rows r = {0};
	char *after = NULL;
	for (;;) {
		la_batch_page *page = NULL;
		int rc = la_view_batches(&page, w.store, sku, limit, after);
		cr_assert_eq(rc, LA_OK, "la_view_batches: %s", la_error_last());
		size_t n = la_batch_page_count(page);
		cr_assert_leq(n, limit ? limit : (size_t)LA_BATCH_PAGE_DEFAULT);
		r.items = realloc(r.items, (r.count + n + 1) * sizeof *r.items);
		for (size_t i = 0; i < n; i++) {
			row *x = &r.items[r.count++];
			const char *eta = la_batch_page_eta(page, i);
			snprintf(x->ref, sizeof x->ref, "%s", la_batch_page_ref(page, i));
			snprintf(x->sku, sizeof x->sku, "%s", la_batch_page_sku(page, i));
			snprintf(x->eta, sizeof x->eta, "%s", eta ? eta : "");
			x->purchased = la_batch_page_purchased(page, i);
			x->allocated = la_batch_page_allocated(page, i);
			x->available = la_batch_page_available(page, i);
			x->lines = la_batch_page_lines(page, i);
		}
		r.pages++;
		free(after);
		const char *next = la_batch_page_next(page);
		after = next ? strdup(next) : NULL;
		la_batch_page_free(page);
		if (!after)
			break;
		cr_assert_gt(n, 0, "a page with a next cursor was empty");
		cr_assert_lt(r.pages, 10000, "pagination does not end");
	}
	return r;
}

/* Whole dashboard as text, for "state unchanged" comparisons (caller frees). */
static char *dashboard_text(void)
{
	rows r = dashboard(NULL, LA_BATCH_PAGE_MAX);
	size_t cap = 64 + r.count * 600;
	char *out = malloc(cap);
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < r.count; i++) {
		row *x = &r.items[i];
		len += (size_t)snprintf(out + len, cap - len, "%s %s %s %lld/%lld/%lld/%lld\n",
		                        x->ref, x->sku, x->eta[0] ? x->eta : "-",
		                        (long long)x->purchased, (long long)x->allocated,
		                        (long long)x->available, (long long)x->lines);
	}
	free(r.items);
	return out;
}

/* The figures of one batch: "purchased/allocated/available/lines". */
static void expect_batch(const char *ref, int64_t purchased, int64_t allocated, int64_t lines)
{
	rows r = dashboard(NULL, LA_BATCH_PAGE_MAX);
	for (size_t i = 0; i < r.count; i++) {
		row *x = &r.items[i];
		if (strcmp(x->ref, ref) != 0)
			continue;
		cr_assert_eq(x->purchased, purchased, "%s purchased", ref);
		cr_assert_eq(x->allocated, allocated, "%s allocated", ref);
		cr_assert_eq(x->available, purchased - allocated, "%s available", ref);
		cr_assert_eq(x->lines, lines, "%s lines", ref);
		free(r.items);
		return;
	}
	cr_assert_fail("batch %s is not on the dashboard", ref);
}

static int on_dashboard(const char *ref)
{
	rows r = dashboard(NULL, LA_BATCH_PAGE_MAX);
	int found = 0;
	for (size_t i = 0; i < r.count; i++)
		found += strcmp(r.items[i].ref, ref) == 0;
	free(r.items);
	return found;
}

/* Allocated events published so far (relaying the outbox when the store has one). */
static const records *publications(void)
{
	if (la_store_has_outbox(w.store)) {
		cr_assert_eq(w.published_by_bus, 0,
		             "the bus published although the store has an outbox");
		size_t sent = 0;
		MUST(la_store_relay_outbox(&sent, w.store, 0, on_publish, NULL));
	}
	return &w.published;
}

/* Publication i is line_allocated {"orderid","sku","qty","batchref"} with these values. */
static void expect_publication(size_t i, const char *orderid, const char *sku, const char *qty,
                               const char *batchref)
{
	const records *p = publications();
	cr_assert_lt(i, p->count, "only %zu publications", p->count);
	cr_assert_str_eq(p->items[i].a, "line_allocated");
	fj_field f[8];
	int n = fj_parse(p->items[i].b, f, 8);
	cr_assert_geq(n, 4, "not a JSON object with 4 fields: %s", p->items[i].b);
	/* An outbox may add its message "id". */
	cr_assert(n == 4 || (n == 5 && fj_get(f, n, "id")), "unexpected fields: %s", p->items[i].b);
	const fj_field *x;
	cr_assert((x = fj_get(f, n, "orderid")) && strcmp(x->value, orderid) == 0, "%s",
	          p->items[i].b);
	cr_assert((x = fj_get(f, n, "sku")) && strcmp(x->value, sku) == 0, "%s", p->items[i].b);
	cr_assert((x = fj_get(f, n, "qty")) && x->type == FJ_NUMBER && strcmp(x->value, qty) == 0,
	          "%s", p->items[i].b);
	cr_assert((x = fj_get(f, n, "batchref")) && strcmp(x->value, batchref) == 0, "%s",
	          p->items[i].b);
}

/* ---- adding batches, allocating ---- */

Test(service, add_batch_for_new_product)
{
	MUST(create_batch("b1", "CRUNCHY-ARMCHAIR", 100, NULL));
	cr_assert_str_eq(la_store_adapter(w.store), test_store_name());
	rows r = dashboard("CRUNCHY-ARMCHAIR", 0);
	cr_assert_eq(r.count, 1);
	cr_assert_str_eq(r.items[0].ref, "b1");
	cr_assert_str_eq(r.items[0].sku, "CRUNCHY-ARMCHAIR");
	cr_assert_str_eq(r.items[0].eta, "");
	free(r.items);
	expect_batch("b1", 100, 0, 0);
}

Test(service, add_batch_for_existing_product)
{
	MUST(create_batch("b1", "GARISH-RUG", 100, NULL));
	MUST(create_batch("b2", "GARISH-RUG", 99, "2011-01-02"));
	rows r = dashboard("GARISH-RUG", 0);
	cr_assert_eq(r.count, 2);
	cr_assert_str_eq(r.items[0].ref, "b1");
	cr_assert_str_eq(r.items[1].ref, "b2");
	cr_assert_str_eq(r.items[1].eta, "2011-01-02");
	cr_assert_eq(r.items[1].purchased, 99);
	free(r.items);
	/* Both batches serve the product. */
	cr_assert_str_eq(allocate_to("o1", "GARISH-RUG", 100), "b1");
	cr_assert_str_eq(allocate_to("o2", "GARISH-RUG", 99), "b2");
}

Test(service, allocate_returns_batchref)
{
	MUST(create_batch("batch1", "COMPLICATED-LAMP", 100, NULL));
	MUST(allocate("o1", "COMPLICATED-LAMP", 10));
	cr_assert_str_eq(la_bus_result_batchref(w.bus), "batch1");
	expect_batch("batch1", 100, 10, 1);
}

Test(service, allocate_prefers_in_stock_then_earlier_eta)
{
	MUST(create_batch("slow", "SPOON", 10, "2011-02-01"));
	MUST(create_batch("speedy", "SPOON", 10, "2011-01-01"));
	MUST(create_batch("stock", "SPOON", 10, NULL));
	cr_assert_str_eq(allocate_to("o1", "SPOON", 10), "stock");
	cr_assert_str_eq(allocate_to("o2", "SPOON", 10), "speedy");
	cr_assert_str_eq(allocate_to("o3", "SPOON", 10), "slow");
	cr_assert_str_eq(allocate_to("o4", "SPOON", 1), "");
}

Test(service, allocation_is_idempotent)
{
	MUST(create_batch("small", "IDEM", 10, NULL));
	MUST(create_batch("large", "IDEM", 100, "2011-01-01"));
	cr_assert_str_eq(allocate_to("o1", "IDEM", 10), "small");
	/* Redelivered: same batch although "small" is full, nothing new. */
	cr_assert_str_eq(allocate_to("o1", "IDEM", 10), "small");
	expect_batch("small", 10, 10, 1);
	expect_batch("large", 100, 0, 0);
	expect_allocations("o1", "IDEM:small");
	cr_assert_eq(publications()->count, 1, "a redelivered allocation was published again");
}

Test(service, out_of_stock_is_a_result_not_an_error)
{
	MUST(create_batch("b1", "POPULAR-CURTAINS", 9, NULL));
	MUST(allocate("o1", "POPULAR-CURTAINS", 10));
	cr_assert_null(la_bus_result_batchref(w.bus));
	expect_batch("b1", 9, 0, 0);
	expect_allocations("o1", "");
}

Test(service, sends_out_of_stock_notification)
{
	MUST(create_batch("b1", "POPULAR-CURTAINS", 9, NULL));
	MUST(allocate("o1", "POPULAR-CURTAINS", 10));
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].a, "stock@made.com");
	cr_assert_str_eq(w.notes.items[0].b, "Out of stock for POPULAR-CURTAINS");
	/* No publication for an allocation that did not happen. */
	cr_assert_eq(publications()->count, 0);
}

Test(service, out_of_stock_route_is_configurable)
{
	MUST(la_bus_set_route(w.bus, LA_EVT_OUT_OF_STOCK, "buyers@example.com"));
	cr_assert_eq(allocate("o1", "NO-BATCHES-YET", 1), LA_ENOTFOUND);
	cr_assert_eq(w.notes.count, 0, "unknown sku is an error, not out of stock");
	MUST(create_batch("b1", "SKU", 1, NULL));
	cr_assert_str_eq(allocate_to("o1", "SKU", 2), "");
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].a, "buyers@example.com");
	cr_assert_str_eq(w.notes.items[0].b, "Out of stock for SKU");

	MUST(la_bus_set_route(w.bus, LA_EVT_OUT_OF_STOCK, NULL));
	cr_assert_str_eq(allocate_to("o2", "SKU", 2), "");
	cr_assert_eq(w.notes.count, 1, "a stopped route still notified");
}

Test(service, allocated_notification_is_opt_in)
{
	MUST(create_batch("b1", "SKU-1", 100, NULL));
	cr_assert_str_eq(allocate_to("o1", "SKU-1", 10), "b1");
	cr_assert_eq(w.notes.count, 0, "Allocated notified without a route");

	MUST(la_bus_set_route(w.bus, LA_EVT_ALLOCATED, "sales@made.com"));
	cr_assert_str_eq(allocate_to("o2", "SKU-1", 7), "b1");
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].a, "sales@made.com");
	cr_assert_str_eq(w.notes.items[0].b, "Allocated order o2 SKU-1 x7 to batch b1");
}

Test(service, publishes_every_allocated_on_line_allocated)
{
	MUST(create_batch("batch1", "SKU", 50, NULL));
	MUST(create_batch("batch2", "SKU", 50, "2011-01-02"));
	MUST(allocate("order1", "SKU", 20));
	MUST(allocate("order2", "SKU", 20));
	MUST(change_quantity("batch1", 25)); /* reallocates order2 to batch2 */
	const records *p = publications();
	cr_assert_eq(p->count, 3, "%zu publications", p->count);
	expect_publication(0, "order1", "SKU", "20", "batch1");
	expect_publication(1, "order2", "SKU", "20", "batch1");
	expect_publication(2, "order2", "SKU", "20", "batch2");
}

Test(service, invalid_sku_error_text)
{
	MUST(create_batch("b1", "AREALSKU", 100, NULL));
	char *before = dashboard_text();
	la_error_clear();
	cr_assert_eq(allocate("o1", "NONEXISTENTSKU", 10), LA_ENOTFOUND);
	cr_assert_str_eq(la_error_last(), "Invalid sku NONEXISTENTSKU");
	cr_assert_eq(la_error_last_code(), LA_ENOTFOUND);
	char *after = dashboard_text();
	cr_assert_str_eq(after, before);
	expect_allocations("o1", "");
	cr_assert_eq(w.notes.count, 0);
	cr_assert_eq(publications()->count, 0);
	free(before);
	free(after);
}

/* ---- changing and cancelling batches ---- */

Test(service, change_quantity_reallocates)
{
	MUST(create_batch("batch1", "INDIFFERENT-TABLE", 50, NULL));
	MUST(create_batch("batch2", "INDIFFERENT-TABLE", 50, "2011-01-02"));
	cr_assert_str_eq(allocate_to("order1", "INDIFFERENT-TABLE", 20), "batch1");
	cr_assert_str_eq(allocate_to("order2", "INDIFFERENT-TABLE", 20), "batch1");
	expect_batch("batch1", 50, 40, 2);
	expect_batch("batch2", 50, 0, 0);

	MUST(change_quantity("batch1", 25));
	expect_batch("batch1", 25, 20, 1); /* 5 available */
	expect_batch("batch2", 50, 20, 1); /* 30 available */
	expect_allocations("order1", "INDIFFERENT-TABLE:batch1");
	expect_allocations("order2", "INDIFFERENT-TABLE:batch2");
}

Test(service, change_quantity_without_room_elsewhere_is_out_of_stock)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(allocate("o1", "SKU", 6));
	MUST(change_quantity("b1", 5));
	expect_batch("b1", 5, 0, 0);
	expect_allocations("o1", "");
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].b, "Out of stock for SKU");
}

Test(service, change_quantity_up_keeps_lines)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(allocate("o1", "SKU", 10));
	MUST(change_quantity("b1", 30));
	expect_batch("b1", 30, 10, 1);
	cr_assert_str_eq(allocate_to("o2", "SKU", 20), "b1");
}

Test(service, cancel_batch_reallocates_its_lines)
{
	MUST(create_batch("batch1", "SKU", 50, NULL));
	MUST(create_batch("batch2", "SKU", 50, "2011-01-02"));
	MUST(create_batch("other", "OTHER", 5, NULL));
	MUST(allocate("o1", "SKU", 10));
	MUST(allocate("o2", "SKU", 20));
	MUST(allocate("o1", "OTHER", 5));
	MUST(cancel_batch("batch1"));
	cr_assert_eq(on_dashboard("batch1"), 0, "cancelled batch still listed");
	expect_batch("batch2", 50, 30, 2);
	expect_batch("other", 5, 5, 1);
	/* o1's SKU line moved, so it now comes after its OTHER line. */
	expect_allocations("o1", "OTHER:other SKU:batch2");
	expect_allocations("o2", "SKU:batch2");
	cr_assert_eq(w.notes.count, 0);
}

Test(service, cancel_batch_without_room_elsewhere)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(allocate("o1", "SKU", 10));
	MUST(cancel_batch("b1"));
	cr_assert_eq(on_dashboard("b1"), 0);
	expect_allocations("o1", "");
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].b, "Out of stock for SKU");
	/* The sku is still known: a new batch serves it. */
	MUST(create_batch("b2", "SKU", 10, NULL));
	cr_assert_str_eq(allocate_to("o1", "SKU", 10), "b2");
}

/* ---- read model ---- */

Test(service, read_model_after_allocation_and_deallocation)
{
	MUST(create_batch("sku1batch", "sku1", 50, NULL));
	MUST(create_batch("sku2batch", "sku2", 50, "2011-01-02"));
	MUST(allocate("order1", "sku1", 20));
	MUST(allocate("order1", "sku2", 20));
	MUST(create_batch("sku1batch-later", "sku1", 50, "2011-01-03"));
	MUST(allocate("otherorder", "sku1", 30));
	MUST(allocate("otherorder", "sku2", 10));
	expect_allocations("order1", "sku1:sku1batch sku2:sku2batch");
	expect_allocations("otherorder", "sku1:sku1batch sku2:sku2batch");
	expect_allocations("nobody", "");

	MUST(deallocate("order1", "sku1"));
	expect_allocations("order1", "sku2:sku2batch");
	expect_batch("sku1batch", 50, 30, 1);
	/* Allocated again: now the most recent of the order. */
	MUST(allocate("order1", "sku1", 20));
	expect_allocations("order1", "sku2:sku2batch sku1:sku1batch");
}

Test(service, deallocate_then_read_model)
{
	MUST(create_batch("b1", "SKU", 100, NULL));
	MUST(allocate("o1", "SKU", 10));
	MUST(deallocate("o1", "SKU"));
	expect_allocations("o1", "");
	expect_batch("b1", 100, 0, 0);
	/* Not reallocated, nothing published for it. */
	cr_assert_eq(publications()->count, 1);
	cr_assert_eq(deallocate("o1", "SKU"), LA_ENOTFOUND);
}

Test(service, dashboard_figures_filtered_by_sku)
{
	MUST(create_batch("a-1", "ALPHA", 10, NULL));
	MUST(create_batch("a-2", "ALPHA", 20, "2011-03-01"));
	MUST(create_batch("b-1", "BETA", 5, "2011-01-01"));
	MUST(allocate("o1", "ALPHA", 4));
	MUST(allocate("o2", "ALPHA", 3));
	MUST(allocate("o3", "ALPHA", 8));
	MUST(allocate("o4", "BETA", 5));

	rows r = dashboard("ALPHA", 0);
	cr_assert_eq(r.count, 2);
	cr_assert_str_eq(r.items[0].ref, "a-1");
	cr_assert_eq(r.items[0].purchased, 10);
	cr_assert_eq(r.items[0].allocated, 7);
	cr_assert_eq(r.items[0].available, 3);
	cr_assert_eq(r.items[0].lines, 2);
	cr_assert_str_eq(r.items[1].ref, "a-2");
	cr_assert_str_eq(r.items[1].eta, "2011-03-01");
	cr_assert_eq(r.items[1].allocated, 8);
	cr_assert_eq(r.items[1].available, 12);
	cr_assert_eq(r.items[1].lines, 1);
	free(r.items);

	r = dashboard("BETA", 0);
	cr_assert_eq(r.count, 1);
	cr_assert_eq(r.items[0].available, 0);
	free(r.items);

	r = dashboard("GAMMA", 0);
	cr_assert_eq(r.count, 0);
	free(r.items);

	r = dashboard(NULL, 0);
	cr_assert_eq(r.count, 3);
	cr_assert_str_eq(r.items[2].ref, "b-1");
	free(r.items);
}

/* Creation index i → sku, ETA and ref of the pagination fixture. */
static void fixture_batch(int i, char *ref, char *sku, char *eta)
{
	static const char *skus[] = {"sku-b", "sku-a", "sku-c"};
	sprintf(ref, "batch-%03d", i);
	snprintf(sku, 8, "%s", skus[i % 3]); /* expected_row's sku[8] */
	if (i % 5 == 0)
		eta[0] = '\0';
	else
		sprintf(eta, "2011-%02d-%02d", 1 + (i * 7) % 12, 1 + (i * 11) % 28);
}

typedef struct expected_row {
	char ref[16], sku[8], eta[16];
	int index;
} expected_row;

static int expected_order(const void *pa, const void *pb)
{
	const expected_row *a = pa, *b = pb;
	int c = strcmp(a->sku, b->sku);
	if (c)
		return c;
	c = strcmp(a->eta, b->eta); /* "" (in stock) first, then ISO dates sort as text */
	if (c)
		return c;
	return a->index - b->index;
}

static void expect_paged_in_order(const char *sku, expected_row *exp, int n, size_t limit)
{
	rows r = dashboard(sku, limit);
	cr_assert_eq(r.count, (size_t)n, "%zu rows, expected %d", r.count, n);
	cr_assert_eq(r.pages, ((size_t)n + limit - 1) / limit, "%zu pages", r.pages);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(r.items[i].ref, exp[i].ref, "row %d", i);
		cr_assert_str_eq(r.items[i].eta, exp[i].eta, "row %d", i);
	}
	free(r.items);
}

Test(service, dashboard_pages_return_every_batch_once, .timeout = 60)
{
	enum { N = 250 };
	expected_row exp[N], only_a[N];
	int n_a = 0;
	for (int i = 0; i < N; i++) {
		fixture_batch(i, exp[i].ref, exp[i].sku, exp[i].eta);
		exp[i].index = i;
		MUST(create_batch(exp[i].ref, exp[i].sku, i, exp[i].eta[0] ? exp[i].eta : NULL));
	}
	qsort(exp, N, sizeof exp[0], expected_order);
	for (int i = 0; i < N; i++)
		if (strcmp(exp[i].sku, "sku-a") == 0)
			only_a[n_a++] = exp[i];

	expect_paged_in_order(NULL, exp, N, 7);
	expect_paged_in_order("sku-a", only_a, n_a, 7);
	expect_paged_in_order(NULL, exp, N, 1);
	expect_paged_in_order(NULL, exp, N, N); /* one page, no cursor */

	/* Default and maximum page sizes. */
	la_batch_page *page = NULL;
	MUST(la_view_batches(&page, w.store, NULL, 0, NULL));
	cr_assert_eq(la_batch_page_count(page), LA_BATCH_PAGE_DEFAULT);
	cr_assert_not_null(la_batch_page_next(page));
	la_batch_page_free(page);
	MUST(la_view_batches(&page, w.store, NULL, LA_BATCH_PAGE_MAX + 5, NULL));
	cr_assert_eq(la_batch_page_count(page), N);
	cr_assert_null(la_batch_page_next(page));
	la_batch_page_free(page);
}

Test(service, dashboard_exact_page_multiple_has_no_empty_last_page)
{
	MUST(create_batch("b1", "S", 1, NULL));
	MUST(create_batch("b2", "S", 1, NULL));
	la_batch_page *page = NULL;
	MUST(la_view_batches(&page, w.store, NULL, 2, NULL));
	cr_assert_eq(la_batch_page_count(page), 2);
	cr_assert_null(la_batch_page_next(page), "a next cursor although no rows follow");
	la_batch_page_free(page);
}

/* ---- bad input through the bus: codes, messages, no state change ---- */

typedef struct state {
	char *dashboard;
	char *orders[3];
	size_t notes, published;
} state;

static const char *const watched_orders[3] = {"o1", "o2", "o3"};

static state snapshot(void)
{
	state s;
	s.dashboard = dashboard_text();
	for (int i = 0; i < 3; i++)
		s.orders[i] = allocations_of(watched_orders[i]);
	s.notes = w.notes.count;
	s.published = publications()->count;
	return s;
}

static void state_free(state *s)
{
	free(s->dashboard);
	for (int i = 0; i < 3; i++)
		free(s->orders[i]);
}

static void expect_unchanged(state *before, const char *what)
{
	state now = snapshot();
	cr_assert_str_eq(now.dashboard, before->dashboard, "%s changed the dashboard", what);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(now.orders[i], before->orders[i], "%s changed %s", what,
		                 watched_orders[i]);
	cr_assert_eq(now.notes, before->notes, "%s sent a notification", what);
	cr_assert_eq(now.published, before->published, "%s published", what);
	state_free(&now);
}

static int noop_handler(la_bus *bus, const la_message *event, void *payload)
{
	return LA_OK;
}

static void bad_input_fixture(void)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(create_batch("b2", "SKU", 10, "2011-01-01"));
	MUST(create_batch("c1", "OTHER", 10, NULL));
	MUST(allocate("o1", "SKU", 4));
	MUST(allocate("o2", "OTHER", 1));
}

static void expect_failure(int rc, int code, const char *message, state *before, const char *what)
{
	cr_assert_eq(rc, code, "%s: expected %s, got %s (%s)", what, la_strerror(code),
	             la_strerror(rc), la_error_last());
	cr_assert_eq(la_error_last_code(), code, "%s: la_error_last_code", what);
	if (message)
		cr_assert_str_eq(la_error_last(), message, "%s", what);
	else
		cr_assert_neq(strlen(la_error_last()), 0, "%s: no message", what);
	expect_unchanged(before, what);
}

Test(service, unknown_sku_and_batch_reference)
{
	bad_input_fixture();
	state s = snapshot();
	expect_failure(allocate("o3", "NOPE", 1), LA_ENOTFOUND, "Invalid sku NOPE", &s, "allocate");
	expect_failure(deallocate("o1", "NOPE"), LA_ENOTFOUND, NULL, &s, "deallocate unknown sku");
	expect_failure(deallocate("o3", "SKU"), LA_ENOTFOUND, NULL, &s, "deallocate unknown line");
	expect_failure(change_quantity("b9", 5), LA_ENOTFOUND, "Invalid batch reference b9", &s,
	               "change quantity");
	expect_failure(cancel_batch("b9"), LA_ENOTFOUND, "Invalid batch reference b9", &s,
	               "cancel");
	state_free(&s);
}

Test(service, duplicate_batch_reference)
{
	bad_input_fixture();
	state s = snapshot();
	expect_failure(create_batch("b1", "SKU", 11, NULL), LA_ECONFLICT, NULL, &s, "other qty");
	expect_failure(create_batch("b1", "SKU", 10, "2011-01-01"), LA_ECONFLICT, NULL, &s,
	               "other eta");
	expect_failure(create_batch("b2", "SKU", 10, NULL), LA_ECONFLICT, NULL, &s, "eta dropped");
	/* References are unique across products. */
	expect_failure(create_batch("b1", "OTHER", 10, NULL), LA_ECONFLICT, NULL, &s, "other sku");
	expect_failure(create_batch("b1", "NEW-SKU", 10, NULL), LA_ECONFLICT, NULL, &s, "new sku");
	/* The new product of a refused batch must not exist either. */
	cr_assert_eq(allocate("o3", "NEW-SKU", 1), LA_ENOTFOUND);

	/* Redelivered with the same values: a no-op success. */
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(create_batch("b2", "SKU", 10, "2011-01-01"));
	expect_unchanged(&s, "redelivered CreateBatch");
	state_free(&s);
}

Test(service, reallocation_with_another_qty_conflicts)
{
	bad_input_fixture();
	state s = snapshot();
	expect_failure(allocate("o1", "SKU", 5), LA_ECONFLICT, NULL, &s, "reallocation");
	cr_assert_str_eq(allocate_to("o1", "SKU", 4), "b1");
	expect_unchanged(&s, "same allocation again");
	state_free(&s);
}

Test(service, domain_conflicts_are_not_retried)
{
	/* Retries are for concurrent changes; a refused command fails at once. */
	bad_input_fixture();
	cr_assert_eq(allocate("o1", "SKU", 5), LA_ECONFLICT);
	cr_assert_eq(create_batch("b1", "SKU", 99, NULL), LA_ECONFLICT);
	uint64_t commands = 0, retries = 0;
	la_bus_stats(w.bus, &commands, NULL, &retries, NULL);
	cr_assert_eq(commands, 7);
	cr_assert_eq(retries, 0, "%llu retries of commands that can never succeed",
	             (unsigned long long)retries);
}

Test(service, bad_messages_and_arguments)
{
	bad_input_fixture();
	state s = snapshot();
	expect_failure(la_bus_handle(w.bus, NULL), LA_EINVAL, NULL, &s, "NULL message");
	expect_failure(la_bus_handle(NULL, NULL), LA_EINVAL, NULL, &s, "NULL bus");

	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, w.store, NULL), LA_EINVAL);
	cr_assert_null(list);
	cr_assert_eq(la_view_allocations(&list, w.store, ""), LA_EINVAL);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, w.store, NULL, 5, "not a cursor!"), LA_EINVAL);
	cr_assert_null(page);
	cr_assert_eq(la_view_batches(&page, w.store, "", 5, NULL), LA_EINVAL);

	cr_assert_eq(la_bus_set_route(w.bus, LA_EVT_DEALLOCATED, "x@y"), LA_EINVAL);
	cr_assert_eq(la_bus_set_route(w.bus, LA_EVT_OUT_OF_STOCK, ""), LA_EINVAL);
	cr_assert_eq(la_bus_subscribe(w.bus, LA_CMD_ALLOCATE, noop_handler, NULL), LA_EINVAL);
	cr_assert_eq(la_bus_subscribe(w.bus, 999, noop_handler, NULL), LA_EINVAL);
	cr_assert_eq(la_bus_subscribe(w.bus, LA_EVT_ALLOCATED, NULL, NULL), LA_EINVAL);

	la_bus *bus = NULL;
	cr_assert_eq(la_bus_new(&bus, NULL, NULL), LA_EINVAL);
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.version = 0;
	int rc = la_bus_new(&bus, w.store, &opts);
	cr_assert(rc == LA_EINVAL || rc == LA_EUNSUPPORTED, "options version 0: %s",
	          la_strerror(rc));
	cr_assert_not_null(strstr(la_error_last(), "version"), "%s", la_error_last());
	cr_assert_null(bus);
	cr_assert_neq(la_bus_options_init(&opts, 999), LA_OK);
	expect_unchanged(&s, "bad arguments");
	state_free(&s);
}

Test(service, failing_ports_are_logged_and_counted)
{
	MUST(create_batch("b1", "SKU", 1, NULL));
	w.notify_result = LA_EIO;
	w.publish_result = LA_EIO;
	size_t logs = w.logs.count;
	cr_assert_str_eq(allocate_to("o1", "SKU", 1), "b1");
	cr_assert_str_eq(allocate_to("o2", "SKU", 1), "");
	cr_assert_eq(w.notes.count, 1);
	uint64_t failures = 0;
	la_bus_stats(w.bus, NULL, NULL, NULL, &failures);
	/* The notification failed; so did the publication, where the bus publishes. */
	uint64_t expected = la_store_has_outbox(w.store) ? 1 : 2;
	cr_assert_eq(failures, expected, "handler failures %llu", (unsigned long long)failures);
	cr_assert_geq(w.logs.count - logs, expected, "failures not logged");
	expect_allocations("o1", "SKU:b1");
}

Test(service, route_destination_is_copied)
{
	char destination[32] = "stock@example.com";
	MUST(la_bus_set_route(w.bus, LA_EVT_OUT_OF_STOCK, destination));
	strcpy(destination, "changed@example.com");
	MUST(create_batch("b1", "SKU", 1, NULL));
	cr_assert_str_eq(allocate_to("o1", "SKU", 2), "");
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].a, "stock@example.com");
}

Test(service, cancelled_reference_can_be_used_again)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(cancel_batch("b1"));
	MUST(create_batch("b1", "OTHER", 3, "2011-01-01"));
	rows r = dashboard(NULL, 0);
	cr_assert_eq(r.count, 1);
	cr_assert_str_eq(r.items[0].sku, "OTHER");
	cr_assert_eq(r.items[0].purchased, 3);
	free(r.items);
	cr_assert_str_eq(allocate_to("o1", "OTHER", 3), "b1");
	cr_assert_str_eq(allocate_to("o1", "SKU", 3), "");
}

/* ---- user event handlers ---- */

typedef struct handler_ctx {
	const char *name;
	int result;
	int calls;
} handler_ctx;

static int user_handler(la_bus *bus, const la_message *event, void *payload)
{
	handler_ctx *h = payload;
	h->calls++;
	cr_assert_eq(bus, w.bus);
	records_add(&w.trace, h->name, la_message_name(event));
	return h->result;
}

/* Position of the first trace entry named name from start (fails if none). */
static size_t trace_index(const char *name, size_t start)
{
	for (size_t i = start; i < w.trace.count; i++)
		if (strcmp(w.trace.items[i].a, name) == 0)
			return i;
	cr_assert_fail("%s did not run", name);
	return 0;
}

Test(service, user_handlers_run_in_order_after_built_ins)
{
	handler_ctx first = {"first", LA_EUSER, 0}, second = {"second", LA_OK, 0};
	handler_ctx oos = {"oos", LA_OK, 0};
	MUST(la_bus_set_route(w.bus, LA_EVT_ALLOCATED, "sales@made.com"));
	MUST(la_bus_subscribe(w.bus, LA_EVT_ALLOCATED, user_handler, &first));
	MUST(la_bus_subscribe(w.bus, LA_EVT_ALLOCATED, user_handler, &second));
	MUST(la_bus_subscribe(w.bus, LA_EVT_OUT_OF_STOCK, user_handler, &oos));
	MUST(create_batch("b1", "SKU", 10, NULL));
	size_t logs_before = w.logs.count;

	/* The first user handler fails: logged, the command still succeeds. */
	cr_assert_str_eq(allocate_to("o1", "SKU", 10), "b1");
	cr_assert_eq(first.calls, 1);
	cr_assert_eq(second.calls, 1);
	cr_assert_eq(oos.calls, 0);
	/* Built-ins (notification, publication) first, then the users' in order. */
	size_t notify_at = trace_index("notify", 0), first_at = trace_index("first", 0);
	size_t second_at = trace_index("second", 0);
	cr_assert_lt(notify_at, first_at, "notification after a user handler");
	cr_assert_lt(first_at, second_at, "user handlers out of registration order");
	cr_assert_str_eq(w.trace.items[notify_at].b, "Allocated order o1 SKU x10 to batch b1");
	cr_assert_str_eq(w.trace.items[first_at].b, "Allocated");
	if (!la_store_has_outbox(w.store))
		cr_assert_lt(trace_index("publish", 0), first_at,
		             "publication after a user handler");

	int logged = 0;
	for (size_t i = logs_before; i < w.logs.count; i++)
		logged += strtol(w.logs.items[i].a, NULL, 10) <= LA_LOG_WARN;
	cr_assert_geq(logged, 1, "the failing handler was not logged as an error or warning");

	cr_assert_str_eq(allocate_to("o2", "SKU", 1), "");
	cr_assert_eq(oos.calls, 1);

	uint64_t commands = 0, events = 0, retries = 99, failures = 0;
	la_bus_stats(w.bus, &commands, &events, &retries, &failures);
	cr_assert_eq(commands, 3, "commands %llu", (unsigned long long)commands);
	cr_assert_eq(events, 2, "events %llu", (unsigned long long)events);
	cr_assert_eq(retries, 0);
	cr_assert_eq(failures, 1, "handler failures %llu", (unsigned long long)failures);
	la_bus_stats(w.bus, NULL, NULL, NULL, NULL);
}

/* Handles a bonus Allocate from inside the Allocated handler of o1. */
static int reentrant_handler(la_bus *bus, const la_message *event, void *payload)
{
	int *rc = payload;
	if (strcmp(la_message_orderid(event), "o1") != 0)
		return LA_OK;
	la_message *m = NULL;
	cr_assert_eq(la_command_allocate(&m, "o1-bonus", la_message_sku(event), 1), LA_OK);
	*rc = la_bus_handle(bus, m);
	la_message_free(m); /* the bus must have kept its own copy */
	/* Queued, not run yet. */
	char *now = allocations_of("o1-bonus");
	cr_assert_str_eq(now, "", "the re-entrant message ran immediately");
	free(now);
	return LA_OK;
}

Test(service, reentrant_handle_queues_the_message)
{
	int rc = -100;
	MUST(la_bus_subscribe(w.bus, LA_EVT_ALLOCATED, reentrant_handler, &rc));
	MUST(create_batch("b1", "SKU", 10, NULL));
	MUST(create_batch("b2", "SKU", 10, "2011-01-01"));
	MUST(allocate("o1", "SKU", 10));
	cr_assert_eq(rc, LA_OK);
	cr_assert_str_eq(la_bus_result_batchref(w.bus), "b1",
	                 "the result is the handled command's, not the queued one's");
	expect_allocations("o1", "SKU:b1");
	expect_allocations("o1-bonus", "SKU:b2");
	uint64_t commands = 0;
	la_bus_stats(w.bus, &commands, NULL, NULL, NULL);
	cr_assert_eq(commands, 4);
}

Test(service, events_can_be_handled_directly)
{
	la_message *m = NULL;
	MUST(la_event_out_of_stock(&m, "SOFA"));
	MUST(handle(m));
	cr_assert_eq(w.notes.count, 1);
	cr_assert_str_eq(w.notes.items[0].a, "stock@made.com");
	cr_assert_str_eq(w.notes.items[0].b, "Out of stock for SOFA");
}

Test(service, stock_reduced_deallocation_event_reallocates)
{
	MUST(create_batch("b1", "SKU", 10, NULL));
	la_message *m = NULL;
	MUST(la_event_deallocated(&m, "o9", "SKU", 3, LA_REASON_STOCK_REDUCED));
	MUST(handle(m));
	expect_allocations("o9", "SKU:b1");
	MUST(la_event_deallocated(&m, "o8", "SKU", 3, LA_REASON_REQUESTED));
	MUST(handle(m));
	expect_allocations("o8", "");
}

/* ---- a second connection, where the adapter has one ---- */

Test(service, reopened_store_sees_the_same_data)
{
	la_store *other = NULL;
	int rc = test_store_reopen(&other, w.store);
	if (rc == LA_EUNSUPPORTED) {
		cr_assert_null(other);
		cr_skip_test("%s has no second connection", test_store_name());
	}
	cr_assert_eq(rc, LA_OK, "reopen: %s", la_error_last());
	MUST(create_batch("b1", "SKU", 10, NULL));
	la_bus *bus2 = NULL;
	MUST(la_bus_new(&bus2, other, NULL));
	la_message *m = NULL;
	MUST(la_command_allocate(&m, "o1", "SKU", 3));
	MUST(la_bus_handle(bus2, m));
	la_message_free(m);
	cr_assert_str_eq(la_bus_result_batchref(bus2), "b1");
	expect_allocations("o1", "SKU:b1");
	expect_batch("b1", 10, 3, 1);
	la_bus_free(bus2);
	la_store_free(other);
}
