#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
/* The CSV folder store and allocate-from-csv (spec §5) on real files. */
#include <criterion/criterion.h>

#include <allocation/allocation.h>
#include <allocation/csv.h>

#include <string.h>
#include <sys/stat.h>

#include "csv_format.h"
#include "csv_test_support.h"

static char *folder;

static void setup(void)
{
	folder = csv_test_folder();
}

static void teardown(void)
{
	csv_test_remove_folder(folder);
}

TestSuite(csv_store, .init = setup, .fini = teardown);

#define ALLOC_HEADER "orderid,sku,qty,batchref\r\n"

static void expect_file(const char *name, const char *expected)
{
	char *got = csv_test_read(folder, name, NULL);
	cr_assert_not_null(got, "%s is missing", name);
	cr_expect_str_eq(got, expected, "%s differs", name);
	free(got);
}

static int allocate_orders(size_t *allocated, size_t *out_of_stock)
{
	return la_csv_allocate_orders(allocated, out_of_stock, folder, NULL);
}

Test(csv_store, spec_example_allocates_orders_csv)
{
	csv_test_write(folder, "batches.csv",
	               "ref,sku,qty,eta\nb1,s1,100,\nb2,s2,100,2011-01-01\nb3,s2,100,2011-01-02\n");
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no,s1,3\no,s2,12\n");
	size_t allocated = 9, oos = 9;
	cr_assert_eq(allocate_orders(&allocated, &oos), LA_OK, "%s", la_error_last());
	cr_expect_eq(allocated, 2);
	cr_expect_eq(oos, 0);
	expect_file("allocations.csv", ALLOC_HEADER "o,s1,3,b1\r\no,s2,12,b2\r\n");
	/* batches did not change: batches.csv is left exactly as written */
	expect_file("batches.csv",
	            "ref,sku,qty,eta\nb1,s1,100,\nb2,s2,100,2011-01-01\nb3,s2,100,2011-01-02\n");
}

Test(csv_store, existing_allocations_are_kept_and_new_ones_appended)
{
	csv_test_write(folder, "batches.csv",
	               "ref,sku,qty,eta\nb1,s,10,2011-01-01\nb2,s,10,2011-01-02\n");
	csv_test_write(folder, "allocations.csv", "orderid,sku,qty,batchref\nold,s,10,b1\n");
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\nnew,s,7\n");
	cr_assert_eq(allocate_orders(NULL, NULL), LA_OK, "%s", la_error_last());
	expect_file("allocations.csv", ALLOC_HEADER "old,s,10,b1\r\nnew,s,7,b2\r\n");
}

Test(csv_store, running_the_same_orders_twice_adds_nothing)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\n");
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no1,s,4\no2,s,4\no3,s,4\n");
	size_t allocated, oos;
	cr_assert_eq(allocate_orders(&allocated, &oos), LA_OK, "%s", la_error_last());
	cr_expect_eq(allocated, 2);
	cr_expect_eq(oos, 1);
	cr_assert_eq(allocate_orders(&allocated, &oos), LA_OK, "%s", la_error_last());
	expect_file("allocations.csv", ALLOC_HEADER "o1,s,4,b1\r\no2,s,4,b1\r\n");
}

