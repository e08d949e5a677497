/*
 * The order history (issue 14, docs/history.md) through the bus, on whatever
 * store tests/support/store_factory.h opens: each case checks the whole
 * sequence of entries an order's story writes, with the test clock's times.
 * Holds and backorders need a store that keeps them (issue 13): where the
 * store answers Confirm with LA_EUNSUPPORTED, those cases are skipped.
 */
#include "bus_fixture.h"

#include <criterion/criterion.h>
#include <string.h>

static int64_t test_now;
static la_store *store;
static la_bus *bus;

static void open_bus(unsigned int flags)
{
	test_now = 1700000000;
	test_bus_open_clocked(&store, &bus, &test_now, flags);
}

static void close_bus(void)
{
	test_bus_close(store, bus);
}

/* Handle one command (owned) at time now and return its status. */
static int run_at(int64_t now, la_message *cmd)
{
	test_now = now;
	return test_bus_run(bus, cmd);
}

static void batch_at(int64_t now, const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m;
	cr_assert_eq(la_command_create_batch(&m, ref, sku, qty, eta), LA_OK);
	cr_assert_eq(run_at(now, m), LA_OK, "%s", la_error_last());
}

static void allocate_at(int64_t now, const char *orderid, const char *sku, int64_t qty,
                        int64_t hold)
{
	la_message *m;
	cr_assert_eq(la_command_allocate_with(&m, orderid, sku, qty, hold, NULL), LA_OK);
	cr_assert_eq(run_at(now, m), LA_OK, "%s", la_error_last());
}

/* One expected entry; batchref and reason NULL where none. */
typedef struct expected {
	int64_t at;
	const char *event, *sku;
	int64_t qty;
	const char *batchref, *reason;
	int64_t expires;
} expected;

static void check_history_of(la_store *from, const char *orderid, const expected *want,
                             size_t count)
{
	la_history_list *list = NULL;
	cr_assert_eq(la_view_history(&list, from, orderid), LA_OK, "%s", la_error_last());
	size_t n = la_history_list_count(list);
	cr_assert_eq(n, count, "%s: %zu entries, expected %zu (first: %s)", test_store_name(), n,
	             count, n ? la_history_list_event_name(list, 0) : "none");
	for (size_t i = 0; i < n; i++) {
		const expected *e = &want[i];
		cr_expect_eq(la_history_list_time(list, i), e->at, "entry %zu time", i);
		cr_expect_str_eq(la_history_list_event_name(list, i), e->event, "entry %zu", i);
		cr_expect_str_eq(la_history_list_sku(list, i), e->sku, "entry %zu sku", i);
		cr_expect_eq(la_history_list_qty(list, i), e->qty, "entry %zu qty", i);
		const char *ref = la_history_list_batchref(list, i);
		if (e->batchref)
			cr_expect(ref && strcmp(ref, e->batchref) == 0, "entry %zu batchref %s", i,
			          ref ? ref : "NULL");
		else
			cr_expect_null(ref, "entry %zu batchref %s", i, ref);
		const char *reason = la_history_list_reason_name(list, i);
		if (e->reason)
			cr_expect(reason && strcmp(reason, e->reason) == 0, "entry %zu reason %s",
			          i, reason ? reason : "NULL");
		else
			cr_expect_null(reason, "entry %zu reason %s", i, reason);
		cr_expect_eq(la_history_list_expires(list, i), e->expires, "entry %zu expires", i);
	}
	la_history_list_free(list);
}

#define CHECK_HISTORY(orderid, ...)                                                                \
	do {                                                                                       \
		const expected want_[] = {__VA_ARGS__};                                            \
		check_history_of(store, orderid, want_, sizeof want_ / sizeof want_[0]);           \
	} while (0)

static void check_no_history(const char *orderid)
{
	check_history_of(store, orderid, NULL, 0);
}

