/*
 * The order history is written in the commit's own transaction: a commit
 * that fails after its history rows were inserted (a trigger refuses the
 * batch figures, which are written last) leaves none behind.
 */
#include <criterion/criterion.h>

#include "sqlite_test_support.h"

static void raw(const char *path, const char *sql)
{
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int64_t rows(const char *path, const char *sql)
{
	sqlite3 *db = sqlt_raw(path);
	int64_t n = sqlt_int(db, sql);
	sqlite3_close(db);
	return n;
}

Test(sqlite_history, a_failed_commit_leaves_no_history)
{
	const char *path = sqlt_path("history-commit");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	raw(path, "CREATE TRIGGER refuse_figures BEFORE UPDATE OF allocated ON batches"
	          " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
	cr_assert_neq(sqlt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK);
	cr_assert_eq(rows(path, "SELECT count(*) FROM order_history"), 0);
	cr_assert_eq(rows(path, "SELECT count(*) FROM allocations"), 0);

	raw(path, "DROP TRIGGER refuse_figures");
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(rows(path, "SELECT count(*) FROM order_history WHERE orderid = 'o1'"
	                        " AND event = 101 AND batchref = 'b1' AND qty = 2"),
	             1);
	la_bus_free(bus);
	la_store_free(store);
}
