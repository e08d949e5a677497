/* Domain, adapter side (sys/ports.h): change log, revert, loading products. */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static la_change change(const la_product *p, size_t i)
{
	la_change c;
	memset(&c, 0, sizeof c);
	cr_assert_eq(la_product_change_at(&c, p, i), LA_OK, "change %zu", i);
	return c;
}

static la_product *saved_product(void)
{
	la_product *p = test_product("DESK");
	test_add_batch(p, "b1", 50, NULL);
	test_add_batch(p, "b2", 50, "2011-01-01");
	test_allocate(p, "o1", 10);
	test_allocate(p, "o2", 20);
	la_product_changes_saved(p);
	la_product_clear_events(p);
	return p;
}

Test(changelog, new_product_is_new_until_saved)
{
	la_product *p = test_product("DESK");
	cr_assert(la_product_is_new(p));
	test_add_batch(p, "b1", 1, NULL);
	cr_assert_eq(la_product_saved_version(p), 0);
	cr_assert_eq(la_product_change_count(p), 1);
	la_product_changes_saved(p);
	cr_assert_not(la_product_is_new(p));
	cr_assert_eq(la_product_change_count(p), 0);
	cr_assert_eq(la_product_saved_version(p), la_product_version(p));
	la_product_free(p);
}

Test(changelog, lists_every_change_in_order)
{
	la_product *p = saved_product();
	int64_t saved = la_product_saved_version(p);
	cr_assert_eq(saved, la_product_version(p));
	cr_assert_eq(la_product_change_count(p), 0);

	/* o3 does not fit b1 (20 left); b3's ETA comes before b2's. */
	test_add_batch(p, "b3", 30, "2010-05-01");
	cr_assert_str_eq(test_allocate(p, "o3", 25), "b3");
	int64_t seq_o3 = change(p, 1).sequence;
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(la_product_cancel_batch(p, "b3"), LA_OK);
	cr_assert_null(test_allocate(p, "o9", 1000)); /* out of stock: no change */
	test_allocate(p, "o2", 20);                   /* idempotent: no change */
	cr_assert_eq(la_product_saved_version(p), saved);

	cr_assert_eq(la_product_change_count(p), 5);
	la_change c = change(p, 0);
	cr_assert_eq(c.kind, LA_CHANGE_BATCH_ADDED);
	cr_assert_str_eq(c.batchref, "b3");
	cr_assert_eq(c.qty, 30);
	cr_assert_str_eq(c.eta, "2010-05-01");
	cr_assert_gt(c.sequence, 0);

	c = change(p, 1);
	cr_assert_eq(c.kind, LA_CHANGE_LINE_ALLOCATED);
	cr_assert_str_eq(c.batchref, "b3");
	cr_assert_str_eq(c.orderid, "o3");
	cr_assert_eq(c.qty, 25);
	cr_assert_eq(c.sequence, seq_o3);

	c = change(p, 2);
	cr_assert_eq(c.kind, LA_CHANGE_LINE_DEALLOCATED);
	cr_assert_str_eq(c.batchref, "b1");
	cr_assert_str_eq(c.orderid, "o1");
	cr_assert_eq(c.qty, 10);

	/* Cancelling deallocates the batch's lines before removing it. */
	c = change(p, 3);
	cr_assert_eq(c.kind, LA_CHANGE_LINE_DEALLOCATED);
	cr_assert_str_eq(c.orderid, "o3");
	cr_assert_str_eq(c.batchref, "b3");
	c = change(p, 4);
	cr_assert_eq(c.kind, LA_CHANGE_BATCH_REMOVED);
	cr_assert_str_eq(c.batchref, "b3");

	la_change out;
	cr_assert_neq(la_product_change_at(&out, p, 5), LA_OK);
	la_product_free(p);
}

