/*
 * Check and repair (check.h) on whatever store tests/support/store_factory.h
 * opens: a healthy store reports nothing and repair changes nothing; each
 * corruption tests/support/corrupt.h makes is found, naming what it breaks,
 * and repair fixes what can be fixed without deleting an allocation.
 */
#include "corrupt.h"
#include "store_factory.h"

#include <criterion/criterion.h>
#include <string.h>

static la_store *store;
static la_bus *bus;

static void open_bus(void)
{
	cr_assert_eq(test_store_open(&store), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK, "%s", la_error_last());
}

static void close_bus(void)
{
	la_bus_free(bus);
	la_store_free(store);
}

TestSuite(check, .init = open_bus, .fini = close_bus);

static void run(la_message *cmd)
{
	cr_assert_not_null(cmd);
	int rc = la_bus_handle(bus, cmd);
	la_message_free(cmd);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
}

static void batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_create_batch(&m, ref, sku, qty, eta), LA_OK);
	run(m);
}

static void allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_allocate(&m, orderid, sku, qty), LA_OK);
	run(m);
}

/* b1 holds o1 (2) and o2 (3) of LAMP, b2 is empty, t1 holds o3 (1) of TABLE. */
static void fill(void)
{
	batch("b1", "LAMP", 10, NULL);
	batch("b2", "LAMP", 10, "2031-01-01");
	batch("t1", "TABLE", 5, NULL);
	allocate("o1", "LAMP", 2);
	allocate("o2", "LAMP", 3);
	allocate("o3", "TABLE", 1);
}

static la_check_report *check(void)
{
	la_check_report *report = NULL;
	cr_assert_eq(la_store_check(&report, store), LA_OK, "%s", la_error_last());
	return report;
}

static la_check_report *repair(void)
{
	la_check_report *report = NULL;
	cr_assert_eq(la_store_repair(&report, store), LA_OK, "%s", la_error_last());
	return report;
}

static int same(const char *a, const char *b)
{
	return !b || (a && strcmp(a, b) == 0);
}

/* How many findings of kind name batchref, orderid and sku (NULL: any). */
static size_t count(const la_check_report *r, int kind, const char *batchref, const char *orderid,
                    const char *sku)
{
	size_t n = 0;
	for (size_t i = 0; i < la_check_report_count(r); i++)
		if (la_check_report_kind(r, i) == kind &&
		    same(la_check_report_batchref(r, i), batchref) &&
		    same(la_check_report_orderid(r, i), orderid) &&
		    same(la_check_report_sku(r, i), sku))
			n++;
	return n;
}

static void show(const char *title, const la_check_report *r)
{
	for (size_t i = 0; i < la_check_report_count(r); i++)
		cr_log_info("%s: %s %s", title, la_check_kind_name(la_check_report_kind(r, i)),
		            la_check_report_message(r, i));
}

/* Skipping ends the test without its fini: close the store first. */
#define skip_test(...)                                                                             \
	do {                                                                                       \
		close_bus();                                                                       \
		bus = NULL;                                                                        \
		store = NULL;                                                                      \
		cr_skip_test(__VA_ARGS__);                                                         \
	} while (0)

static void corrupt(enum test_corruption what)
{
	int rc = test_corrupt(store, what);
	if (rc == LA_EUNSUPPORTED)
		skip_test("the %s store keeps no data a test can corrupt", test_store_name());
	cr_assert_eq(rc, LA_OK, "corrupting the %s store", test_store_name());
}

static void assert_healthy(void)
{
	la_check_report *r = check();
	show("unexpected", r);
	cr_assert_eq(la_check_report_count(r), 0, "%zu findings on a healthy store",
	             la_check_report_count(r));
	la_check_report_free(r);
}

static size_t allocations_of(const char *orderid)
{
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	size_t n = la_allocation_list_count(list);
	la_allocation_list_free(list);
	return n;
}

