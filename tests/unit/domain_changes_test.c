/* Domain: deallocation, batch quantity changes and cancellation. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void assert_events(const la_product *p, const char *const *expected, size_t n)
{
	cr_assert_eq(la_product_event_count(p), n, "expected %zu events, got %zu", n,
	             la_product_event_count(p));
	for (size_t i = 0; i < n; i++) {
		char *t = test_event_text(la_product_event_at(p, i));
		cr_assert_str_eq(t, expected[i], "event %zu", i);
		free(t);
	}
}

static const la_batch *batch(const la_product *p, const char *ref)
{
	const la_batch *b = la_product_find_batch(p, ref);
	cr_assert_not_null(b, "no batch %s", ref);
	return b;
}

Test(deallocate, frees_quantity_and_records_requested)
{
	la_product *p = test_product("SOFA");
	test_add_batch(p, "b1", 20, NULL);
	test_allocate(p, "o1", 5);
	test_allocate(p, "o2", 7);
	la_product_clear_events(p);
	int64_t v = la_product_version(p);

	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(la_product_version(p), v + 1);
	const la_batch *b = batch(p, "b1");
	cr_assert_eq(la_batch_allocated_quantity(b), 7);
	cr_assert_eq(la_batch_available_quantity(b), 13);
	cr_assert_eq(la_batch_line_count(b), 1);
	cr_assert_null(la_product_find_line(p, "o1"));
	cr_assert_not_null(la_product_find_line(p, "o2"));
	/* Not reallocated: only the Deallocated event. */
	const char *expected[] = {"Deallocated o1 SOFA 5 requested"};
	assert_events(p, expected, 1);
	la_product_free(p);
}

Test(deallocate, unknown_line_is_not_found_and_changes_nothing)
{
	la_product *p = test_product("SOFA");
	test_add_batch(p, "b1", 20, NULL);
	test_allocate(p, "o1", 5);
	la_product_clear_events(p);
	const char *ids[] = {"o1", "o2", NULL};
	char *before = test_product_snapshot(p, ids);

	cr_assert_eq(la_product_deallocate(p, "o2"), LA_ENOTFOUND);
	cr_assert_eq(la_error_last_code(), LA_ENOTFOUND);
	cr_assert_neq(strlen(la_error_last()), 0);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);

	/* Twice: the second is unknown too. */
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_ENOTFOUND);
	free(before);
	free(after);
	la_product_free(p);
}

Test(deallocate, line_can_be_allocated_again_with_another_qty)
{
	la_product *p = test_product("SOFA");
	test_add_batch(p, "b1", 20, NULL);
	test_allocate(p, "o1", 5);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_str_eq(test_allocate(p, "o1", 8), "b1");
	cr_assert_eq(la_batch_allocated_quantity(batch(p, "b1")), 8);
	la_product_free(p);
}

Test(change_batch_quantity, deallocates_most_recent_first_until_available)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 50, NULL);
	test_add_batch(p, "b2", 50, "2011-01-01");
	test_allocate(p, "o1", 20);
	test_allocate(p, "o2", 20);
	test_allocate(p, "o3", 5);
	la_product_clear_events(p);
	int64_t v = la_product_version(p);

	/* 45 allocated, 25 purchased: o3 (5) then o2 (20) go, o1 stays. */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 25), LA_OK);
	const char *expected[] = {"Deallocated o3 CHAIR 5 stock_reduced",
	                          "Deallocated o2 CHAIR 20 stock_reduced"};
	assert_events(p, expected, 2);
	cr_assert_eq(la_message_reason(la_product_event_at(p, 0)), LA_REASON_STOCK_REDUCED);
	const la_batch *b = batch(p, "b1");
	cr_assert_eq(la_batch_purchased_quantity(b), 25);
	cr_assert_eq(la_batch_allocated_quantity(b), 20);
	cr_assert_eq(la_batch_available_quantity(b), 5);
	cr_assert_eq(la_batch_line_count(b), 1);
	cr_assert_not_null(la_product_find_line(p, "o1"));
	cr_assert_null(la_product_find_line(p, "o2"));
	cr_assert_null(la_product_find_line(p, "o3"));
	/* The domain does not reallocate (the bus does): b2 untouched. */
	cr_assert_eq(la_batch_allocated_quantity(batch(p, "b2")), 0);
	cr_assert_eq(la_product_version(p), v + 1);
	la_product_free(p);
}

Test(change_batch_quantity, stops_as_soon_as_available_is_not_negative)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 30, NULL);
	test_allocate(p, "o1", 10);
	test_allocate(p, "o2", 10);
	test_allocate(p, "o3", 10);
	la_product_clear_events(p);
	/* Exactly 20 keeps o1 and o2 with 0 available. */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 20), LA_OK);
	const char *expected[] = {"Deallocated o3 CHAIR 10 stock_reduced"};
	assert_events(p, expected, 1);
	cr_assert_eq(la_batch_available_quantity(batch(p, "b1")), 0);
	la_product_free(p);
}