Test(changelog, quantity_change_and_line_sequences)
{
	la_product *p = saved_product();
	test_allocate(p, "o3", 1);
	test_allocate(p, "o4", 1);
	cr_assert_lt(change(p, 0).sequence, change(p, 1).sequence,
	             "later allocations need larger sequences");
	la_product_changes_saved(p);

	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 25), LA_OK);
	/* b1 held o1 10, o2 20, o3 1, o4 1 → o4, o3, o2 go. */
	size_t n = la_product_change_count(p);
	int quantity = 0, dealloc = 0;
	for (size_t i = 0; i < n; i++) {
		la_change c = change(p, i);
		if (c.kind == LA_CHANGE_BATCH_QUANTITY) {
			quantity++;
			cr_assert_str_eq(c.batchref, "b1");
			cr_assert_eq(c.qty, 25);
		} else {
			cr_assert_eq(c.kind, LA_CHANGE_LINE_DEALLOCATED);
			cr_assert_str_eq(c.batchref, "b1");
			dealloc++;
		}
	}
	cr_assert_eq(quantity, 1);
	cr_assert_eq(dealloc, 3);
	la_product_free(p);
}

Test(changelog, revert_restores_exact_state)
{
	la_product *p = saved_product();
	const char *ids[] = {"o1", "o2", "o3", "o4", NULL};
	char *before = test_product_snapshot(p, ids);
	int64_t version = la_product_version(p);

	test_add_batch(p, "b3", 30, "2010-05-01");
	test_allocate(p, "o3", 5);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 1), LA_OK);
	cr_assert_eq(la_product_cancel_batch(p, "b2"), LA_OK);
	cr_assert_null(test_allocate(p, "o4", 1000));
	cr_assert_neq(la_product_version(p), version);

	la_product_revert_changes(p);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);
	cr_assert_eq(la_product_event_count(p), 0);
	cr_assert_eq(la_product_change_count(p), 0);

	/* The reverted product still works: o1 and o2 are back on b1. */
	cr_assert_str_eq(test_allocate(p, "o2", 20), "b1");
	cr_assert_str_eq(test_allocate(p, "o4", 25), "b2");
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 20), LA_OK);
	cr_assert_eq(la_product_event_count(p), 2); /* Allocated o4, Deallocated o2 */
	char *t = test_event_text(la_product_event_at(p, 1));
	cr_assert_str_eq(t, "Deallocated o2 DESK 20 stock_reduced");
	free(t);
	free(before);
	free(after);
	la_product_free(p);
}

Test(changelog, revert_of_a_cancellation_restores_lines_and_their_order)
{
	la_product *p = saved_product(); /* b1: o1 10, o2 20 */
	const char *ids[] = {"o1", "o2", NULL};
	char *before = test_product_snapshot(p, ids);
	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	cr_assert_eq(la_product_change_batch_quantity(p, "b2", 0), LA_OK);
	la_product_revert_changes(p);
	char *after = test_product_snapshot(p, ids);
	cr_assert_str_eq(after, before);

	/* Still most recent first: o2 goes before o1. */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 15), LA_OK);
	cr_assert_eq(la_product_event_count(p), 1);
	char *t = test_event_text(la_product_event_at(p, 0));
	cr_assert_str_eq(t, "Deallocated o2 DESK 20 stock_reduced");
	free(t);
	free(before);
	free(after);
	la_product_free(p);
}

Test(changelog, revert_after_saved_cancellation)
{
	la_product *p = saved_product();
	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	la_product_changes_saved(p);
	la_product_clear_events(p);
	char *before = test_product_snapshot(p, NULL);
	test_add_batch(p, "b1", 5, NULL); /* the reference is free again */
	test_allocate(p, "o1", 5);
	la_product_revert_changes(p);
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	cr_assert_null(la_product_find_batch(p, "b1"));
	free(before);
	free(after);
	la_product_free(p);
}

Test(changelog, revert_without_changes_is_a_no_op)
{
	la_product *p = saved_product();
	char *before = test_product_snapshot(p, NULL);
	la_product_revert_changes(p);
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}

