/*
 * Crash safety: a child process allocates (and deallocates) in a loop and is
 * killed with SIGKILL at random moments, several times. Afterwards every
 * batch's stored figures equal its lines, the read model equals the
 * allocations, and everything the child reported committed is there.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "child_process.h"
#include "sqlite_test_support.h"

enum { ROUNDS = 8, MAX_ORDERS = 200000 };
enum order_state { UNKNOWN, ALLOCATED, REMOVED, UNCERTAIN };

struct order {
	char state;
	char batchref[64]; /* as long as the report's field */
};

static struct order *orders[ROUNDS];

static struct order *order_of(const char *orderid)
{
	char *end;
	cr_assert_eq(orderid[0], 'r', "order id %s", orderid);
	long round = strtol(orderid + 1, &end, 10);
	cr_assert_eq(*end, '-', "order id %s", orderid);
	long index = strtol(end + 1, &end, 10);
	cr_assert_eq(*end, '\0', "order id %s", orderid);
	cr_assert(round >= 0 && round < ROUNDS && index >= 0 && index < MAX_ORDERS);
	return &orders[round][index];
}

/* Fold one child's report into what must be stored. */
static int apply_report(const char *output)
{
	int lines = 0;
	const char *p = output;
	while (*p) {
		const char *end = strchr(p, '\n');
		if (!end)
			break; /* a torn last line cannot happen (one write each), but be safe */
		char kind, orderid[64] = "", ref[64] = "";
		int n = sscanf(p, "%c %63s %63s", &kind, orderid, ref);
		cr_assert(n >= 2, "bad report line: %.*s", (int)(end - p), p);
		cr_assert_neq(kind, 'E', "the child failed: %.*s", (int)(end - p), p);
		if (kind != 'O') {
			struct order *o = order_of(orderid);
			if (kind == 'A') {
				o->state = ALLOCATED;
				snprintf(o->batchref, sizeof o->batchref, "%s", ref);
			} else if (kind == 'd') {
				o->state = UNCERTAIN;
			} else if (kind == 'D') {
				o->state = REMOVED;
			}
		}
		lines++;
		p = end + 1;
	}
	return lines;
}

static void check_reported(const char *path)
{
	la_store *store;
	cr_assert_eq(la_sqlite_store_open(&store, path, 0), LA_OK, "%s", la_error_last());
	size_t present = 0;
	char orderid[32];
	for (int r = 0; r < ROUNDS; r++)
		for (long i = 0; i < MAX_ORDERS; i++) {
			struct order *o = &orders[r][i];
			if (o->state == UNKNOWN || o->state == UNCERTAIN)
				continue;
			snprintf(orderid, sizeof orderid, "r%d-%ld", r, i);
			la_allocation_list *list = NULL;
			cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
			if (o->state == ALLOCATED) {
				cr_assert_eq(la_allocation_list_count(list), 1,
				             "reported allocation %s is missing", orderid);
				cr_assert_str_eq(la_allocation_list_batchref(list, 0), o->batchref);
				present++;
			} else {
				cr_assert_eq(la_allocation_list_count(list), 0,
				             "reported deallocation %s is still there", orderid);
			}
			la_allocation_list_free(list);
		}
	la_store_free(store);
	sqlite3 *db = sqlt_raw(path);
	int64_t stored = sqlt_int(db, "SELECT count(*) FROM allocations");
	sqlite3_close(db);
	/* each kill may lose the report of one commit, never the commit */
	cr_assert(stored >= (int64_t)present, "stored %lld < reported %zu", (long long)stored,
	          present);
	cr_log_info("%zu reported allocations checked, %lld stored", present, (long long)stored);
}

/* The outbox agrees with the commits: every stored allocation has its
 * Allocated message, and every message names a line that is stored or that
 * the child deallocated afterwards (never one that was rolled back). */
static void check_outbox(const char *path)
{
	sqlite3 *db = sqlt_raw(path);
	/* a TEMP table: the database file itself is not changed */
	cr_assert_eq(sqlite3_exec(db,
	                          "CREATE TEMP TABLE sent AS SELECT"
	                          " json_extract(payload, '$.orderid') AS orderid,"
	                          " json_extract(payload, '$.batchref') AS batchref FROM outbox;"
	                          "CREATE INDEX temp.sent_by_order ON sent(orderid, batchref)",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations a WHERE NOT EXISTS"
	                          " (SELECT 1 FROM sent s WHERE s.orderid = a.orderid"
	                          " AND s.batchref = a.batchref)"),
	             0, "a committed allocation has no outbox message");
	cr_assert_eq(sqlt_int(db, "SELECT count(*) - count(DISTINCT orderid) FROM sent"), 0,
	             "an allocation has two outbox messages");
	sqlite3_stmt *stmt;
	cr_assert_eq(sqlite3_prepare_v2(db,
	                                "SELECT orderid FROM sent WHERE orderid NOT IN"
	                                " (SELECT orderid FROM allocations)",
	                                -1, &stmt, NULL),
	             SQLITE_OK);
	int gone = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *orderid = (const char *)sqlite3_column_text(stmt, 0);
		char state = order_of(orderid)->state;
		cr_assert(state == REMOVED || state == UNCERTAIN,
		          "outbox message for %s, which was never committed", orderid);
		gone++;
	}
	sqlite3_finalize(stmt);
	cr_log_info("outbox: %lld messages, %d for lines deallocated since",
	            (long long)sqlt_int(db, "SELECT count(*) FROM outbox"), gone);
	sqlite3_close(db);
}

Test(sqlite_crash, sigkill_at_random_moments_loses_nothing_committed, .timeout = 120)
{
	const char *path = sqlt_path("crash");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	const char *etas[] = {NULL, "2011-01-01", NULL, "2011-03-01", "2011-02-01", NULL};
	char ref[16];
	for (int i = 0; i < 6; i++) {
		snprintf(ref, sizeof ref, "chair-%d", i);
		sqlt_create_batch(bus, ref, "CHAIR", 4000, etas[i]);
	}
	la_bus_free(bus);
	la_store_free(store);

	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	cr_log_info("crash test seed %u", seed);
	int total = 0;
	for (int r = 0; r < ROUNDS; r++) {
		orders[r] = calloc(MAX_ORDERS, sizeof **orders);
		cr_assert_not_null(orders[r]);
		char prefix[16];
		snprintf(prefix, sizeof prefix, "r%d-", r);
		const char *args[] = {path, "crash", prefix, "190000", "CHAIR", NULL};
		struct child c;
		child_start(&c, args);
		child_read(&c, 1, 5 + rand() % 300);
		int status = child_kill(&c);
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		          "the child ended before it was killed: status %d, output tail: %s",
		          status, c.size > 300 ? c.output + c.size - 300 : c.output);
		total += apply_report(c.output);
		child_free(&c);
		sqlt_check_invariants(path);
	}
	cr_log_info("%d reported commands over %d kills", total, ROUNDS);
	cr_assert(total > 0, "the children never got to work");
	check_reported(path);
	check_outbox(path);
	for (int r = 0; r < ROUNDS; r++)
		free(orders[r]);
}
