/*
 * The read models on a SQLite file: allocations_view after allocation,
 * deallocation and reallocation, the dashboard's figures, and pagination.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <allocation/sys/ports.h>

#include "sqlite_test_support.h"

static la_store *store;
static la_bus *bus;

static void setup(void)
{
	sqlt_open(&store, &bus, sqlt_path("views"), 0);
}

static void teardown(void)
{
	la_bus_free(bus);
	la_store_free(store);
}

TestSuite(sqlite_views, .init = setup, .fini = teardown);

static la_allocation_list *allocations(const char *orderid)
{
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	return list;
}

static la_batch_page *dashboard(const char *sku, size_t limit, const char *after)
{
	la_batch_page *page = NULL;
	int rc = la_view_batches(&page, store, sku, limit, after);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	return page;
}

static void assert_row(la_batch_page *page, size_t i, const char *ref, int64_t purchased,
                       int64_t allocated, int64_t lines)
{
	cr_assert_str_eq(la_batch_page_ref(page, i), ref);
	cr_assert_eq(la_batch_page_purchased(page, i), purchased, "%s purchased", ref);
	cr_assert_eq(la_batch_page_allocated(page, i), allocated, "%s allocated", ref);
	cr_assert_eq(la_batch_page_available(page, i), purchased - allocated, "%s available", ref);
	cr_assert_eq(la_batch_page_lines(page, i), lines, "%s lines", ref);
}

Test(sqlite_views, allocations_view_after_allocation)
{
	sqlt_create_batch(bus, "sku1batch", "sku1", 50, NULL);
	sqlt_create_batch(bus, "sku2batch", "sku2", 50, "2011-01-01");
	cr_assert_eq(sqlt_allocate(bus, "order1", "sku1", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "order1", "sku2", 20, NULL, 0), LA_OK);
	sqlt_create_batch(bus, "sku1batch-later", "sku1", 50, "2011-01-01");
	cr_assert_eq(sqlt_allocate(bus, "otherorder", "sku1", 30, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "otherorder", "sku2", 10, NULL, 0), LA_OK);

	la_allocation_list *list = allocations("order1");
	cr_assert_eq(la_allocation_list_count(list), 2);
	cr_assert_str_eq(la_allocation_list_sku(list, 0), "sku1");
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "sku1batch");
	cr_assert_str_eq(la_allocation_list_sku(list, 1), "sku2");
	cr_assert_str_eq(la_allocation_list_batchref(list, 1), "sku2batch");
	la_allocation_list_free(list);
	list = allocations("nobody");
	cr_assert_eq(la_allocation_list_count(list), 0);
	la_allocation_list_free(list);
}

Test(sqlite_views, allocations_view_after_deallocation_and_reallocation)
{
	sqlt_create_batch(bus, "b1", "sku1", 50, NULL);
	sqlt_create_batch(bus, "b2", "sku1", 50, "2011-01-02");
	cr_assert_eq(sqlt_allocate(bus, "o1", "sku1", 40, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_change_quantity(bus, "b1", 10), LA_OK, "%s", la_error_last());

	la_allocation_list *list = allocations("o1");
	cr_assert_eq(la_allocation_list_count(list), 1);
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "b2");
	la_allocation_list_free(list);

	cr_assert_eq(sqlt_deallocate(bus, "o1", "sku1"), LA_OK, "%s", la_error_last());
	list = allocations("o1");
	cr_assert_eq(la_allocation_list_count(list), 0);
	la_allocation_list_free(list);
	cr_assert_eq(sqlt_deallocate(bus, "o1", "sku1"), LA_ENOTFOUND);
}

Test(sqlite_views, dashboard_figures_follow_allocations_deallocations_and_quantity)
{
	/* design.md §6: two batches of 50, two orders of 20, batch1 -> 25 */
	sqlt_create_batch(bus, "batch1", "INDIFFERENT-TABLE", 50, NULL);
	sqlt_create_batch(bus, "batch2", "INDIFFERENT-TABLE", 50, "2011-01-02");
	sqlt_create_batch(bus, "other", "ARMCHAIR", 7, "2011-01-01");
	cr_assert_eq(sqlt_allocate(bus, "order1", "INDIFFERENT-TABLE", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "order2", "INDIFFERENT-TABLE", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "order3", "ARMCHAIR", 3, NULL, 0), LA_OK);

	la_batch_page *page = dashboard(NULL, 0, NULL);
	cr_assert_eq(la_batch_page_count(page), 3);
	assert_row(page, 0, "other", 7, 3, 1); /* ordered by sku first */
	assert_row(page, 1, "batch1", 50, 40, 2);
	assert_row(page, 2, "batch2", 50, 0, 0);
	cr_assert_null(la_batch_page_next(page));
	cr_assert_null(la_batch_page_eta(page, 1));
	cr_assert_str_eq(la_batch_page_eta(page, 2), "2011-01-02");
	cr_assert_str_eq(la_batch_page_sku(page, 0), "ARMCHAIR");
	la_batch_page_free(page);

	cr_assert_eq(sqlt_change_quantity(bus, "batch1", 25), LA_OK, "%s", la_error_last());
	page = dashboard("INDIFFERENT-TABLE", 0, NULL);
	cr_assert_eq(la_batch_page_count(page), 2);
	assert_row(page, 0, "batch1", 25, 20, 1);
	assert_row(page, 1, "batch2", 50, 20, 1);
	la_batch_page_free(page);

	cr_assert_eq(sqlt_deallocate(bus, "order3", "ARMCHAIR"), LA_OK);
	page = dashboard("ARMCHAIR", 0, NULL);
	cr_assert_eq(la_batch_page_count(page), 1);
	assert_row(page, 0, "other", 7, 0, 0);
	la_batch_page_free(page);
	page = dashboard("NO-SUCH-SKU", 0, NULL);
	cr_assert_eq(la_batch_page_count(page), 0);
	la_batch_page_free(page);
}

