/*
 * Whole orders, holds and backorders through the bus (issue 13), on whatever
 * store tests/support/store_factory.h opens. Time comes from a test clock.
 */
#include "bus_fixture.h"

#include <criterion/criterion.h>
#include <string.h>

static int64_t test_now = 1000000;
static la_store *store;
static la_bus *bus;

static void open_bus(unsigned int flags)
{
	test_now = 1000000;
	test_bus_open_clocked(&store, &bus, &test_now, flags);
}

static void close_bus(void)
{
	test_bus_close(store, bus);
}

/* Handle one command (owned) and return its status. */
static int run(la_message *cmd)
{
	return test_bus_run(bus, cmd);
}

static void batch(const char *ref, const char *sku, int64_t qty)
{
	la_message *m;
	cr_assert_eq(la_command_create_batch(&m, ref, sku, qty, NULL), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
}

static int allocate(const char *orderid, const char *sku, int64_t qty, int64_t hold)
{
	la_message *m;
	cr_assert_eq(la_command_allocate_with(&m, orderid, sku, qty, hold, NULL), LA_OK, "%s",
	             la_error_last());
	return run(m);
}

static int64_t available(const char *ref)
{
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, store, ref), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	int64_t n = la_batch_page_available(page, 0);
	la_batch_page_free(page);
	return n;
}

static int row_status(const char *orderid, const char *sku, int64_t *expires)
{
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	int status = 0;
	for (size_t i = 0; i < la_allocation_list_count(list); i++)
		if (strcmp(la_allocation_list_sku(list, i), sku) == 0) {
			status = la_allocation_list_status(list, i);
			if (expires)
				*expires = la_allocation_list_expires(list, i);
		}
	la_allocation_list_free(list);
	return status;
}

Test(orders, a_whole_order_is_placed_in_full)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	batch("b2", "TABLE", 10);
	const char *skus[] = {"TABLE", "LAMP"};
	const int64_t qtys[] = {3, 4};
	la_message *m;
	cr_assert_eq(la_command_allocate_order(&m, "o1", skus, qtys, 2, 0), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_ALLOCATED);
	cr_assert_eq(la_bus_result_line_count(bus, 0), 2);
	cr_assert_str_eq(la_bus_result_line_sku(bus, 0, 0), "TABLE");
	cr_assert_str_eq(la_bus_result_line_batchref(bus, 0, 0), "b2");
	cr_assert_str_eq(la_bus_result_line_batchref(bus, 0, 1), "b1");
	cr_assert_eq(available("b1"), 6);
	cr_assert_eq(available("b2"), 7);
	close_bus();
}

Test(orders, a_short_order_changes_nothing)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	batch("b2", "TABLE", 2);
	const char *skus[] = {"LAMP", "TABLE"};
	const int64_t qtys[] = {3, 4};
	la_message *m;
	cr_assert_eq(la_command_allocate_order(&m, "o1", skus, qtys, 2, 0), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_OUT_OF_STOCK);
	cr_assert_eq(la_bus_result_line_short(bus, 0, 0), 0);
	cr_assert_eq(la_bus_result_line_short(bus, 0, 1), 1);
	cr_assert_null(la_bus_result_line_batchref(bus, 0, 0));
	cr_assert_eq(available("b1"), 10, "the LAMP line must not stay");
	cr_assert_eq(available("b2"), 2);
	cr_assert_eq(row_status("o1", "LAMP", NULL), 0);
	close_bus();
}