Test(changelog, revert_of_a_new_product_empties_it)
{
	la_product *p = test_product("DESK");
	char *before = test_product_snapshot(p, NULL);
	test_add_batch(p, "b1", 5, NULL);
	test_allocate(p, "o1", 1);
	la_product_revert_changes(p);
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
	la_product_free(p);
}

Test(load, product_as_stored_uses_stored_figures)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "STORED", 7), LA_OK);
	cr_assert_not(la_product_is_new(p));
	cr_assert_eq(la_product_version(p), 7);
	cr_assert_eq(la_product_saved_version(p), 7);
	/* b1 holds 30 in 2 lines, none of which are loaded yet. */
	cr_assert_eq(la_product_load_batch(p, "b1", 100, NULL, 30, 2, 1), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "b2", 10, "2011-01-01", 0, 0, 2), LA_OK);
	cr_assert_eq(la_product_change_count(p), 0);
	cr_assert_eq(la_product_event_count(p), 0);
	const la_batch *b = la_product_find_batch(p, "b1");
	cr_assert_eq(la_batch_allocated_quantity(b), 30);
	cr_assert_eq(la_batch_available_quantity(b), 70);
	cr_assert_eq(la_batch_line_count(b), 2);
	cr_assert_eq(la_batch_sequence(b), 1);

	/* 71 does not fit b1 (70 available) nor b2. */
	cr_assert_null(test_allocate(p, "big", 71));
	la_product_clear_events(p);
	cr_assert_str_eq(test_allocate(p, "fits", 70), "b1");
	cr_assert_eq(la_product_version(p), 8);
	la_product_free(p);
}

Test(load, loaded_lines_drive_idempotency_and_reductions)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "STORED", 7), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "b1", 100, NULL, 30, 2, 1), LA_OK);
	cr_assert_eq(la_product_load_line(p, "b1", "o1", 10, 3), LA_OK);
	cr_assert_eq(la_product_load_line(p, "b1", "o2", 20, 5), LA_OK);
	cr_assert_eq(la_product_load_line(p, "b1", "o2", 20, 5), LA_OK); /* known: no-op */
	cr_assert_eq(la_product_batch_lines_loaded(p, "b1"), LA_OK);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 30);
	cr_assert_eq(la_batch_line_count(la_product_find_batch(p, "b1")), 2);
	cr_assert_eq(la_product_change_count(p), 0);

	cr_assert_str_eq(test_allocate(p, "o1", 10), "b1");
	cr_assert_eq(la_product_version(p), 7);
	const char *ref = NULL;
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 11), LA_ECONFLICT);

	/* Most recent by stored sequence: o2 (5) before o1 (3). */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 15), LA_OK);
	cr_assert_eq(la_product_event_count(p), 1);
	char *t = test_event_text(la_product_event_at(p, 0));
	cr_assert_str_eq(t, "Deallocated o2 STORED 20 stock_reduced");
	free(t);
	cr_assert_eq(la_batch_available_quantity(la_product_find_batch(p, "b1")), 5);
	cr_assert_eq(la_product_version(p), 8);
	la_product_free(p);
}

Test(load, rejects_lines_on_unknown_batches)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "STORED", 1), LA_OK);
	cr_assert_neq(la_product_load_line(p, "nope", "o1", 1, 1), LA_OK);
	cr_assert_neq(la_product_batch_lines_loaded(p, "nope"), LA_OK);
	cr_assert_eq(la_product_load(&(la_product *){NULL}, "", 1), LA_EINVAL);
	la_product_free(p);
}