Test(csv_store, fields_with_commas_and_quotes_round_trip)
{
	/* columns in another order, CRLF line ends, awkward values everywhere */
	csv_test_write(folder, "batches.csv",
	               "sku,ref,eta,qty\r\n\"sofa, \"\"big\"\"\",\"b,1\",,10\r\n");
	csv_test_write(folder, "orders.csv",
	               "qty,sku,orderid\r\n2,\"sofa, \"\"big\"\"\",\"order, with comma\"\r\n"
	               "3,\"sofa, \"\"big\"\"\",\"o\"\"quoted\"\"\"\r\n");
	cr_assert_eq(allocate_orders(NULL, NULL), LA_OK, "%s", la_error_last());
	size_t len;
	char *text = csv_test_read(folder, "allocations.csv", &len);
	csv_table t;
	cr_assert_eq(csv_parse(&t, text, len, NULL), CSV_OK);
	cr_assert_eq(t.count, 3);
	cr_expect_str_eq(t.records[1].fields[0], "order, with comma");
	cr_expect_str_eq(t.records[1].fields[1], "sofa, \"big\"");
	cr_expect_str_eq(t.records[1].fields[3], "b,1");
	cr_expect_str_eq(t.records[2].fields[0], "o\"quoted\"");
	csv_table_free(&t);
	free(text);

	/* and the store reads its own output back */
	la_store *store;
	cr_assert_eq(la_csv_store_open(&store, folder), LA_OK, "%s", la_error_last());
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, store, "order, with comma"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 1);
	cr_expect_str_eq(la_allocation_list_sku(list, 0), "sofa, \"big\"");
	cr_expect_str_eq(la_allocation_list_batchref(list, 0), "b,1");
	la_allocation_list_free(list);
	la_store_free(store);
}

/* A failing run must name file and line, and leave allocations.csv alone. */
static void expect_refused(int expected_code, const char *message_prefix)
{
	const char *before = "orderid,sku,qty,batchref\nkeep,s,1,b1\n";
	csv_test_write(folder, "allocations.csv", before);
	int rc = allocate_orders(NULL, NULL);
	cr_expect_eq(rc, expected_code, "code %d (%s)", rc, la_error_last());
	cr_expect(strncmp(la_error_last(), message_prefix, strlen(message_prefix)) == 0,
	          "message \"%s\" does not start with \"%s\"", la_error_last(), message_prefix);
	expect_file("allocations.csv", before);
}

Test(csv_store, missing_batches_csv_is_an_error)
{
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no,s,1\n");
	expect_refused(LA_EIO, "batches.csv: cannot read: No such file");
	la_store *store = NULL;
	cr_expect_eq(la_csv_store_open(&store, folder), LA_EIO);
	cr_expect_null(store);
}

Test(csv_store, missing_folder_is_an_error)
{
	la_store *store = NULL;
	char *gone = csv_test_path(folder, "not-here");
	cr_expect_eq(la_csv_store_open(&store, gone), LA_EIO);
	cr_expect(strstr(la_error_last(), "not-here") != NULL, "%s", la_error_last());
	free(gone);
}

#define GOOD_BATCHES "ref,sku,qty,eta\nb1,s,10,\n"
#define GOOD_ORDERS  "orderid,sku,qty\no,s,1\n"

Test(csv_store, wrong_column_count_names_file_and_line)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\nb2,s,10\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:3: expected 4 fields, found 3");
}

Test(csv_store, non_numeric_qty_names_file_and_line)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\nb2,s,12abc,\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:3: qty is not a number");
}

Test(csv_store, bad_date_names_file_and_line)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\nb2,s,10,2011-02-30\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:3: eta is not a date");
}

Test(csv_store, qty_overflow_and_negative_are_refused)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,99999999999999999999,\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:2: qty is not a number");
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,-1,\n");
	expect_refused(LA_EINVAL, "batches.csv:2: qty must be >= 0");
}

/* A line break inside a quoted identifier is a control character: refused,
 * naming the file, the line the record starts on and the field. */
Test(csv_store, a_line_break_in_a_quoted_identifier_is_refused)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb0,s,10,\n\"b\n1\",s,10,\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:3: ref contains a control character (0x0A)");
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no,s,1\n\"o\r\n2\",s,1\n");
	expect_refused(LA_EINVAL, "orders.csv:3: orderid contains a control character (0x0D)");
}

Test(csv_store, bad_header_and_empty_file)
{
	csv_test_write(folder, "batches.csv", "ref,sku,quantity,eta\nb1,s,10,\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:1: header must name the columns ref,sku,qty,eta");
	csv_test_write(folder, "batches.csv", "");
	expect_refused(LA_EINVAL, "batches.csv:1: missing header row");
}