Test(check, a_healthy_store_reports_nothing_and_repair_changes_nothing)
{
	fill();
	la_message *m = NULL;
	cr_assert_eq(la_command_change_batch_quantity(&m, "b1", 3), LA_OK); /* moves o1 or o2 */
	run(m);
	allocate("o4", "LAMP", 1);
	assert_healthy();
	la_check_report *r = repair();
	show("unexpected repair", r);
	cr_assert_eq(la_check_report_count(r), 0);
	la_check_report_free(r);
	assert_healthy();
}

Test(check, a_wrong_stored_allocated_quantity_is_found_and_repaired)
{
	fill();
	corrupt(CORRUPT_ALLOCATED);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_ALLOCATED_MISMATCH, "b1", NULL, "LAMP"), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(count(r, LA_CHECK_ALLOCATED_MISMATCH, "b1", NULL, "LAMP"), 1);
	cr_assert_not_null(strstr(la_check_report_message(r, 0), "8 -> 5"), "%s",
	                   la_check_report_message(r, 0));
	la_check_report_free(r);
	assert_healthy();
	/* the repaired figures are the ones the store allocates from */
	allocate("o5", "LAMP", 5);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batch(&page, store, "b1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_allocated(page, 0), 10);
	la_batch_page_free(page);
	assert_healthy();
}

Test(check, a_line_on_a_missing_batch_is_reported_and_kept)
{
	fill();
	corrupt(CORRUPT_MISSING_BATCH);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_LINE_WITHOUT_BATCH, "gone", "o2", "LAMP"), 1);
	cr_assert_eq(count(r, LA_CHECK_ALLOCATED_MISMATCH, "b1", NULL, "LAMP"), 1);
	cr_assert_eq(count(r, LA_CHECK_LINE_COUNT_MISMATCH, "b1", NULL, "LAMP"), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(la_check_report_count(r), 1, "b1's figures, in one finding");
	la_check_report_free(r);
	r = check();
	show("after repair", r);
	cr_assert_eq(la_check_report_count(r), 1);
	cr_assert_eq(count(r, LA_CHECK_LINE_WITHOUT_BATCH, "gone", "o2", "LAMP"), 1);
	la_check_report_free(r);
	cr_assert_eq(allocations_of("o2"), 1, "repair never deletes an allocation");
}

Test(check, a_read_model_that_lost_a_row_is_found_and_rebuilt)
{
	fill();
	corrupt(CORRUPT_READ_MODEL);
	cr_assert_eq(allocations_of("o1"), 0);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_READ_MODEL_MISMATCH, "b1", "o1", "LAMP"), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(count(r, LA_CHECK_READ_MODEL_MISMATCH, NULL, NULL, NULL), 1);
	la_check_report_free(r);
	assert_healthy();
	cr_assert_eq(allocations_of("o1"), 1);
}

Test(check, a_line_on_two_batches_is_reported_and_kept)
{
	fill();
	corrupt(CORRUPT_DUPLICATE_LINE);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_DUPLICATE_LINE, NULL, "o1", "LAMP"), 1);
	cr_assert_eq(count(r, LA_CHECK_ALLOCATED_MISMATCH, "b2", NULL, "LAMP"), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(count(r, LA_CHECK_ALLOCATED_MISMATCH, "b2", NULL, "LAMP"), 1);
	la_check_report_free(r);
	r = check();
	show("after repair", r);
	cr_assert_eq(la_check_report_count(r), 1);
	cr_assert_eq(count(r, LA_CHECK_DUPLICATE_LINE, NULL, "o1", "LAMP"), 1);
	la_check_report_free(r);
}

Test(check, a_version_of_zero_is_found_and_repaired)
{
	fill();
	corrupt(CORRUPT_VERSION);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_VERSION_NOT_POSITIVE, NULL, NULL, "LAMP"), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(count(r, LA_CHECK_VERSION_NOT_POSITIVE, NULL, NULL, "LAMP"), 1);
	la_check_report_free(r);
	assert_healthy();
	allocate("o5", "LAMP", 1);
	assert_healthy();
}

