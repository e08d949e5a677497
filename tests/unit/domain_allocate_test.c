/* Domain: which batch a line goes to, idempotency, out of stock, versions. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const la_batch *batch(const la_product *p, const char *ref)
{
	const la_batch *b = la_product_find_batch(p, ref);
	cr_assert_not_null(b, "no batch %s", ref);
	return b;
}

static int64_t available(const la_product *p, const char *ref)
{
	return la_batch_available_quantity(batch(p, ref));
}

Test(allocate, prefers_in_stock_batches_over_shipments)
{
	la_product *p = test_product("RETRO-CLOCK");
	test_add_batch(p, "shipment-batch", 100, "2011-01-02");
	test_add_batch(p, "in-stock-batch", 100, NULL);

	cr_assert_str_eq(test_allocate(p, "oref", 10), "in-stock-batch");
	cr_assert_eq(available(p, "in-stock-batch"), 90);
	cr_assert_eq(available(p, "shipment-batch"), 100);
	la_product_free(p);
}

Test(allocate, prefers_earlier_etas)
{
	la_product *p = test_product("MINIMALIST-SPOON");
	test_add_batch(p, "slow-batch", 100, "2011-02-01");
	test_add_batch(p, "normal-batch", 100, "2011-01-02");
	test_add_batch(p, "speedy-batch", 100, "2011-01-01");

	cr_assert_str_eq(test_allocate(p, "order1", 10), "speedy-batch");
	cr_assert_eq(available(p, "speedy-batch"), 90);
	cr_assert_eq(available(p, "normal-batch"), 100);
	cr_assert_eq(available(p, "slow-batch"), 100);
	la_product_free(p);
}

Test(allocate, ties_keep_creation_order)
{
	la_product *p = test_product("TIE-SKU");
	/* Names sort the other way round, so only creation order can win. */
	test_add_batch(p, "z-first", 10, "2011-01-01");
	test_add_batch(p, "a-second", 10, "2011-01-01");
	test_add_batch(p, "y-stock-first", 10, NULL);
	test_add_batch(p, "b-stock-second", 10, NULL);

	cr_assert_str_eq(test_allocate(p, "o1", 10), "y-stock-first");
	cr_assert_str_eq(test_allocate(p, "o2", 10), "b-stock-second");
	cr_assert_str_eq(test_allocate(p, "o3", 10), "z-first");
	cr_assert_str_eq(test_allocate(p, "o4", 10), "a-second");
	la_product_free(p);
}

Test(allocate, skips_batches_that_cannot_take_the_line)
{
	la_product *p = test_product("SKIP");
	test_add_batch(p, "small-stock", 5, NULL);
	test_add_batch(p, "big-later", 50, "2011-03-01");
	cr_assert_str_eq(test_allocate(p, "o1", 6), "big-later");
	cr_assert_eq(available(p, "small-stock"), 5);
	/* The in-stock batch still takes a line that fits. */
	cr_assert_str_eq(test_allocate(p, "o2", 5), "small-stock");
	cr_assert_eq(available(p, "small-stock"), 0);
	la_product_free(p);
}

