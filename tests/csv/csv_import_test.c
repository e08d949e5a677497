#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
/* la_csv_import_orders: a file in orders.csv form streamed into a bus, many
 * lines per transaction, with the results of allocating them one by one. */
#include <criterion/criterion.h>

#include <allocation/allocation.h>
#include <allocation/csv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(csv_import, .init = setup, .fini = teardown, .timeout = 120);

/* What the callback saw, one line of text per line of the file. */
typedef struct seen {
	char *text;
	size_t len, cap;
	size_t calls;
	size_t stop_after; /* 0: never */
} seen;

static int record(size_t line, const char *orderid, const char *sku, int64_t qty, int status,
                  const char *batchref, const char *message, void *payload)
{
	seen *s = payload;
	char row[1024];
	int n = snprintf(row, sizeof row, "%zu %s %s %lld %d %s %s\n", line, orderid, sku,
	                 (long long)qty, status, batchref ? batchref : "-", message);
	if (s->len + (size_t)n + 1 > s->cap) {
		s->cap = (s->len + (size_t)n + 1) * 2;
		s->text = realloc(s->text, s->cap);
		cr_assert_not_null(s->text);
	}
	memcpy(s->text + s->len, row, (size_t)n + 1);
	s->len += (size_t)n;
	s->calls++;
	return s->stop_after && s->calls >= s->stop_after ? LA_EUSER : LA_OK;
}

static la_bus *new_bus(la_store **store)
{
	la_bus *bus = NULL;
	cr_assert_eq(la_memory_store_new(store), LA_OK);
	cr_assert_eq(la_bus_new(&bus, *store, NULL), LA_OK);
	const char *refs[] = {"b1", "b2", "b3"}, *skus[] = {"LAMP", "LAMP", "CHAIR"};
	int64_t qty[] = {20, 30, 15};
	for (int i = 0; i < 3; i++) {
		la_message *m = NULL;
		cr_assert_eq(la_command_create_batch(&m, refs[i], skus[i], qty[i],
		                                     i == 1 ? "2011-01-02" : NULL),
		             LA_OK);
		cr_assert_eq(la_bus_handle(bus, m), LA_OK);
		la_message_free(m);
	}
	return bus;
}

Test(csv_import, each_line_gets_the_result_it_would_have_alone)
{
	const char *text = "sku,qty,orderid\r\n" /* columns in any order */
	                   "LAMP,3,o1\n"
	                   "NOPE,1,o2\n"
	                   "LAMP,x,o3\n"
	                   "LAMP,100,o4\n"
	                   "\"LAMP\",2,\"o,5\"\n"
	                   "LAMP,4,o1\n"
	                   "CHAIR,15,o6\n"
	                   "CHAIR,1,o7\n"
	                   "LAMP,0,o8\n"
	                   "LAMP,30,o9\n";
	csv_test_write(folder, "in.csv", text);
	char *path = csv_test_path(folder, "in.csv");
	la_store *store;
	la_bus *bus = new_bus(&store);
	seen s = {0};
	size_t allocated, out_of_stock, failed;
	cr_assert_eq(
	    la_csv_import_orders(&allocated, &out_of_stock, &failed, bus, path, 3, record, &s),
	    LA_OK, "%s", la_error_last());
	cr_assert_eq(allocated, 4);
	cr_assert_eq(out_of_stock, 2);
	cr_assert_eq(failed, 4);
	cr_assert_str_eq(s.text, "2 o1 LAMP 3 0 b1 \n"
	                         "3 o2 NOPE 1 -2 - Invalid sku NOPE\n"
	                         "4 o3 LAMP 0 -1 - qty is not a whole number: \"x\"\n"
	                         "5 o4 LAMP 100 0 - \n"
	                         "6 o,5 LAMP 2 0 b1 \n"
	                         "7 o1 LAMP 4 -3 - Order line o1 for LAMP is already allocated "
	                         "with qty 3\n"
	                         "8 o6 CHAIR 15 0 b3 \n"
	                         "9 o7 CHAIR 1 0 - \n"
	                         "10 o8 LAMP 0 -1 - qty must be greater than zero, got 0\n"
	                         "11 o9 LAMP 30 0 b2 \n");

	/* The same lines one by one on a fresh store: the same outcomes. */
	la_store *store2;
	la_bus *bus2 = new_bus(&store2);
	const char *orders[][3] = {{"o1", "LAMP", "3"},  {"o4", "LAMP", "100"},
	                           {"o,5", "LAMP", "2"}, {"o6", "CHAIR", "15"},
	                           {"o7", "CHAIR", "1"}, {"o9", "LAMP", "30"}};
	const char *expect[] = {"b1", NULL, "b1", "b3", NULL, "b2"};
	for (size_t i = 0; i < 6; i++) {
		la_message *m = NULL;
		cr_assert_eq(la_command_allocate(&m, orders[i][0], orders[i][1],
		                                 strtoll(orders[i][2], NULL, 10)),
		             LA_OK);
		cr_assert_eq(la_bus_handle(bus2, m), LA_OK);
		const char *ref = la_bus_result_batchref(bus2);
		cr_assert(expect[i] ? ref && strcmp(ref, expect[i]) == 0 : ref == NULL, "%s",
		          orders[i][0]);
		la_message_free(m);
	}
	la_bus_free(bus2);
	la_store_free(store2);
	free(s.text);
	free(path);
	la_bus_free(bus);
	la_store_free(store);
}