Test(change_batch_quantity, idempotent_repeat_is_not_more_recent)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 30, NULL);
	test_allocate(p, "o1", 10);
	test_allocate(p, "o2", 10);
	test_allocate(p, "o1", 10); /* a redelivered message: changes nothing */
	la_product_clear_events(p);
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 15), LA_OK);
	const char *expected[] = {"Deallocated o2 CHAIR 10 stock_reduced"};
	assert_events(p, expected, 1);
	la_product_free(p);
}

Test(change_batch_quantity, to_zero_deallocates_everything_newest_first)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 30, NULL);
	test_allocate(p, "o1", 1);
	test_allocate(p, "o2", 2);
	test_allocate(p, "o3", 3);
	cr_assert_eq(la_product_deallocate(p, "o2"), LA_OK);
	test_allocate(p, "o2", 2); /* now the most recent */
	la_product_clear_events(p);
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 0), LA_OK);
	const char *expected[] = {"Deallocated o2 CHAIR 2 stock_reduced",
	                          "Deallocated o3 CHAIR 3 stock_reduced",
	                          "Deallocated o1 CHAIR 1 stock_reduced"};
	assert_events(p, expected, 3);
	const la_batch *b = batch(p, "b1");
	cr_assert_eq(la_batch_line_count(b), 0);
	cr_assert_eq(la_batch_allocated_quantity(b), 0);
	cr_assert_eq(la_batch_available_quantity(b), 0);
	la_product_free(p);
}

Test(change_batch_quantity, raising_keeps_lines_and_bumps_version)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 10, NULL);
	test_allocate(p, "o1", 10);
	la_product_clear_events(p);
	int64_t v = la_product_version(p);
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 40), LA_OK);
	cr_assert_eq(la_product_event_count(p), 0);
	cr_assert_eq(la_batch_purchased_quantity(batch(p, "b1")), 40);
	cr_assert_eq(la_batch_available_quantity(batch(p, "b1")), 30);
	cr_assert_eq(la_product_version(p), v + 1);
	la_product_free(p);
}

Test(change_batch_quantity, leaves_other_batches_alone)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 10, NULL);
	test_add_batch(p, "b2", 10, "2011-01-01");
	test_allocate(p, "o1", 10); /* b1 */
	test_allocate(p, "o2", 10); /* b2, the most recent line overall */
	la_product_clear_events(p);
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 5), LA_OK);
	const char *expected[] = {"Deallocated o1 CHAIR 10 stock_reduced"};
	assert_events(p, expected, 1);
	cr_assert_str_eq(la_batch_reference(la_product_find_line(p, "o2")), "b2");
	la_product_free(p);
}

Test(change_batch_quantity, unknown_ref_is_not_found)
{
	la_product *p = test_product("CHAIR");
	test_add_batch(p, "b1", 10, NULL);
	char *before = test_product_snapshot(p, NULL);
	cr_assert_eq(la_product_change_batch_quantity(p, "b9", 5), LA_ENOTFOUND);
	cr_assert_eq(la_error_last_code(), LA_ENOTFOUND);
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}

Test(cancel_batch, removes_batch_and_deallocates_each_line)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 50, NULL);
	test_add_batch(p, "b2", 50, "2011-01-01");
	test_allocate(p, "o1", 10);
	test_allocate(p, "o2", 20);
	la_product_clear_events(p);
	int64_t v = la_product_version(p);

	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	cr_assert_null(la_product_find_batch(p, "b1"));
	cr_assert_eq(la_product_batch_count(p), 1);
	cr_assert_str_eq(la_batch_reference(la_product_batch_at(p, 0)), "b2");
	cr_assert_null(la_product_find_line(p, "o1"));
	cr_assert_null(la_product_find_line(p, "o2"));
	cr_assert_eq(la_batch_allocated_quantity(batch(p, "b2")), 0);
	cr_assert_eq(la_product_version(p), v + 1);

	/* One stock_reduced Deallocated per line (order not specified). */
	cr_assert_eq(la_product_event_count(p), 2);
	int seen1 = 0, seen2 = 0;
	for (size_t i = 0; i < 2; i++) {
		char *t = test_event_text(la_product_event_at(p, i));
		seen1 += strcmp(t, "Deallocated o1 LAMP 10 stock_reduced") == 0;
		seen2 += strcmp(t, "Deallocated o2 LAMP 20 stock_reduced") == 0;
		free(t);
	}
	cr_assert(seen1 == 1 && seen2 == 1, "events were not one per line");
	la_product_free(p);
}

Test(cancel_batch, empty_batch_records_no_event)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 50, NULL);
	int64_t v = la_product_version(p);
	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	cr_assert_eq(la_product_event_count(p), 0);
	cr_assert_eq(la_product_batch_count(p), 0);
	cr_assert_eq(la_product_version(p), v + 1);
	/* Allocation after cancellation: nothing left. */
	cr_assert_null(test_allocate(p, "o1", 1));
	la_product_free(p);
}

Test(cancel_batch, unknown_ref_is_not_found)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 10, NULL);
	test_allocate(p, "o1", 1);
	la_product_clear_events(p);
	const char *ids[] = {"o1", NULL};
	char *before = test_product_snapshot(p, ids);
	cr_assert_eq(la_product_cancel_batch(p, "nope"), LA_ENOTFOUND);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}
