/*
 * Files written by earlier versions are migrated in place on open and keep
 * every allocation: a schema-1 file as 1.0 wrote it (its DDL, verbatim) and
 * a schema-2 file as 1.1 left it, each with products, batches and lines.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "sqlite_test_support.h"

/* 1.0's schema, as its migrations[0] created it. */
static const char schema_1[] =
    "CREATE TABLE products ("
    " sku TEXT PRIMARY KEY NOT NULL,"
    " version_number INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "CREATE TABLE batches ("
    " ref TEXT PRIMARY KEY NOT NULL,"
    " sku TEXT NOT NULL,"
    " purchased INTEGER NOT NULL,"
    " eta TEXT,"
    " eta_key INTEGER NOT NULL,"
    " allocated INTEGER NOT NULL DEFAULT 0,"
    " line_count INTEGER NOT NULL DEFAULT 0,"
    " sequence INTEGER NOT NULL"
    ");"
    "CREATE INDEX batches_by_sku ON batches(sku, eta_key, sequence);"
    "CREATE TABLE allocations ("
    " orderid TEXT NOT NULL,"
    " sku TEXT NOT NULL,"
    " batchref TEXT NOT NULL,"
    " qty INTEGER NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " PRIMARY KEY (orderid, sku)"
    ");"
    "CREATE INDEX allocations_by_batch ON allocations(batchref);"
    "CREATE VIEW allocations_view AS"
    " SELECT rowid AS position, orderid, sku, batchref, qty FROM allocations;"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " channel TEXT NOT NULL,"
    " payload TEXT NOT NULL,"
    " sent INTEGER"
    ");"
    "CREATE INDEX outbox_unsent ON outbox(id) WHERE sent IS NULL;"
    "PRAGMA application_id = 1279344972;" /* 0x4c41414c */
    "PRAGMA user_version = 1;";

/* 1.1's step to schema 2. */
static const char schema_2[] = "ALTER TABLE outbox ADD COLUMN created INTEGER;"
                               "PRAGMA user_version = 2;";

/* Two products, three lines (o1 on both, o2 on LAMP), figures that match. */
static const char data[] = "INSERT INTO products VALUES ('LAMP', 3), ('TABLE', 2);"
                           "INSERT INTO batches VALUES ('b1', 'LAMP', 10, NULL, 0, 5, 2, 1),"
                           " ('b2', 'TABLE', 7, '2031-01-01', 20310101, 2, 1, 1);"
                           "INSERT INTO allocations VALUES ('o1', 'LAMP', 'b1', 3, 2);"
                           "INSERT INTO allocations VALUES ('o1', 'TABLE', 'b2', 2, 2);"
                           "INSERT INTO allocations VALUES ('o2', 'LAMP', 'b1', 2, 3);";

static void write_old_file(const char *path, int version)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, schema_1, NULL, NULL, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	if (version == 2)
		cr_assert_eq(sqlite3_exec(db, schema_2, NULL, NULL, NULL), SQLITE_OK, "%s",
		             sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_exec(db, data, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

static int64_t available(la_store *store, const char *ref)
{
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, store, ref), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	int64_t n = la_batch_page_available(page, 0);
	cr_assert_eq(la_batch_page_held(page, 0), 0);
	cr_assert_eq(la_batch_page_waiting(page, 0), 0);
	la_batch_page_free(page);
	return n;
}

static int handle(la_bus *bus, la_message *m)
{
	cr_assert_not_null(m);
	int rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

static void migrates_keeping_every_allocation(int version)
{
	const char *path = sqlt_path(version == 1 ? "written-by-1.0" : "written-by-1.1");
	write_old_file(path, version);
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "PRAGMA user_version"), LA_SQLITE_SCHEMA_VERSION);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations WHERE expires = 0"), 3);
	sqlite3_close(db);
	sqlt_check_invariants(path);

	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_allocation_list_count(list), 2);
	cr_assert_str_eq(la_allocation_list_sku(list, 0), "LAMP");
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "b1");
	cr_assert_str_eq(la_allocation_list_batchref(list, 1), "b2");
	cr_assert_eq(la_allocation_list_status(list, 0), LA_LINE_ALLOCATED);
	cr_assert_eq(la_allocation_list_expires(list, 1), 0);
	la_allocation_list_free(list);
	cr_assert_eq(available(store, "b1"), 5);
	cr_assert_eq(available(store, "b2"), 5);

	/* the old lines load and change; new ones may be held */
	la_message *m;
	cr_assert_eq(la_command_deallocate(&m, "o2", "LAMP"), LA_OK);
	cr_assert_eq(handle(bus, m), LA_OK, "%s", la_error_last());
	cr_assert_eq(available(store, "b1"), 7);
	cr_assert_eq(la_command_allocate_with(&m, "o3", "TABLE", 5, 60, NULL), LA_OK);
	cr_assert_eq(handle(bus, m), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_command_allocate_with(&m, "o4", "TABLE", 1, 0, NULL), LA_OK);
	cr_assert_eq(handle(bus, m), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_bus_result_outcome(bus, 0), LA_OUTCOME_OUT_OF_STOCK,
	             "the old line and the hold fill b2");
	sqlt_check_invariants(path);
	la_bus_free(bus);
	la_store_free(store);
}

Test(sqlite_migration, a_file_written_by_1_0_keeps_every_allocation)
{
	migrates_keeping_every_allocation(1);
}

Test(sqlite_migration, a_schema_2_file_keeps_every_allocation)
{
	migrates_keeping_every_allocation(2);
}
