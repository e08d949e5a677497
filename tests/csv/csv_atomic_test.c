/*
 * The rewrite of allocations.csv is atomic: a child process that keeps
 * rewriting a large allocations.csv (deallocating and reallocating one line,
 * so the file alternates between two known contents) is killed with SIGKILL
 * at random moments; every time, the file is exactly one of the two.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <criterion/criterion.h>

#include <allocation/allocation.h>
#include <allocation/csv.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csv_format.h"
#include "csv_test_support.h"

#define ROWS 20000

static char *folder;

/* The file with the moving line at the end (with_line) or without it. */
static char *expected_content(int with_line)
{
	csv_buffer buf = {0};
	const char *header[] = {"orderid", "sku", "qty", "batchref"};
	cr_assert_eq(csv_write_record(&buf, header, 4), CSV_OK);
	for (int i = 0; i < ROWS; i++) {
		char orderid[32];
		snprintf(orderid, sizeof(orderid), "order-%06d, \"filler\"", i);
		const char *row[] = {orderid, "lamp", "1", "b1"};
		cr_assert_eq(csv_write_record(&buf, row, 4), CSV_OK);
	}
	if (with_line) {
		const char *row[] = {"moving", "lamp", "1", "b1"};
		cr_assert_eq(csv_write_record(&buf, row, 4), CSV_OK);
	}
	return buf.data;
}

/* command(bus, la_command_x(&m, ...), &m): *m is read after the constructor ran. */
static void command(la_bus *bus, int built, la_message **m)
{
	if (built != LA_OK || la_bus_handle(bus, *m) != LA_OK) {
		fprintf(stderr, "child: %s\n", la_error_last());
		_exit(3);
	}
	la_message_free(*m);
}

/* The child: flip the moving line forever, one byte on the pipe per commit. */
static void churn(int out)
{
	la_store *store;
	la_bus *bus;
	if (la_csv_store_open(&store, folder) != LA_OK || la_bus_new(&bus, store, NULL) != LA_OK)
		_exit(2);
	/* an earlier child may have died between the two steps */
	la_allocation_list *list;
	if (la_view_allocations(&list, store, "moving") != LA_OK)
		_exit(2);
	int present = la_allocation_list_count(list) > 0;
	la_allocation_list_free(list);
	for (;; present = !present) {
		la_message *m = NULL;
		if (present)
			command(bus, la_command_deallocate(&m, "moving", "lamp"), &m);
		else
			command(bus, la_command_allocate(&m, "moving", "lamp", 1), &m);
		if (write(out, "c", 1) != 1)
			_exit(4);
	}
}

Test(csv_atomic, kill_during_rewrites_leaves_old_or_new_file, .timeout = 120)
{
	folder = csv_test_folder();
	char *with = expected_content(1), *without = expected_content(0);
	csv_test_write(folder, "batches.csv", "ref,sku,qty,eta\nb1,lamp,1000000,\n");
	csv_test_write(folder, "allocations.csv", with);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());

	for (int round = 0; round < 8; round++) {
		int fds[2];
		cr_assert_eq(pipe(fds), 0);
		pid_t pid = fork();
		cr_assert_neq(pid, -1);
		if (pid == 0) {
			close(fds[0]);
			churn(fds[1]);
		}
		close(fds[1]);
		/* let it commit a few times, then kill it somewhere in a rewrite */
		char c;
		for (int i = 0; i < 2; i++) {
			if (read(fds[0], &c, 1) != 1) {
				int status = 0;
				waitpid(pid, &status, 0);
				cr_assert_fail("the child stopped early (exit status %d)",
				               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			}
		}
		usleep((useconds_t)(rand() % 40000));
		cr_assert_eq(kill(pid, SIGKILL), 0);
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFSIGNALED(status), "child exited with %d", WEXITSTATUS(status));
		close(fds[0]);

		size_t len;
		char *got = csv_test_read(folder, "allocations.csv", &len);
		cr_assert_not_null(got);
		int is_with = strcmp(got, with) == 0, is_without = strcmp(got, without) == 0;
		cr_assert(is_with || is_without,
		          "round %d: allocations.csv is neither version (%zu bytes)", round, len);
		csv_table t;
		cr_assert_eq(csv_parse(&t, got, len, NULL), CSV_OK);
		cr_expect_eq(t.count, (size_t)ROWS + 1 + (is_with ? 1 : 0));
		csv_table_free(&t);
		free(got);

		/* the store opens the survivor and keeps working */
		la_store *store;
		cr_assert_eq(la_csv_store_open(&store, folder), LA_OK, "%s", la_error_last());
		la_store_free(store);
	}
	free(with);
	free(without);
	csv_test_remove_folder(folder);
}