static int compare_refs(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk every page; check order and that each batch comes exactly once. */
static size_t walk(const char *sku, size_t limit, char **seen, size_t cap)
{
	size_t count = 0;
	char *after = NULL;
	char prev_sku[64] = "";
	int32_t prev_eta = 0;
	int pages = 0;
	for (;;) {
		la_batch_page *page = dashboard(sku, limit, after);
		free(after);
		after = NULL;
		size_t n = la_batch_page_count(page);
		cr_assert(n <= limit);
		for (size_t i = 0; i < n; i++) {
			cr_assert(count < cap, "more rows than batches");
			seen[count++] = strdup(la_batch_page_ref(page, i));
			const char *row_sku = la_batch_page_sku(page, i);
			int32_t eta = la_date_key(la_batch_page_eta(page, i));
			cr_assert(strcmp(prev_sku, row_sku) <= 0, "ordered by sku");
			if (strcmp(prev_sku, row_sku) == 0)
				cr_assert(prev_eta <= eta, "then in-stock first, then by eta");
			prev_eta = eta;
			snprintf(prev_sku, sizeof prev_sku, "%s", row_sku);
			if (sku)
				cr_assert_str_eq(row_sku, sku);
		}
		pages++;
		const char *next = la_batch_page_next(page);
		if (next) {
			cr_assert_eq(n, limit, "a next cursor only after a full page");
			after = strdup(next);
		}
		la_batch_page_free(page);
		if (!after)
			break;
	}
	cr_assert(pages >= 1);
	return count;
}

Test(sqlite_views, pagination_returns_every_batch_exactly_once, .timeout = 120)
{
	enum { BATCHES = 1000 };
	static const char *etas[] = {NULL, "2011-01-01", "2012-06-30", NULL, "2011-01-01"};
	char ref[32], sku[16];
	for (int i = 0; i < BATCHES; i++) {
		snprintf(ref, sizeof ref, "batch-%04d", i);
		snprintf(sku, sizeof sku, "SKU-%d", i % 7);
		sqlt_create_batch(bus, ref, sku, i, etas[i % 5]);
	}
	char **seen = calloc(BATCHES + 1, sizeof *seen);
	size_t count = walk(NULL, 64, seen, BATCHES + 1);
	cr_assert_eq(count, BATCHES);
	qsort(seen, count, sizeof *seen, compare_refs);
	for (size_t i = 0; i < count; i++) {
		snprintf(ref, sizeof ref, "batch-%04zu", i);
		cr_assert_str_eq(seen[i], ref, "each batch exactly once");
		free(seen[i]);
	}
	/* one sku, and page sizes that divide the count exactly */
	count = walk("SKU-3", 11, seen, BATCHES + 1);
	cr_assert_eq(count, 143);
	for (size_t i = 0; i < count; i++)
		free(seen[i]);
	count = walk(NULL, 1000, seen, BATCHES + 1);
	cr_assert_eq(count, BATCHES);
	for (size_t i = 0; i < count; i++)
		free(seen[i]);
	free(seen);

	la_batch_page *page = dashboard(NULL, 0, NULL);
	cr_assert_eq(la_batch_page_count(page), LA_BATCH_PAGE_DEFAULT);
	la_batch_page_free(page);
}

Test(sqlite_views, a_malformed_cursor_is_refused)
{
	sqlt_create_batch(bus, "b1", "sku1", 50, NULL);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 10, "not a cursor!"), LA_EINVAL);
	cr_assert_null(page);
}