/* Holds and backorders need a store that keeps them (issue 13). */
static void require_holds(void)
{
	la_message *m;
	cr_assert_eq(la_command_confirm(&m, "probe"), LA_OK);
	int rc = la_bus_handle(bus, m);
	la_message_free(m);
	if (rc == LA_EUNSUPPORTED) {
		close_bus();
		cr_skip_test("the %s store keeps no holds yet (issue 13)", test_store_name());
	}
}

Test(history, an_allocation_is_recorded_with_its_time)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	check_no_history("o1");
	allocate_at(1700000100, "o1", "LAMP", 3, 0);
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 3, "b1", NULL, 0});
	check_no_history("o2");
	close_bus();
}

Test(history, a_quantity_change_moves_a_line)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	batch_at(1700000000, "b2", "LAMP", 10, "2030-01-01");
	allocate_at(1700000100, "o1", "LAMP", 4, 0);
	allocate_at(1700000200, "o2", "LAMP", 5, 0);
	la_message *m;
	cr_assert_eq(la_command_change_batch_quantity(&m, "b1", 5), LA_OK);
	cr_assert_eq(run_at(1700000300, m), LA_OK, "%s", la_error_last());
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 4, "b1", NULL, 0});
	CHECK_HISTORY("o2", {1700000200, "Allocated", "LAMP", 5, "b1", NULL, 0},
	              {1700000300, "Deallocated", "LAMP", 5, "b1", "stock_reduced", 0},
	              {1700000300, "Allocated", "LAMP", 5, "b2", NULL, 0});
	close_bus();
}

Test(history, a_cancelled_batch_moves_its_lines)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	batch_at(1700000000, "b2", "LAMP", 10, "2030-01-01");
	allocate_at(1700000100, "o1", "LAMP", 2, 0);
	la_message *m;
	cr_assert_eq(la_command_cancel_batch(&m, "b1"), LA_OK);
	cr_assert_eq(run_at(1700000400, m), LA_OK, "%s", la_error_last());
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 2, "b1", NULL, 0},
	              {1700000400, "Deallocated", "LAMP", 2, "b1", "stock_reduced", 0},
	              {1700000400, "Allocated", "LAMP", 2, "b2", NULL, 0});
	close_bus();
}

Test(history, a_deallocation_says_why)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	batch_at(1700000000, "t1", "TABLE", 10, NULL);
	allocate_at(1700000100, "o1", "LAMP", 2, 0);
	allocate_at(1700000150, "o1", "TABLE", 1, 0);
	la_message *m;
	cr_assert_eq(la_command_deallocate(&m, "o1", "LAMP"), LA_OK);
	cr_assert_eq(run_at(1700000500, m), LA_OK, "%s", la_error_last());
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 2, "b1", NULL, 0},
	              {1700000150, "Allocated", "TABLE", 1, "t1", NULL, 0},
	              {1700000500, "Deallocated", "LAMP", 2, "b1", "requested", 0});
	close_bus();
}

Test(history, a_failed_command_writes_nothing)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	batch_at(1700000000, "t1", "TABLE", 1, NULL);
	la_message *m;
	/* whole orders: the LAMP line is placed, then undone when TABLE is short */
	const char *skus[] = {"LAMP", "TABLE"};
	const int64_t qtys[] = {3, 4};
	cr_assert_eq(la_command_allocate_order(&m, "o1", skus, qtys, 2, 0), LA_OK);
	cr_assert_eq(run_at(1700000100, m), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_OUT_OF_STOCK);
	check_no_history("o1");
	/* refused outright: an unknown sku, a line deallocated twice */
	cr_assert_eq(la_command_allocate(&m, "o2", "NOSUCH", 1), LA_OK);
	cr_assert_neq(run_at(1700000200, m), LA_OK);
	check_no_history("o2");
	allocate_at(1700000300, "o3", "LAMP", 1, 0);
	cr_assert_eq(la_command_deallocate(&m, "o3", "TABLE"), LA_OK);
	cr_assert_neq(run_at(1700000400, m), LA_OK);
	CHECK_HISTORY("o3", {1700000300, "Allocated", "LAMP", 1, "b1", NULL, 0});
	close_bus();
}