Test(allocate, batches_listed_in_preference_order_with_creation_sequence)
{
	la_product *p = test_product("ORDER");
	test_add_batch(p, "late", 1, "2012-06-01");
	test_add_batch(p, "stock1", 1, NULL);
	test_add_batch(p, "early", 1, "2011-06-01");
	test_add_batch(p, "stock2", 1, NULL);
	test_add_batch(p, "late2", 1, "2012-06-01");

	const char *expected[] = {"stock1", "stock2", "early", "late", "late2"};
	cr_assert_eq(la_product_batch_count(p), 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(la_batch_reference(la_product_batch_at(p, i)), expected[i],
		                 "position %zu", i);
	cr_assert_null(la_product_batch_at(p, 5));
	/* Sequence is creation order whatever the listing order. */
	cr_assert_lt(la_batch_sequence(batch(p, "late")), la_batch_sequence(batch(p, "stock1")));
	cr_assert_lt(la_batch_sequence(batch(p, "stock1")), la_batch_sequence(batch(p, "early")));
	cr_assert_lt(la_batch_sequence(batch(p, "early")), la_batch_sequence(batch(p, "stock2")));
	cr_assert_lt(la_batch_sequence(batch(p, "stock2")), la_batch_sequence(batch(p, "late2")));
	la_product_free(p);
}

Test(allocate, returns_allocated_batch_ref_and_records_the_line)
{
	la_product *p = test_product("HIGHBROW-POSTER");
	test_add_batch(p, "in-stock-batch-ref", 100, NULL);
	test_add_batch(p, "shipment-batch-ref", 100, "2011-01-02");
	const char *ref = test_allocate(p, "oref", 10);
	cr_assert_str_eq(ref, "in-stock-batch-ref");
	const la_batch *b = la_product_find_line(p, "oref");
	cr_assert_not_null(b);
	cr_assert_str_eq(la_batch_reference(b), "in-stock-batch-ref");
	cr_assert_null(la_product_find_line(p, "other"));
	la_product_free(p);
}

Test(allocate, batch_fields_and_figures)
{
	la_product *p = test_product("SMALL-TABLE");
	test_add_batch(p, "batch-001", 20, "2011-01-02");
	test_add_batch(p, "batch-002", 0, NULL);
	const la_batch *b = batch(p, "batch-001");
	cr_assert_str_eq(la_batch_sku(b), "SMALL-TABLE");
	cr_assert_str_eq(la_batch_eta(b), "2011-01-02");
	cr_assert_null(la_batch_eta(batch(p, "batch-002")));
	cr_assert_eq(la_batch_purchased_quantity(batch(p, "batch-002")), 0);

	test_allocate(p, "o1", 2);
	test_allocate(p, "o2", 5);
	b = batch(p, "batch-001");
	cr_assert_eq(la_batch_purchased_quantity(b), 20);
	cr_assert_eq(la_batch_allocated_quantity(b), 7);
	cr_assert_eq(la_batch_available_quantity(b), 13);
	cr_assert_eq(la_batch_line_count(b), 2);
	la_product_free(p);
}

Test(allocate, exact_fit_then_out_of_stock)
{
	la_product *p = test_product("ELEGANT-LAMP");
	test_add_batch(p, "batch1", 2, NULL);
	cr_assert_str_eq(test_allocate(p, "o1", 2), "batch1");
	cr_assert_eq(available(p, "batch1"), 0);
	cr_assert_null(test_allocate(p, "o2", 1));
	la_product_free(p);
}

Test(allocate, out_of_stock_changes_nothing_but_records_event)
{
	la_product *p = test_product("SMALL-FORK");
	test_add_batch(p, "batch1", 10, "2011-01-01");
	test_allocate(p, "order1", 10);
	la_product_clear_events(p);
	const char *ids[] = {"order1", "order2", NULL};
	char *before = test_product_snapshot(p, ids);
	int64_t version = la_product_version(p);

	const char *ref = "sentinel";
	cr_assert_eq(la_product_allocate(&ref, p, "order2", 1), LA_OK);
	cr_assert_null(ref);
	cr_assert_eq(la_product_version(p), version);
	cr_assert_eq(la_product_event_count(p), 1);
	const la_message *e = la_product_event_at(p, 0);
	cr_assert_eq(la_message_kind_of(e), LA_EVT_OUT_OF_STOCK);
	cr_assert_str_eq(la_message_name(e), "OutOfStock");
	cr_assert_str_eq(la_message_sku(e), "SMALL-FORK");
	cr_assert_not(la_message_is_command(e));

	la_product_clear_events(p);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}

Test(allocate, out_of_stock_with_no_batches)
{
	la_product *p = test_product("EMPTY");
	int64_t version = la_product_version(p);
	cr_assert_null(test_allocate(p, "o1", 1));
	cr_assert_eq(la_product_version(p), version);
	cr_assert_eq(la_product_event_count(p), 1);
	cr_assert_eq(la_message_kind_of(la_product_event_at(p, 0)), LA_EVT_OUT_OF_STOCK);
	la_product_free(p);
}

Test(allocate, version_increments_by_exactly_one_per_change)
{
	la_product *p = test_product("VERSIONED");
	int64_t v = la_product_version(p);
	test_add_batch(p, "b1", 100, NULL);
	cr_assert_eq(la_product_version(p), v + 1);
	test_add_batch(p, "b2", 100, "2011-01-01");
	cr_assert_eq(la_product_version(p), v + 2);
	test_allocate(p, "o1", 10);
	cr_assert_eq(la_product_version(p), v + 3);
	test_allocate(p, "o2", 10);
	cr_assert_eq(la_product_version(p), v + 4);
	test_allocate(p, "o2", 10); /* idempotent: no change */
	cr_assert_eq(la_product_version(p), v + 4);
	cr_assert_null(test_allocate(p, "o3", 1000)); /* out of stock: no change */
	cr_assert_eq(la_product_version(p), v + 4);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(la_product_version(p), v + 5);
	test_allocate(p, "o3", 10);
	test_allocate(p, "o4", 10);
	cr_assert_eq(la_product_version(p), v + 7);
	/* Deallocating two lines is still one command: one bump. */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 5), LA_OK);
	cr_assert_eq(la_product_version(p), v + 8);
	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	cr_assert_eq(la_product_version(p), v + 9);
	la_product_free(p);
}