Test(orders, a_hold_expires_and_frees_its_stock)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	cr_assert_eq(allocate("o1", "LAMP", 4, 60), LA_OK, "%s", la_error_last());
	int64_t expires = 0;
	cr_assert_eq(row_status("o1", "LAMP", &expires), LA_LINE_HELD);
	cr_assert_eq(expires, 1000060);
	cr_assert_eq(available("b1"), 6);
	la_message *m;
	cr_assert_eq(la_command_expire_holds(&m, 1000059), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(available("b1"), 6, "not yet expired");
	cr_assert_eq(la_command_expire_holds(&m, 1000060), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(available("b1"), 10);
	cr_assert_eq(row_status("o1", "LAMP", NULL), 0);
	close_bus();
}

/* A held line moved by a quantity change (spec 1.1.7) keeps its hold and
 * its end: it is still held on its new batch and expires as it would have. */
Test(orders, a_held_line_moved_by_a_quantity_change_keeps_its_hold)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	cr_assert_eq(allocate("o1", "LAMP", 4, 60), LA_OK, "%s", la_error_last());
	batch("b2", "LAMP", 10);
	la_message *m;
	cr_assert_eq(la_command_change_batch_quantity(&m, "b1", 2), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	int64_t expires = 0;
	cr_assert_eq(row_status("o1", "LAMP", &expires), LA_LINE_HELD);
	cr_assert_eq(expires, 1000060);
	cr_assert_eq(available("b2"), 6, "moved to b2");
	cr_assert_eq(la_command_expire_holds(&m, 1000060), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(available("b2"), 10, "the moved hold expired");
	cr_assert_eq(row_status("o1", "LAMP", NULL), 0);
	close_bus();
}

Test(orders, a_confirmed_hold_stays)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	cr_assert_eq(allocate("o1", "LAMP", 4, 60), LA_OK, "%s", la_error_last());
	la_message *m;
	cr_assert_eq(la_command_confirm(&m, "o1"), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(row_status("o1", "LAMP", NULL), LA_LINE_ALLOCATED);
	cr_assert_eq(la_command_expire_holds(&m, 2000000), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(available("b1"), 6);
	cr_assert_eq(la_command_confirm(&m, "nobody"), LA_OK);
	cr_assert_eq(run(m), LA_ENOTFOUND);
	close_bus();
}

Test(orders, a_backorder_fills_when_stock_arrives)
{
	open_bus(LA_BUS_BACKORDERS);
	batch("b1", "LAMP", 2);
	cr_assert_eq(allocate("o1", "LAMP", 5, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_BACKORDERED);
	cr_assert_eq(allocate("o2", "LAMP", 1, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_ALLOCATED,
	             "a line that fits is placed at once");
	cr_assert_eq(row_status("o1", "LAMP", NULL), LA_LINE_BACKORDERED);
	batch("b2", "LAMP", 10);
	cr_assert_eq(row_status("o1", "LAMP", NULL), LA_LINE_ALLOCATED);
	cr_assert_eq(available("b2"), 5);
	close_bus();
}

Test(orders, without_backorders_the_book_is_unchanged)
{
	open_bus(0);
	batch("b1", "LAMP", 2);
	cr_assert_eq(allocate("o1", "LAMP", 5, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_OUT_OF_STOCK);
	batch("b2", "LAMP", 10);
	cr_assert_eq(row_status("o1", "LAMP", NULL), 0);
	cr_assert_eq(available("b2"), 10);
	close_bus();
}

/* The dashboard row of ref: its held and its sku's waiting quantity. */
static void figures(const char *ref, int64_t *held, int64_t *waiting)
{
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, store, ref), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	*held = la_batch_page_held(page, 0);
	*waiting = la_batch_page_waiting(page, 0);
	la_batch_page_free(page);
}

Test(orders, holds_and_waiting_lines_survive_closing_the_store)
{
	open_bus(LA_BUS_BACKORDERS);
	batch("b1", "LAMP", 5);
	cr_assert_eq(allocate("o1", "LAMP", 3, 60), LA_OK, "%s", la_error_last());
	cr_assert_eq(allocate("o2", "LAMP", 4, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_BACKORDERED);
	la_store *again = NULL;
	int rc = test_store_reopen(&again, store);
	if (rc == LA_EUNSUPPORTED) {
		close_bus();
		cr_skip_test("the %s store keeps nothing once closed", test_store_name());
	}
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	close_bus();
	store = again;
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.clock = test_clock;
	opts.clock_payload = &test_now;
	opts.flags = LA_BUS_BACKORDERS;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());

	int64_t expires = 0, held = 0, waiting = 0;
	cr_assert_eq(row_status("o1", "LAMP", &expires), LA_LINE_HELD);
	cr_assert_eq(expires, 1000060);
	cr_assert_eq(row_status("o2", "LAMP", NULL), LA_LINE_BACKORDERED);
	figures("b1", &held, &waiting);
	cr_assert_eq(held, 3);
	cr_assert_eq(waiting, 4);
	cr_assert_eq(available("b1"), 2);

	/* the hold ends: its stock goes to the waiting line */
	la_message *m;
	cr_assert_eq(la_command_expire_holds(&m, 1000060), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
	cr_assert_eq(row_status("o1", "LAMP", NULL), 0);
	cr_assert_eq(row_status("o2", "LAMP", NULL), LA_LINE_ALLOCATED);
	figures("b1", &held, &waiting);
	cr_assert_eq(held, 0);
	cr_assert_eq(waiting, 0);
	cr_assert_eq(available("b1"), 1);
	close_bus();
}