Test(csv_store, syntax_error_names_file_and_line)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\nb2,\"s,10,\n");
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	expect_refused(LA_EINVAL, "batches.csv:3: unterminated quoted field");
}

Test(csv_store, bad_allocations_row_is_refused)
{
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	csv_test_write(folder, "orders.csv", GOOD_ORDERS);
	csv_test_write(folder, "allocations.csv", "orderid,sku,qty,batchref\nx,s,1,nope\n");
	cr_expect_eq(allocate_orders(NULL, NULL), LA_EINVAL);
	cr_expect_str_eq(la_error_last(), "allocations.csv:2: unknown batch reference nope");
	expect_file("allocations.csv", "orderid,sku,qty,batchref\nx,s,1,nope\n");
}

Test(csv_store, bad_orders_row_is_refused_before_anything_is_allocated)
{
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no1,s,1\no2,s,0\n");
	expect_refused(LA_EINVAL, "orders.csv:3: qty must be > 0");
}

Test(csv_store, failing_command_leaves_every_file_untouched)
{
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	csv_test_write(folder, "orders.csv", "orderid,sku,qty\no1,s,1\no2,nosuch,1\n");
	expect_refused(LA_ENOTFOUND, "orders.csv:3: Invalid sku nosuch");
}

/* ---- the store through the bus ---- */

static la_store *store;
static la_bus *bus;

static void open_bus(void)
{
	cr_assert_eq(la_csv_store_open(&store, folder), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK);
}

static void close_bus(void)
{
	la_bus_free(bus);
	la_store_free(store);
	bus = NULL;
	store = NULL;
}

/* handle(la_command_x(&m, ...), &m): *m is read after the constructor ran. */
static int handle(int built, la_message **cmd)
{
	cr_assert_eq(built, LA_OK, "%s", la_error_last());
	int rc = la_bus_handle(bus, *cmd);
	la_message_free(*cmd);
	*cmd = NULL;
	return rc;
}

static int create_batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	return handle(la_command_create_batch(&m, ref, sku, qty, eta), &m);
}

static const char *allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int rc = handle(la_command_allocate(&m, orderid, sku, qty), &m);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	const char *ref = la_bus_result_batchref(bus);
	return ref ? ref : "out of stock";
}

static struct stat stat_of(const char *name)
{
	struct stat st;
	char *p = csv_test_path(folder, name);
	cr_assert_eq(stat(p, &st), 0);
	free(p);
	return st;
}

Test(csv_store, commands_through_the_bus_rewrite_the_files)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\n");
	open_bus();
	cr_assert_eq(create_batch("b1", "s", 10, NULL), LA_OK, "%s", la_error_last());
	cr_assert_eq(create_batch("b2", "s", 10, "2011-01-02"), LA_OK, "%s", la_error_last());
	expect_file("batches.csv", "ref,sku,qty,eta\r\nb1,s,10,\r\nb2,s,10,2011-01-02\r\n");
	cr_expect_null(csv_test_read(folder, "allocations.csv", NULL));

	struct stat before = stat_of("batches.csv");
	cr_expect_str_eq(allocate("o1", "s", 6), "b1");
	cr_expect_str_eq(allocate("o2", "s", 6), "b2");
	cr_expect_str_eq(allocate("o3", "s", 6), "out of stock");
	struct stat after = stat_of("batches.csv");
	cr_expect_eq(before.st_ino, after.st_ino, "batches.csv rewritten without a batch change");
	expect_file("allocations.csv", ALLOC_HEADER "o1,s,6,b1\r\no2,s,6,b2\r\n");

	la_message *m = NULL;
	cr_expect_eq(handle(la_command_deallocate(&m, "o1", "s"), &m), LA_OK);
	expect_file("allocations.csv", ALLOC_HEADER "o2,s,6,b2\r\n");

	/* b2 shrinks to 5: o2 no longer fits, goes back to b1 */
	cr_expect_eq(handle(la_command_change_batch_quantity(&m, "b2", 5), &m), LA_OK, "%s",
	             la_error_last());
	expect_file("batches.csv", "ref,sku,qty,eta\r\nb1,s,10,\r\nb2,s,5,2011-01-02\r\n");
	expect_file("allocations.csv", ALLOC_HEADER "o2,s,6,b1\r\n");

	cr_expect_eq(handle(la_command_cancel_batch(&m, "b1"), &m), LA_OK, "%s", la_error_last());
	expect_file("batches.csv", "ref,sku,qty,eta\r\nb2,s,5,2011-01-02\r\n");
	expect_file("allocations.csv", ALLOC_HEADER);
	close_bus();
}