Test(allocate, new_product_starts_at_version_zero_with_nothing)
{
	la_product *p = test_product("FRESH");
	cr_assert_str_eq(la_product_sku(p), "FRESH");
	cr_assert_eq(la_product_version(p), 0);
	cr_assert_eq(la_product_batch_count(p), 0);
	cr_assert_eq(la_product_event_count(p), 0);
	cr_assert_null(la_product_batch_at(p, 0));
	cr_assert_null(la_product_find_batch(p, "nope"));
	cr_assert_null(la_product_find_line(p, "nope"));
	cr_assert_null(la_product_event_at(p, 0));
	la_product_free(p);
	la_product_free(NULL);
}

Test(allocate, adding_batches_records_no_event)
{
	la_product *p = test_product("QUIET");
	test_add_batch(p, "b1", 1, NULL);
	cr_assert_eq(la_product_event_count(p), 0);
	la_product_free(p);
}

Test(allocate, idempotent_for_the_same_line)
{
	la_product *p = test_product("IDEM");
	test_add_batch(p, "b1", 100, NULL);
	cr_assert_str_eq(test_allocate(p, "o1", 10), "b1");
	la_product_clear_events(p);
	const char *ids[] = {"o1", NULL};
	char *before = test_product_snapshot(p, ids);

	cr_assert_str_eq(test_allocate(p, "o1", 10), "b1");
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before, "a repeated allocation changed the product");
	free(before);
	free(after);
	la_product_free(p);
}

Test(allocate, idempotent_even_when_its_batch_is_now_full)
{
	la_product *p = test_product("FULL");
	test_add_batch(p, "small", 10, NULL);
	test_add_batch(p, "large", 100, "2011-01-01");
	cr_assert_str_eq(test_allocate(p, "o1", 10), "small");
	la_product_clear_events(p);
	int64_t v = la_product_version(p);

	/* "small" has no room left and "large" has: the line must not land twice. */
	cr_assert_str_eq(test_allocate(p, "o1", 10), "small");
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "large")), 0);
	cr_assert_eq(la_batch_line_count(la_product_find_batch(p, "large")), 0);
	cr_assert_eq(la_batch_line_count(la_product_find_batch(p, "small")), 1);
	cr_assert_eq(la_product_version(p), v);
	cr_assert_eq(la_product_event_count(p), 0);
	la_product_free(p);
}