Test(check, a_malformed_outbox_row_is_reported)
{
	fill();
	corrupt(CORRUPT_OUTBOX);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_OUTBOX_MALFORMED, NULL, NULL, NULL), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	cr_assert_not_null(strstr(la_check_report_message(r, 0), "JSON"));
	la_check_report_free(r);
	r = repair();
	cr_assert_eq(la_check_report_count(r), 0, "repair does not invent messages");
	la_check_report_free(r);
}

Test(check, bad_arguments_are_refused)
{
	la_check_report *r = (la_check_report *)&r;
	cr_assert_eq(la_store_check(&r, NULL), LA_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(la_store_repair(NULL, store), LA_EINVAL);
	cr_assert_eq(la_check_report_count(NULL), 0);
	cr_assert_null(la_check_report_message(NULL, 0));
	cr_assert_str_eq(la_check_kind_name(LA_CHECK_OVER_ALLOCATED), "over_allocated");
	cr_assert_str_eq(la_check_kind_name(999), "unknown");
}

/* Handle cmd (owned); its status. */
static int try_run(la_message *cmd)
{
	cr_assert_not_null(cmd);
	int rc = la_bus_handle(bus, cmd);
	la_message_free(cmd);
	return rc;
}

Test(check, held_and_waiting_lines_are_consistent_after_their_commands)
{
	la_bus_free(bus);
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.flags = LA_BUS_BACKORDERS;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());
	batch("b1", "LAMP", 5, NULL);
	la_message *m = NULL;
	cr_assert_eq(la_command_allocate_with(&m, "held", "LAMP", 2, 3600, NULL), LA_OK);
	int rc = try_run(m);
	if (rc == LA_EUNSUPPORTED)
		skip_test("the %s store does not keep holds yet", test_store_name());
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	allocate("plain", "LAMP", 3);
	cr_assert_eq(la_command_allocate(&m, "waits", "LAMP", 4), LA_OK);
	rc = try_run(m);
	if (rc == LA_EUNSUPPORTED)
		skip_test("the %s store does not keep waiting lines yet", test_store_name());
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	assert_healthy();
	cr_assert_eq(la_command_confirm(&m, "held"), LA_OK);
	cr_assert_eq(try_run(m), LA_OK, "%s", la_error_last());
	la_message *more = NULL;
	cr_assert_eq(la_command_change_batch_quantity(&more, "b1", 9), LA_OK); /* fills "waits" */
	run(more);
	assert_healthy();
	la_check_report *r = repair();
	show("unexpected repair", r);
	cr_assert_eq(la_check_report_count(r), 0);
	la_check_report_free(r);
}

Test(check, a_wrong_stored_held_quantity_is_found_and_repaired)
{
	fill();
	corrupt(CORRUPT_HELD);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_HELD_MISMATCH, "b1", NULL, "LAMP"), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	la_check_report_free(r);
	r = repair();
	show("repair", r);
	cr_assert_eq(count(r, LA_CHECK_HELD_MISMATCH, "b1", NULL, "LAMP"), 1);
	cr_assert_not_null(strstr(la_check_report_message(r, 0), "held 2 -> 0"), "%s",
	                   la_check_report_message(r, 0));
	la_check_report_free(r);
	assert_healthy();
}

Test(check, a_line_both_waiting_and_allocated_is_reported_and_kept)
{
	fill();
	corrupt(CORRUPT_WAITING);
	la_check_report *r = check();
	show("check", r);
	cr_assert_eq(count(r, LA_CHECK_WAITING_AND_ALLOCATED, "b1", "o1", "LAMP"), 1);
	cr_assert_eq(la_check_report_count(r), 1);
	la_check_report_free(r);
	r = repair();
	cr_assert_eq(la_check_report_count(r), 0, "neither line is deleted");
	la_check_report_free(r);
	r = check();
	cr_assert_eq(count(r, LA_CHECK_WAITING_AND_ALLOCATED, "b1", "o1", "LAMP"), 1);
	la_check_report_free(r);
}
