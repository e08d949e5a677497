/*
 * Processes take turns on a CSV folder: 2 processes × 200 one-unit
 * allocations of a sku with 300 units → exactly 300 lines in
 * allocations.csv, every one reported by a child, none twice.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <criterion/criterion.h>

#include <allocation/allocation.h>
#include <allocation/csv.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csv_format.h"
#include "csv_test_support.h"

#define PER_CHILD 200

/* Child: allocate its lines; exit status = number allocated (0..200 fits). */
static void child(const char *folder, int id)
{
	la_store *store;
	la_bus *bus;
	if (la_csv_store_open(&store, folder) != LA_OK || la_bus_new(&bus, store, NULL) != LA_OK)
		_exit(255);
	int allocated = 0;
	for (int i = 0; i < PER_CHILD; i++) {
		char orderid[32];
		snprintf(orderid, sizeof(orderid), "c%d-%d", id, i);
		la_message *m = NULL;
		if (la_command_allocate(&m, orderid, "lamp", 1) != LA_OK ||
		    la_bus_handle(bus, m) != LA_OK)
			_exit(254);
		la_message_free(m);
		if (la_bus_result_batchref(bus))
			allocated++;
	}
	la_bus_free(bus);
	la_store_free(store);
	_exit(allocated);
}

Test(csv_concurrency, two_processes_share_one_folder, .timeout = 120)
{
	char *folder = csv_test_folder();
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,lamp,300,\n");
	pid_t pids[2];
	for (int id = 0; id < 2; id++) {
		pids[id] = fork();
		cr_assert_neq(pids[id], -1);
		if (pids[id] == 0)
			child(folder, id);
	}
	int reported = 0;
	for (int id = 0; id < 2; id++) {
		int status;
		cr_assert_eq(waitpid(pids[id], &status, 0), pids[id]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) <= PER_CHILD,
		          "child %d failed (%d)", id, WEXITSTATUS(status));
		reported += WEXITSTATUS(status);
	}
	cr_expect_eq(reported, 300);

	size_t len;
	char *text = csv_test_read(folder, "allocations.csv", &len);
	cr_assert_not_null(text);
	csv_table t;
	cr_assert_eq(csv_parse(&t, text, len, NULL), CSV_OK);
	cr_expect_eq(t.count, 301, "header + one row per allocated line");
	for (size_t i = 1; i < t.count; i++)
		for (size_t j = i + 1; j < t.count; j++)
			cr_assert_str_neq(t.records[i].fields[0], t.records[j].fields[0]);
	csv_table_free(&t);
	free(text);

	la_store *store;
	la_batch_page *page;
	cr_assert_eq(la_csv_store_open(&store, folder), LA_OK);
	cr_assert_eq(la_view_batches(&page, store, NULL, 0, NULL), LA_OK);
	cr_expect_eq(la_batch_page_allocated(page, 0), 300);
	cr_expect_eq(la_batch_page_lines(page, 0), 300);
	la_batch_page_free(page);
	la_store_free(store);
	csv_test_remove_folder(folder);
}