Test(allocate, same_order_different_qty_conflicts)
{
	la_product *p = test_product("CONFLICT");
	test_add_batch(p, "b1", 100, NULL);
	test_allocate(p, "o1", 10);
	la_product_clear_events(p);
	const char *ids[] = {"o1", NULL};
	char *before = test_product_snapshot(p, ids);

	const char *ref = NULL;
	la_error_clear();
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 5), LA_ECONFLICT);
	cr_assert_eq(la_error_last_code(), LA_ECONFLICT);
	cr_assert_neq(strlen(la_error_last()), 0);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}

Test(allocate, different_orders_share_a_batch)
{
	la_product *p = test_product("SHARED");
	test_add_batch(p, "b1", 100, NULL);
	test_allocate(p, "o1", 10);
	test_allocate(p, "o2", 15);
	test_allocate(p, "o3", 1);
	const la_batch *b = la_product_find_batch(p, "b1");
	cr_assert_eq(la_batch_line_count(b), 3);
	cr_assert_eq(la_batch_allocated_quantity(b), 26);
	cr_assert_eq(la_batch_available_quantity(b), 74);
	la_product_free(p);
}

Test(allocate, events_carry_fields_in_order)
{
	la_product *p = test_product("EVENTS");
	test_add_batch(p, "b1", 10, NULL);
	test_allocate(p, "o1", 10);
	cr_assert_null(test_allocate(p, "o2", 1));
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);

	const char *expected[] = {"Allocated o1 EVENTS 10 b1", "OutOfStock EVENTS",
	                          "Deallocated o1 EVENTS 10 requested"};
	cr_assert_eq(la_product_event_count(p), 3);
	for (size_t i = 0; i < 3; i++) {
		char *t = test_event_text(la_product_event_at(p, i));
		cr_assert_str_eq(t, expected[i], "event %zu", i);
		free(t);
	}
	const la_message *d = la_product_event_at(p, 2);
	cr_assert_eq(la_message_kind_of(d), LA_EVT_DEALLOCATED);
	cr_assert_eq(la_message_reason(d), LA_REASON_REQUESTED);
	cr_assert_eq(la_message_kind_of(la_product_event_at(p, 0)), LA_EVT_ALLOCATED);

	la_product_clear_events(p);
	cr_assert_eq(la_product_event_count(p), 0);
	la_product_free(p);
}

Test(allocate, many_lines_and_batches)
{
	/* No arbitrary limits: thousands of lines over hundreds of batches. */
	la_product *p = test_product("MANY");
	char ref[32], order[32];
	for (int i = 0; i < 300; i++) {
		snprintf(ref, sizeof ref, "b%03d", i);
		test_add_batch(p, ref, 10, NULL);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(order, sizeof order, "o%05d", i);
		snprintf(ref, sizeof ref, "b%03d", i / 10);
		cr_assert_str_eq(test_allocate(p, order, 1), ref);
	}
	cr_assert_null(test_allocate(p, "one-too-many", 1));
	cr_assert_str_eq(la_batch_reference(la_product_find_line(p, "o01234")), "b123");
	la_product_free(p);
}

Test(allocate, huge_quantities_do_not_overflow)
{
	la_product *p = test_product("HUGE");
	test_add_batch(p, "b1", INT64_MAX, NULL);
	test_add_batch(p, "b2", INT64_MAX, "2011-01-01");
	cr_assert_str_eq(test_allocate(p, "o1", INT64_MAX - 1), "b1");
	cr_assert_str_eq(test_allocate(p, "o2", 2), "b2");
	cr_assert_str_eq(test_allocate(p, "o3", 1), "b1");
	cr_assert_eq(la_batch_available_quantity(la_product_find_batch(p, "b1")), 0);
	cr_assert_str_eq(test_allocate(p, "o4", INT64_MAX - 2), "b2");
	cr_assert_null(test_allocate(p, "o5", INT64_MAX));
	la_product_free(p);
}