Test(history, survives_reopening_the_store)
{
	open_bus(0);
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	allocate_at(1700000100, "o1", "LAMP", 3, 0);
	la_message *m;
	cr_assert_eq(la_command_deallocate(&m, "o1", "LAMP"), LA_OK);
	cr_assert_eq(run_at(1700000200, m), LA_OK, "%s", la_error_last());
	la_store *again = NULL;
	int rc = test_store_reopen(&again, store);
	if (rc == LA_EUNSUPPORTED) {
		close_bus();
		cr_skip_test("the %s store keeps nothing after it is closed", test_store_name());
	}
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	la_bus_free(bus);
	la_store_free(store); /* only the other connection is left */
	store = again;
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 3, "b1", NULL, 0},
	              {1700000200, "Deallocated", "LAMP", 3, "b1", "requested", 0});
	la_store_free(store);
}

Test(history, a_hold_then_its_confirmation)
{
	open_bus(0);
	require_holds();
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	allocate_at(1700000100, "o1", "LAMP", 4, 60);
	la_message *m;
	cr_assert_eq(la_command_confirm(&m, "o1"), LA_OK);
	cr_assert_eq(run_at(1700000130, m), LA_OK, "%s", la_error_last());
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 4, "b1", NULL, 1700000160},
	              {1700000130, "Confirmed", "LAMP", 4, "b1", NULL, 0});
	close_bus();
}

Test(history, a_hold_that_expires)
{
	open_bus(0);
	require_holds();
	batch_at(1700000000, "b1", "LAMP", 10, NULL);
	allocate_at(1700000100, "o1", "LAMP", 4, 60);
	la_message *m;
	cr_assert_eq(la_command_expire_holds(&m, 1700000160), LA_OK);
	cr_assert_eq(run_at(1700000170, m), LA_OK, "%s", la_error_last());
	CHECK_HISTORY("o1", {1700000100, "Allocated", "LAMP", 4, "b1", NULL, 1700000160},
	              {1700000170, "Deallocated", "LAMP", 4, "b1", "expired", 0});
	close_bus();
}

Test(history, a_backorder_then_its_allocation)
{
	open_bus(LA_BUS_BACKORDERS);
	require_holds();
	batch_at(1700000000, "b1", "LAMP", 2, NULL);
	allocate_at(1700000100, "o1", "LAMP", 5, 0);
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_BACKORDERED);
	allocate_at(1700000150, "o2", "LAMP", 6, 0);
	la_message *m;
	cr_assert_eq(la_command_deallocate(&m, "o2", "LAMP"), LA_OK);
	cr_assert_eq(run_at(1700000180, m), LA_OK, "%s", la_error_last());
	batch_at(1700000200, "b2", "LAMP", 10, NULL);
	CHECK_HISTORY("o1", {1700000100, "Backordered", "LAMP", 5, NULL, NULL, 0},
	              {1700000200, "Allocated", "LAMP", 5, "b2", NULL, 0});
	/* a waiting line cancelled: Deallocated with no batch */
	CHECK_HISTORY("o2", {1700000150, "Backordered", "LAMP", 6, NULL, NULL, 0},
	              {1700000180, "Deallocated", "LAMP", 6, NULL, "requested", 0});
	close_bus();
}

Test(history, bad_arguments_are_refused)
{
	open_bus(0);
	la_history_list *list = NULL;
	cr_assert_eq(la_view_history(&list, store, ""), LA_EINVAL);
	cr_assert_eq(la_view_history(NULL, store, "o1"), LA_EINVAL);
	cr_assert_eq(la_view_history(&list, NULL, "o1"), LA_EINVAL);
	cr_assert_null(list);
	cr_assert_null(la_history_list_sku(NULL, 0));
	cr_assert_eq(la_history_list_count(NULL), 0);
	close_bus();
}
