/*
 * Concurrency across processes: two processes each allocate 2,000 one-unit
 * lines of a sku that has 3,000 units, at the same time, on one file.
 * Exactly 3,000 are allocated and 1,000 are out of stock; none is lost, none
 * is stored twice, and no command fails.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <criterion/criterion.h>

#include "child_process.h"
#include "sqlite_test_support.h"

static int count_lines(const char *output, char kind)
{
	int n = 0;
	for (const char *p = output; *p;) {
		n += p[0] == kind && p[1] == ' ';
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

static void check_allocations_present(la_store *store, const char *output)
{
	for (const char *p = output; *p;) {
		char orderid[64], ref[64];
		if (p[0] == 'A' && p[1] == ' ') {
			cr_assert_eq(sscanf(p, "A %63s %63s", orderid, ref), 2);
			la_allocation_list *list = NULL;
			cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
			cr_assert_eq(la_allocation_list_count(list), 1, "%s", orderid);
			cr_assert_str_eq(la_allocation_list_batchref(list, 0), ref);
			la_allocation_list_free(list);
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* The wall-clock time (ms) 300 ms from now, as text: children told to start
 * then start together. */
static void start_in_300_ms(char *buf, size_t size)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(buf, size, "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + 300);
}

Test(sqlite_concurrency, two_processes_never_lose_or_double_an_allocation, .timeout = 240)
{
	const char *path = sqlt_path("race");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlt_create_batch(bus, "race-1", "RACE", 1000, NULL);
	sqlt_create_batch(bus, "race-2", "RACE", 1000, "2011-01-01");
	sqlt_create_batch(bus, "race-3", "RACE", 1000, "2011-01-02");
	la_bus_free(bus);
	la_store_free(store);

	char start[32];
	start_in_300_ms(start, sizeof start);
	const char *args0[] = {path, "race", "p0-", "2000", "RACE", start, NULL};
	const char *args1[] = {path, "race", "p1-", "2000", "RACE", start, NULL};
	struct child c[2];
	child_start(&c[0], args0);
	child_start(&c[1], args1);
	child_read(c, 2, -1);
	int allocated = 0, out_of_stock = 0;
	for (int i = 0; i < 2; i++) {
		int status = child_finish(&c[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: status %d", i,
		          status);
		cr_assert_eq(count_lines(c[i].output, 'E'), 0, "child %d failed: %s", i,
		             strstr(c[i].output, "E ") ? strstr(c[i].output, "E ") : "");
		int a = count_lines(c[i].output, 'A'), o = count_lines(c[i].output, 'O');
		cr_assert_eq(a + o, 2000, "child %d reported %d + %d", i, a, o);
		cr_log_info("process %d: %d allocated, %d out of stock", i, a, o);
		allocated += a;
		out_of_stock += o;
	}
	cr_assert_eq(allocated, 3000);
	cr_assert_eq(out_of_stock, 1000);

	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 3000);
	cr_assert_eq(sqlt_int(db, "SELECT sum(allocated) FROM batches"), 3000);
	cr_assert_eq(sqlt_int(db, "SELECT count(DISTINCT orderid) FROM allocations"), 3000);
	cr_assert_eq(sqlt_int(db, "SELECT version_number FROM products WHERE sku = 'RACE'"),
	             3 + 3000);
	sqlite3_close(db);
	sqlt_check_invariants(path);
	cr_assert_eq(la_sqlite_store_open(&store, path, 0), LA_OK);
	for (int i = 0; i < 2; i++) {
		check_allocations_present(store, c[i].output);
		child_free(&c[i]);
	}
	la_store_free(store);
}

/* The "id" of each "P {json}" line of output, in order; returns how many. */
static int published_ids(const char *output, char ids[][48], int max)
{
	int n = 0;
	for (const char *p = output; *p;) {
		const char *id = p[0] == 'P' && p[1] == ' ' ? strstr(p, "\"id\":\"") : NULL;
		if (id) {
			cr_assert_lt(n, max, "more messages published than written");
			cr_assert_eq(sscanf(id + 6, "%47[^\"]", ids[n]), 1);
			n++;
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

/*
 * Two servers on one file each run a relay: started together, two relay
 * processes (each publishing a message in 2 ms) drain 150 outbox rows, and
 * every message is published exactly once — one relay at a time publishes
 * (the -relay lock file), the other finds it taken and publishes nothing.
 */
Test(sqlite_concurrency, two_relay_processes_publish_each_message_once)
{
	enum { MESSAGES = 150 };
	const char *path = sqlt_path("relays");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "relay-1", "RELAY", 1000, NULL);
	for (int i = 0; i < MESSAGES; i++) {
		char orderid[32];
		snprintf(orderid, sizeof orderid, "r-%d", i);
		cr_assert_eq(sqlt_allocate(bus, orderid, "RELAY", 1, NULL, 0), LA_OK);
	}
	la_bus_free(bus);
	la_store_free(store);

	char start[32];
	start_in_300_ms(start, sizeof start);
	const char *args[] = {path, "relay", "-", "2500", "-", start, NULL};
	struct child c[2];
	child_start(&c[0], args);
	child_start(&c[1], args);
	child_read(c, 2, -1);
	static char ids[2 * MESSAGES][48];
	int total = 0;
	for (int i = 0; i < 2; i++) {
		int status = child_finish(&c[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "relay %d: status %d", i,
		          status);
		cr_assert_eq(count_lines(c[i].output, 'E'), 0, "relay %d failed: %s", i,
		             c[i].output);
		int n = published_ids(c[i].output, ids + total, 2 * MESSAGES - total);
		cr_log_info("relay process %d published %d", i, n);
		total += n;
		child_free(&c[i]);
	}
	for (int i = 0; i < total; i++)
		for (int j = i + 1; j < total; j++)
			cr_assert_str_neq(ids[i], ids[j], "message %s was published twice", ids[i]);
	cr_assert_eq(total, MESSAGES);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM outbox WHERE sent IS NULL"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM outbox"), MESSAGES);
	sqlite3_close(db);
}