Test(csv_store, errors_of_commands)
{
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	open_bus();
	la_message *m = NULL;
	cr_expect_eq(handle(la_command_allocate(&m, "o", "nope", 1), &m), LA_ENOTFOUND);
	cr_expect_str_eq(la_error_last(), "Invalid sku nope");
	cr_expect_eq(handle(la_command_change_batch_quantity(&m, "bx", 1), &m), LA_ENOTFOUND);
	cr_expect_str_eq(la_error_last(), "Invalid batch reference bx");
	cr_expect_eq(handle(la_command_deallocate(&m, "o", "s"), &m), LA_ENOTFOUND);
	/* a batch reference is unique across products */
	cr_expect_eq(create_batch("b1", "other", 5, NULL), LA_ECONFLICT);
	expect_file("batches.csv", GOOD_BATCHES);
	close_bus();
}

Test(csv_store, read_models)
{
	csv_test_write(
	    folder, "batches.csv",
	    "ref,sku,qty,eta\nz1,t,5,\nb3,s,10,2011-01-03\nb1,s,10,\nb2,s,10,2011-01-02\n"
	    "b4,s,10,2011-01-02\n");
	csv_test_write(folder, "allocations.csv",
	               "orderid,sku,qty,batchref\no1,s,3,b1\no1,t,2,z1\no2,s,4,b1\n");
	open_bus();
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 2);
	cr_expect_str_eq(la_allocation_list_sku(list, 0), "s");
	cr_expect_str_eq(la_allocation_list_batchref(list, 1), "z1");
	la_allocation_list_free(list);
	cr_assert_eq(la_view_allocations(&list, store, "unknown"), LA_OK);
	cr_expect_eq(la_allocation_list_count(list), 0);
	la_allocation_list_free(list);

	/* dashboard: by sku, in stock first, by eta, ties in creation order */
	const char *expected[] = {"b1", "b2", "b4", "b3", "z1"};
	const char *after = NULL;
	char *cursor = NULL;
	size_t seen = 0;
	do {
		la_batch_page *page;
		cr_assert_eq(la_view_batches(&page, store, NULL, 2, after), LA_OK, "%s",
		             la_error_last());
		for (size_t i = 0; i < la_batch_page_count(page); i++, seen++) {
			cr_assert_lt(seen, 5);
			cr_expect_str_eq(la_batch_page_ref(page, i), expected[seen]);
			if (strcmp(expected[seen], "b1") == 0) {
				cr_expect_eq(la_batch_page_allocated(page, i), 7);
				cr_expect_eq(la_batch_page_available(page, i), 3);
				cr_expect_eq(la_batch_page_lines(page, i), 2);
				cr_expect_null(la_batch_page_eta(page, i));
			}
		}
		free(cursor);
		cursor = la_batch_page_next(page) ? strdup(la_batch_page_next(page)) : NULL;
		after = cursor;
		la_batch_page_free(page);
	} while (after);
	cr_expect_eq(seen, 5);

	la_batch_page *page;
	cr_assert_eq(la_view_batches(&page, store, "t", 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 1);
	cr_expect_str_eq(la_batch_page_ref(page, 0), "z1");
	cr_expect_null(la_batch_page_next(page));
	la_batch_page_free(page);
	cr_expect_eq(la_view_batches(&page, store, NULL, 2, "garbage!"), LA_EINVAL);
	close_bus();
}