Test(load, batches_loaded_in_any_order_sort_by_preference)
{
	la_product *p = NULL;
	/* Stored sequences never exceed the stored version. */
	cr_assert_eq(la_product_load(&p, "STORED", 9), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "late", 10, "2012-01-01", 0, 0, 1), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "second", 10, NULL, 0, 0, 7), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "first", 10, NULL, 0, 0, 5), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "early", 10, "2011-01-01", 0, 0, 2), LA_OK);
	const char *expected[] = {"first", "second", "early", "late"};
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(la_batch_reference(la_product_batch_at(p, i)), expected[i],
		                 "position %zu", i);
	cr_assert_str_eq(test_allocate(p, "o1", 10), "first");

	/* A new batch comes after every stored one on ties. */
	test_add_batch(p, "new", 10, NULL);
	const la_batch *b = la_product_find_batch(p, "new");
	cr_assert_gt(la_batch_sequence(b), 7);
	cr_assert_str_eq(la_batch_reference(la_product_batch_at(p, 2)), "new");
	la_change c = change(p, la_product_change_count(p) - 1);
	cr_assert_eq(c.kind, LA_CHANGE_BATCH_ADDED);
	cr_assert_eq(c.sequence, la_batch_sequence(b));
	la_product_free(p);
}

/* Batches are kept sorted by (eta, sequence) and found by binary search:
 * two stored batches in one place would make cancelling one detach the
 * other and leave a dangling pointer. Such rows are refused on load. */
Test(load, two_batches_with_one_eta_and_sequence_are_refused)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "STORED", 9), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "b1", 10, "2011-01-01", 0, 0, 3), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "b2", 10, NULL, 0, 0, 3), LA_OK, "other eta");
	cr_assert_eq(la_product_load_batch(p, "b3", 10, "2011-01-01", 0, 0, 4), LA_OK,
	             "other sequence");
	cr_assert_eq(la_product_load_batch(p, "twin", 20, "2011-01-01", 0, 0, 3), LA_ECONFLICT);
	const char *msg = la_error_last();
	cr_assert(strstr(msg, "b1") && strstr(msg, "twin") && strstr(msg, "sequence"), "%s", msg);
	cr_assert_eq(la_product_batch_count(p), 3, "nothing was added");
	cr_assert_null(la_product_find_batch(p, "twin"));
	/* the product stays whole: every batch can still be cancelled */
	cr_assert_eq(la_product_cancel_batch(p, "b1"), LA_OK);
	cr_assert_eq(la_product_cancel_batch(p, "b3"), LA_OK);
	cr_assert_eq(la_product_batch_count(p), 1);
	cr_assert_str_eq(la_batch_reference(la_product_batch_at(p, 0)), "b2");
	la_product_free(p);
}

Test(load, new_lines_are_more_recent_than_stored_ones)
{
	la_product *p = NULL;
	cr_assert_eq(la_product_load(&p, "STORED", 9), LA_OK);
	cr_assert_eq(la_product_load_batch(p, "b1", 30, NULL, 20, 2, 1), LA_OK);
	cr_assert_eq(la_product_load_line(p, "b1", "o2", 10, 9), LA_OK);
	cr_assert_eq(la_product_load_line(p, "b1", "o1", 10, 4), LA_OK);
	cr_assert_eq(la_product_batch_lines_loaded(p, "b1"), LA_OK);
	cr_assert_str_eq(test_allocate(p, "o3", 10), "b1");
	cr_assert_gt(change(p, 0).sequence, 9);
	la_product_clear_events(p);
	/* 30 allocated, 15 purchased: o3 (newest) then o2 go; o1 stays. */
	cr_assert_eq(la_product_change_batch_quantity(p, "b1", 15), LA_OK);
	cr_assert_eq(la_product_event_count(p), 2);
	char *t0 = test_event_text(la_product_event_at(p, 0));
	char *t1 = test_event_text(la_product_event_at(p, 1));
	cr_assert_str_eq(t0, "Deallocated o3 STORED 10 stock_reduced");
	cr_assert_str_eq(t1, "Deallocated o2 STORED 10 stock_reduced");
	free(t0);
	free(t1);
	la_product_free(p);
}
