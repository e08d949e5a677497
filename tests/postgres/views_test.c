/*
 * The read models on PostgreSQL: allocations_view for an order, and the
 * batch dashboard (one query, ordered by sku then allocation preference,
 * paginated with cursors).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pg_test.h"

static la_store *store;
static la_bus *bus;

static void setup(void)
{
	pgt_open(&store, &bus, 0, NULL);
}

static void teardown(void)
{
	pgt_close(store, bus);
}

TestSuite(postgres_views, .init = setup, .fini = teardown);

Test(postgres_views, allocations_lists_an_order_in_allocation_order)
{
	pgt_create_batch(bus, "b-desk", "DESK", 10, NULL);
	pgt_create_batch(bus, "b-lamp", "LAMP", 10, NULL);
	pgt_create_batch(bus, "b-chair", "CHAIR", 10, NULL);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o1", "DESK", 1, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "DESK", 1, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o1", "CHAIR", 1, NULL, 0), LA_OK);
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_allocation_list_count(list), 3);
	cr_assert_str_eq(la_allocation_list_sku(list, 0), "LAMP");
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "b-lamp");
	cr_assert_str_eq(la_allocation_list_sku(list, 1), "DESK");
	cr_assert_str_eq(la_allocation_list_sku(list, 2), "CHAIR");
	la_allocation_list_free(list);
	/* after deallocation the read model forgets the line */
	cr_assert_eq(pgt_deallocate(bus, "o1", "DESK"), LA_OK);
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 2);
	cr_assert_str_eq(la_allocation_list_sku(list, 1), "CHAIR");
	la_allocation_list_free(list);
	cr_assert_eq(la_view_allocations(&list, store, "unknown"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 0);
	la_allocation_list_free(list);
}

/* Six batches over three skus, some lines. */
static void dashboard_fixture(void)
{
	pgt_create_batch(bus, "lamp-late", "LAMP", 10, "2011-02-01");
	pgt_create_batch(bus, "lamp-stock", "LAMP", 10, NULL);
	pgt_create_batch(bus, "lamp-early", "LAMP", 10, "2011-01-01");
	pgt_create_batch(bus, "lamp-early2", "LAMP", 10, "2011-01-01");
	pgt_create_batch(bus, "desk", "DESK", 5, NULL);
	pgt_create_batch(bus, "chair", "CHAIR", 7, "2011-03-01");
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 4, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 3, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o3", "DESK", 5, NULL, 0), LA_OK);
}

static const char *const expected_order[] = {"chair",      "desk",        "lamp-stock",
                                             "lamp-early", "lamp-early2", "lamp-late"};

Test(postgres_views, dashboard_orders_by_sku_then_preference_with_figures)
{
	dashboard_fixture();
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 0, NULL), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 6);
	for (size_t i = 0; i < 6; i++)
		cr_expect_str_eq(la_batch_page_ref(page, i), expected_order[i], "row %zu", i);
	cr_assert_null(la_batch_page_next(page));
	cr_assert_str_eq(la_batch_page_sku(page, 2), "LAMP");
	cr_assert_null(la_batch_page_eta(page, 2));
	cr_assert_eq(la_batch_page_purchased(page, 2), 10);
	cr_assert_eq(la_batch_page_allocated(page, 2), 7);
	cr_assert_eq(la_batch_page_available(page, 2), 3);
	cr_assert_eq(la_batch_page_lines(page, 2), 2);
	cr_assert_str_eq(la_batch_page_eta(page, 0), "2011-03-01");
	cr_assert_eq(la_batch_page_available(page, 1), 0);
	la_batch_page_free(page);

	cr_assert_eq(la_view_batches(&page, store, "LAMP", 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 4);
	cr_assert_str_eq(la_batch_page_ref(page, 0), "lamp-stock");
	la_batch_page_free(page);
	cr_assert_eq(la_view_batches(&page, store, "NONE", 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 0);
	cr_assert_null(la_batch_page_next(page));
	la_batch_page_free(page);
}

Test(postgres_views, dashboard_pages_follow_cursors_to_the_end)
{
	dashboard_fixture();
	char *cursor = NULL;
	size_t seen = 0, pages = 0;
	do {
		la_batch_page *page = NULL;
		cr_assert_eq(la_view_batches(&page, store, NULL, 4, cursor), LA_OK, "%s",
		             la_error_last());
		for (size_t i = 0; i < la_batch_page_count(page); i++, seen++)
			cr_expect_str_eq(la_batch_page_ref(page, i), expected_order[seen]);
		la_free(cursor);
		const char *next = la_batch_page_next(page);
		cursor = next ? strdup(next) : NULL;
		la_batch_page_free(page);
		pages++;
	} while (cursor);
	cr_assert_eq(seen, 6);
	cr_assert_eq(pages, 2);
}

Test(postgres_views, dashboard_pages_within_one_sku_and_exact_fit)
{
	dashboard_fixture();
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, "LAMP", 2, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 2);
	cr_assert_not_null(la_batch_page_next(page));
	char *cursor = strdup(la_batch_page_next(page));
	la_batch_page_free(page);
	cr_assert_eq(la_view_batches(&page, store, "LAMP", 2, cursor), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 2);
	cr_assert_str_eq(la_batch_page_ref(page, 0), "lamp-early2");
	cr_assert_str_eq(la_batch_page_ref(page, 1), "lamp-late");
	/* exactly the last rows: no further page */
	cr_assert_null(la_batch_page_next(page));
	la_batch_page_free(page);
	free(cursor);
}

Test(postgres_views, a_malformed_cursor_is_refused)
{
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 10, "!!not a cursor!!"), LA_EINVAL);
	cr_assert_null(page);
}