Test(csv_store, edits_by_another_store_or_by_hand_are_seen)
{
	csv_test_write(folder, "batches.csv", GOOD_BATCHES);
	open_bus();
	la_store *other;
	la_bus *other_bus;
	cr_assert_eq(la_csv_store_open(&other, folder), LA_OK);
	cr_assert_eq(la_bus_new(&other_bus, other, NULL), LA_OK);
	la_message *m;
	cr_assert_eq(la_command_allocate(&m, "o1", "s", 10), LA_OK);
	cr_assert_eq(la_bus_handle(other_bus, m), LA_OK);
	la_message_free(m);
	/* the first store sees b1 full */
	cr_expect_str_eq(allocate("o2", "s", 1), "out of stock");
	la_bus_free(other_bus);
	la_store_free(other);

	/* a batch added by hand is used at the next unit of work */
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,s,10,\nb9,s,50,2020-01-01\n");
	cr_expect_str_eq(allocate("o2", "s", 1), "b9");
	close_bus();
}

Test(csv_store, versioned_options)
{
	la_csv_options opts;
	cr_assert_eq(la_csv_options_init(&opts, LA_CSV_OPTIONS_VERSION), LA_OK);
	cr_assert_eq(opts.version, LA_CSV_OPTIONS_VERSION);
	cr_assert_eq(la_csv_options_init(&opts, LA_CSV_OPTIONS_VERSION + 1), LA_EUNSUPPORTED);
	cr_assert_eq(la_csv_options_init(NULL, 1), LA_EUNSUPPORTED);
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\r\nb1,LAMP,10,\r\n");
	la_store *opened = NULL;
	cr_assert_eq(la_csv_store_open_ext(&opened, folder, &opts), LA_OK, "%s", la_error_last());
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, opened, NULL, 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 1);
	la_batch_page_free(page);
	la_store_free(opened);
	opened = NULL;
	cr_assert_eq(la_csv_store_open_ext(&opened, folder, NULL), LA_OK, "%s", la_error_last());
	la_store_free(opened);
	opened = NULL;
	opts.version = 2;
	cr_assert_eq(la_csv_store_open_ext(&opened, folder, &opts), LA_EUNSUPPORTED);
	cr_assert_null(opened);
}

/* Issue 13 in a CSV folder: whole orders are plain lines and fit; a hold's
 * end and a waiting line have no column, so they are refused, clearly and
 * without touching a file. */
Test(csv_store, whole_orders_fit_holds_and_backorders_are_refused)
{
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,LAMP,5,\nb2,TABLE,5,\n");
	cr_assert_eq(la_csv_store_open(&store, folder), LA_OK, "%s", la_error_last());
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.flags = LA_BUS_BACKORDERS;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());
	const char *skus[] = {"LAMP", "TABLE"};
	const int64_t qtys[] = {2, 3};
	la_message *m;
	cr_assert_eq(handle(la_command_allocate_order(&m, "o1", skus, qtys, 2, 0), &m), LA_OK, "%s",
	             la_error_last());
	expect_file("allocations.csv", ALLOC_HEADER "o1,LAMP,2,b1\r\no1,TABLE,3,b2\r\n");

	cr_assert_eq(handle(la_command_allocate_with(&m, "o2", "LAMP", 1, 60, NULL), &m),
	             LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "CSV store keeps no holds"), "%s", la_error_last());
	cr_assert(strstr(la_error_last(), "o2"), "%s", la_error_last());
	cr_assert_eq(handle(la_command_allocate_with(&m, "o3", "LAMP", 9, 0, NULL), &m),
	             LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "CSV store keeps no backorders"), "%s", la_error_last());
	cr_assert_eq(handle(la_command_confirm(&m, "o1"), &m), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "does not keep holds"), "%s", la_error_last());
	cr_assert_eq(handle(la_command_expire_holds(&m, 1000), &m), LA_EUNSUPPORTED);
	expect_file("allocations.csv", ALLOC_HEADER "o1,LAMP,2,b1\r\no1,TABLE,3,b2\r\n");
	close_bus();
}