Test(csv_import, records_that_cross_the_read_chunks_are_read_whole)
{
	/* Over 3 MiB: records cut by the 1 MiB reads, quoted fields with line
	 * breaks and doubled quotes among them. */
	size_t lines = 60000, cap = 64 * lines + 64, len = 0;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	len += (size_t)sprintf(text, "orderid,sku,qty\n");
	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(text + len,
		                       i % 7 ? "order-%06zu-padding-padding,LAMP,1\n"
		                             : "\"order\n\"\"%06zu\"\"-padding\",LAMP,1\n",
		                       i);
	csv_test_write(folder, "big.csv", text);
	free(text);
	char *path = csv_test_path(folder, "big.csv");
	la_store *store;
	la_bus *bus = new_bus(&store);
	la_message *m = NULL;
	cr_assert_eq(la_command_create_batch(&m, "big", "LAMP", 1000000, NULL), LA_OK);
	cr_assert_eq(la_bus_handle(bus, m), LA_OK);
	la_message_free(m);
	seen s = {0};
	size_t allocated, out_of_stock, failed;
	cr_assert_eq(
	    la_csv_import_orders(&allocated, &out_of_stock, &failed, bus, path, 0, record, &s),
	    LA_OK, "%s", la_error_last());
	/* the orderids holding a line break are refused (a control character),
	 * each on its own; every other line is allocated */
	size_t broken = (lines + 6) / 7;
	cr_assert_eq(allocated, lines - broken);
	cr_assert_eq(failed, broken);
	cr_assert_eq(out_of_stock, 0);
	/* line numbers count the line breaks inside quoted fields */
	char last[128];
	snprintf(last, sizeof last, "\n%zu order-%06zu-padding-padding LAMP 1 0 ",
	         1 + lines + lines / 7 + 1, lines - 1);
	cr_assert(strstr(s.text, last), "last line not reported as %s", last + 1);
	cr_assert(strstr(s.text, "\n10 order\n\"000007\"-padding LAMP 1 -1 - orderid contains "
	                         "a control character (0x0A)"),
	          "quoted field");
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, "order-000008-padding-padding"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 1);
	la_allocation_list_free(list);
	free(s.text);
	free(path);
	la_bus_free(bus);
	la_store_free(store);
}

Test(csv_import, bad_files_and_arguments)
{
	la_store *store;
	la_bus *bus = new_bus(&store);
	size_t a, o, f;
	char *path = csv_test_path(folder, "bad.csv");

	csv_test_write(folder, "bad.csv", "orderid,sku\no1,LAMP\n");
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, path, 10, NULL, NULL), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "bad.csv:1: header must name the columns"), "%s",
	          la_error_last());

	csv_test_write(folder, "bad.csv", "");
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, path, 10, NULL, NULL), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "missing header"), "%s", la_error_last());

	/* a syntax error stops the import there; the lines before stay done */
	csv_test_write(folder, "bad.csv", "orderid,sku,qty\no1,LAMP,1\no2,LAMP,1\n\"o3,LAMP,1\n");
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, path, 1, NULL, NULL), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "bad.csv:4:"), "%s", la_error_last());
	cr_assert_eq(a, 2);

	/* the callback may stop it */
	csv_test_write(folder, "bad.csv", "orderid,sku,qty\no4,LAMP,1\no5,LAMP,1\no6,LAMP,1\n");
	seen s = {.stop_after = 2};
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, path, 1, record, &s), LA_EUSER);
	cr_assert_eq(s.calls, 2);
	free(s.text);

	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, "/no/such/file.csv", 10, NULL, NULL),
	             LA_EIO);
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, NULL, path, 10, NULL, NULL), LA_EINVAL);
	cr_assert_eq(la_csv_import_orders(&a, &o, &f, bus, NULL, 10, NULL, NULL), LA_EINVAL);
	cr_assert_eq(
	    la_csv_import_orders(&a, &o, &f, bus, path, LA_CSV_IMPORT_MAX_LINES + 1, NULL, NULL),
	    LA_EINVAL);
	free(path);
	la_bus_free(bus);
	la_store_free(store);
}
