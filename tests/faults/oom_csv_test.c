/*
 * Out-of-memory sweep of liballocation-csv: the store's entry points
 * (oom_store.h), la_csv_allocate_orders and la_csv_import_orders, with
 * their N-th allocation failing, for every N. Each run starts from a copy
 * of one prepared folder.
 */
#include <allocation/allocation.h>
#include <allocation/csv.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../csv/csv_test_support.h"
#include "oom_store.h"
#include "oom_sweep.h"

static const int csv_errors[] = {LA_ENOMEM, LA_EIO, 0};

#define BATCHES     "batches.csv"
#define ALLOCATIONS "allocations.csv"
#define ORDERS      "orders.csv"

static char *template_folder, *work_folder;

/* Every file of the work folder gone, then the template's copied in. */
static void empty_work_folder(void)
{
	DIR *d = opendir(work_folder);
	cr_assert_not_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p = csv_test_path(work_folder, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

static void copy_in(const char *name)
{
	char *text = csv_test_read(template_folder, name, NULL);
	if (text)
		csv_test_write(work_folder, name, text);
	free(text);
}

static void reset(void)
{
	empty_work_folder();
	copy_in(BATCHES);
	copy_in(ALLOCATIONS);
	copy_in(ORDERS);
	copy_in("import.csv");
}

static void reset_empty(void)
{
	empty_work_folder();
	csv_test_write(work_folder, BATCHES, "ref,sku,qty,eta\n");
}

static int open_store(la_store **out, unsigned int flags)
{
	(void)flags; /* no outbox */
	return la_csv_store_open(out, work_folder);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file's rows after the header, sorted (a retried command writes its
 * rows after those of the commands that did not fail). */
static void append_file(const char *name, char *out, size_t size)
{
	char *text = csv_test_read(work_folder, name, NULL);
	size_t len = strlen(out);
	len += (size_t)snprintf(out + len, size - len, "%s:\n", name);
	if (!text)
		return;
	char *rows[256];
	size_t n = 0;
	char *save = NULL;
	strtok_r(text, "\r\n", &save); /* the header */
	for (char *row; (row = strtok_r(NULL, "\r\n", &save)) != NULL;) {
		cr_assert_lt(n, 256);
		rows[n++] = row;
	}
	qsort(rows, n, sizeof rows[0], by_text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s\n", rows[i]);
	cr_assert_lt(len, size - 1, "state too long");
	free(text);
}

static void read_state(char *out, size_t size)
{
	out[0] = '\0';
	append_file(BATCHES, out, size);
	append_file(ALLOCATIONS, out, size);
}

/* The files, read by the test: every allocation's batch exists with its
 * sku, and no batch is allocated beyond its quantity. (The data has no
 * quoted fields, so a row splits at its commas.) */
struct batch {
	char ref[32], sku[32];
	long long qty, allocated;
};

static size_t read_batches(struct batch *b, size_t max)
{
	char *text = csv_test_read(work_folder, BATCHES, NULL);
	cr_assert_not_null(text);
	cr_assert_eq(strncmp(text, "ref,sku,qty,eta", 15), 0, "batches.csv header: %.40s", text);
	size_t n = 0;
	char *save = NULL;
	strtok_r(text, "\r\n", &save);
	for (char *row; (row = strtok_r(NULL, "\r\n", &save)) != NULL; n++) {
		cr_assert_lt(n, max);
		/* rows the library wrote; the count of fields read is checked */
		// NOLINTNEXTLINE(cert-err34-c)
		cr_assert_eq(sscanf(row, "%31[^,],%31[^,],%lld", b[n].ref, b[n].sku, &b[n].qty), 3,
		             "batches.csv row %s", row);
		b[n].allocated = 0;
	}
	free(text);
	return n;
}

static void check_invariants(void)
{
	struct batch b[64];
	size_t n = read_batches(b, 64);
	char *text = csv_test_read(work_folder, ALLOCATIONS, NULL);
	if (!text)
		return;
	cr_assert_eq(strncmp(text, "orderid,sku,qty,batchref", 24), 0,
	             "allocations.csv header: %.40s", text);
	char *save = NULL;
	strtok_r(text, "\r\n", &save);
	for (char *row; (row = strtok_r(NULL, "\r\n", &save)) != NULL;) {
		char orderid[32], sku[32], ref[32];
		long long qty;
		// NOLINTNEXTLINE(cert-err34-c): as above
		cr_assert_eq(sscanf(row, "%31[^,],%31[^,],%lld,%31s", orderid, sku, &qty, ref), 4,
		             "allocations.csv row %s", row);
		size_t i = 0;
		while (i < n && strcmp(b[i].ref, ref) != 0)
			i++;
		cr_assert_lt(i, n, "%s is allocated to %s, which does not exist", orderid, ref);
		cr_assert_str_eq(b[i].sku, sku, "%s: a line of %s on a batch of %s", orderid, sku,
		                 b[i].sku);
		b[i].allocated += qty;
	}
	free(text);
	for (size_t i = 0; i < n; i++)
		cr_assert_leq(b[i].allocated, b[i].qty, "%s is over-allocated", b[i].ref);
}

static const struct oom_store_adapter csv_adapter = {
    "csv", reset, reset_empty, open_store, read_state, check_invariants, NULL, csv_errors};

/* ---- la_csv_allocate_orders: all or nothing ---- */

static char expected[OOM_STATE_MAX], before[OOM_STATE_MAX];

static void setup_orders(void *ctx)
{
	(void)ctx;
	reset();
	read_state(before, sizeof before);
}

static int call_allocate_orders(void *ctx)
{
	(void)ctx;
	size_t allocated = 0, out_of_stock = 0;
	int rc = la_csv_allocate_orders(&allocated, &out_of_stock, work_folder, NULL);
	if (rc == LA_OK) {
		cr_assert_eq(allocated, 3);
		cr_assert_eq(out_of_stock, 1);
	}
	return rc;
}

static void expect_clean(const char *state)
{
	if (!expected[0])
		snprintf(expected, sizeof expected, "%s", state);
	cr_assert_str_eq(state, expected,
	                 "allocation %llu failing: %s: differs from a clean run:\n%s\nclean:\n%s",
	                 oom_sweep_failing(), oom_sweep_outcome(), state, expected);
}

static void check_allocate_orders(void *ctx, int rc, int fired)
{
	(void)fired;
	char state[OOM_STATE_MAX];
	read_state(state, sizeof state);
	check_invariants();
	if (rc != LA_OK) {
		cr_assert_str_eq(state, before,
		                 "allocation %llu failing: %s, yet the files changed",
		                 oom_sweep_failing(), oom_sweep_outcome());
		rc = call_allocate_orders(ctx);
		cr_assert_eq(rc, LA_OK, "again: %s", la_error_last());
		read_state(state, sizeof state);
	}
	expect_clean(state);
}

static void no_teardown(void *ctx)
{
	(void)ctx;
}

/* ---- la_csv_import_orders: the lines before a failure stay imported ---- */

struct import {
	char path[512]; /* made before the call: the test allocates nothing in it */
	la_store *store;
	la_bus *bus;
	int status[8];
	size_t lines;
};

static struct import import;

static int on_line(size_t line, const char *orderid, const char *sku, int64_t qty, int status,
                   const char *batchref, const char *message, void *payload)
{
	(void)orderid, (void)sku, (void)qty, (void)batchref, (void)message;
	struct import *im = payload;
	cr_assert(line >= 2 && line < 2 + 8);
	im->status[line - 2] = status;
	im->lines++;
	return LA_OK;
}

static void setup_import(void *ctx)
{
	(void)ctx;
	reset();
	memset(&import, 0, sizeof import);
	snprintf(import.path, sizeof import.path, "%s/import.csv", work_folder);
	cr_assert_eq(open_store(&import.store, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_new(&import.bus, import.store, NULL), LA_OK);
}

static int run_import(void)
{
	size_t allocated, out_of_stock, failed;
	import.lines = 0;
	return la_csv_import_orders(&allocated, &out_of_stock, &failed, import.bus, import.path, 2,
	                            on_line, &import);
}

static int call_import(void *ctx)
{
	(void)ctx;
	return run_import();
}

/* Every line allocated: its orderid in allocations.csv. */
static void expect_lines(void)
{
	char *text = csv_test_read(work_folder, ALLOCATIONS, NULL);
	cr_assert_not_null(text);
	for (int i = 1; i <= 5; i++) {
		char row[16];
		snprintf(row, sizeof row, "\ni%d,", i);
		cr_assert_not_null(strstr(text, row), "line i%d is not allocated", i);
	}
	free(text);
}

/* A line refused for want of memory is refused alone; whatever failed,
 * importing the file again completes it (allocating is idempotent). When
 * nothing was refused, the files are those of a clean import (otherwise a
 * line allocated later may take another batch). */
static void check_import(void *ctx, int rc, int fired)
{
	(void)ctx, (void)fired;
	check_invariants();
	int refused = rc != LA_OK;
	if (rc == LA_OK) {
		cr_assert_eq(import.lines, 5);
		for (size_t i = 0; i < 5; i++) {
			cr_assert(import.status[i] == LA_OK || import.status[i] == LA_ENOMEM,
			          "line %zu: %s", i + 2, la_strerror(import.status[i]));
			refused |= import.status[i] != LA_OK;
		}
	}
	char state[OOM_STATE_MAX];
	if (!refused) {
		read_state(state, sizeof state);
		expect_clean(state);
	}
	rc = run_import();
	cr_assert_eq(rc, LA_OK, "importing again: %s", la_error_last());
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(import.status[i], LA_OK, "again, line %zu: %s", i + 2,
		             la_strerror(import.status[i]));
	check_invariants();
	expect_lines();
}

static void teardown_import(void *ctx)
{
	(void)ctx;
	la_bus_free(import.bus);
	la_store_free(import.store);
}

/* ---- the suite ---- */

static void prepare(void)
{
	template_folder = csv_test_folder_named("la-oom-csv-");
	work_folder = csv_test_folder_named("la-oom-csv-");
	csv_test_write(template_folder, BATCHES, "ref,sku,qty,eta\n");
	la_store *store = NULL;
	cr_assert_eq(la_csv_store_open(&store, template_folder), LA_OK, "%s", la_error_last());
	oom_store_prepare(store);
	la_store_free(store);
	/* o4 fits, o1's chair is already there, o5 finds no stock */
	csv_test_write(template_folder, ORDERS,
	               "orderid,sku,qty\no4,CHAIR,5\no1,CHAIR,20\no5,TABLE,100\no6,TABLE,1\n");
	csv_test_write(template_folder, "import.csv",
	               "orderid,sku,qty\ni1,CHAIR,1\ni2,TABLE,1\ni3,CHAIR,2\ni4,CHAIR,3\n"
	               "i5,TABLE,1\n");
}

static void finish(void)
{
	csv_test_remove_folder(template_folder);
	csv_test_remove_folder(work_folder);
}

TestSuite(oom_csv, .init = prepare, .fini = finish);

Test(oom_csv, commands)
{
	oom_store_sweep_commands(&csv_adapter);
}

Test(oom_csv, views)
{
	oom_store_sweep_views(&csv_adapter);
}

Test(oom_csv, open)
{
	oom_store_sweep_open(&csv_adapter, 0);
}

Test(oom_csv, open_empty_folder)
{
	oom_store_sweep_open(&csv_adapter, 1);
}

Test(oom_csv, allocate_orders)
{
	const struct oom_step steps[] = {{"la_csv_allocate_orders", setup_orders,
	                                  call_allocate_orders, check_allocate_orders, no_teardown,
	                                  csv_errors},
	                                 {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("csv", steps, NULL);
}

Test(oom_csv, import_orders)
{
	const struct oom_step steps[] = {{"la_csv_import_orders", setup_import, call_import,
	                                  check_import, teardown_import, csv_errors},
	                                 {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("csv", steps, NULL);
}
