/* Helpers for the SQLite adapter's tests (see sqlite_test_support.h). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sqlite_test_support.h"

static char tmpdir[256];
static pid_t tmpdir_owner;

static void remove_tmpdir(void)
{
	if (!tmpdir[0] || tmpdir_owner != getpid())
		return;
	DIR *dir = opendir(tmpdir);
	if (dir) {
		struct dirent *entry;
		char path[512];
		while ((entry = readdir(dir)) != NULL) {
			if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", tmpdir, entry->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(tmpdir);
}

const char *sqlt_path(const char *name)
{
	static char paths[8][512];
	static unsigned next;
	if (!tmpdir[0] || tmpdir_owner != getpid()) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof tmpdir, "%s/la-sqlite-test-XXXXXX", base ? base : "/tmp");
		cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
		tmpdir_owner = getpid();
		cr_assert_eq(atexit(remove_tmpdir), 0);
	}
	char *path = paths[next++ % 8];
	snprintf(path, 512, "%s/%s.db", tmpdir, name);
	return path;
}

void sqlt_open(la_store **store, la_bus **bus, const char *path, unsigned int flags)
{
	int rc = la_sqlite_store_open(store, path, flags);
	cr_assert_eq(rc, LA_OK, "open %s: %s", path, la_error_last());
	cr_assert_eq(la_bus_new(bus, *store, NULL), LA_OK, "%s", la_error_last());
}

void sqlt_create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *msg = NULL;
	int rc = la_command_create_batch(&msg, ref, sku, qty, eta);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	cr_assert_eq(rc, LA_OK, "create batch %s: %s", ref, la_error_last());
}

int sqlt_allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty, char *batchref,
                  size_t size)
{
	la_message *msg = NULL;
	int built = la_command_allocate(&msg, orderid, sku, qty);
	cr_assert_eq(built, LA_OK, "%s", la_error_last());
	int rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	if (batchref && size) {
		const char *ref = rc == LA_OK ? la_bus_result_batchref(bus) : NULL;
		snprintf(batchref, size, "%s", ref ? ref : "");
	}
	return rc;
}

int sqlt_deallocate(la_bus *bus, const char *orderid, const char *sku)
{
	la_message *msg = NULL;
	int built = la_command_deallocate(&msg, orderid, sku);
	cr_assert_eq(built, LA_OK, "%s", la_error_last());
	int rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	return rc;
}

int sqlt_change_quantity(la_bus *bus, const char *ref, int64_t qty)
{
	la_message *msg = NULL;
	int built = la_command_change_batch_quantity(&msg, ref, qty);
	cr_assert_eq(built, LA_OK, "%s", la_error_last());
	int rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	return rc;
}

sqlite3 *sqlt_raw(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	cr_assert_eq(rc, SQLITE_OK, "raw open %s: %s", path, sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 5000);
	return db;
}

int64_t sqlt_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	int64_t value = -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	else
		cr_assert_eq(rc, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return value;
}

void sqlt_check_invariants(const char *path)
{
	sqlite3 *db = sqlt_raw(path);
	cr_expect_eq(sqlt_int(db, "SELECT count(*) FROM batches b WHERE"
	                          " allocated != (SELECT coalesce(sum(qty), 0) FROM allocations a"
	                          " WHERE a.batchref = b.ref) OR line_count != (SELECT count(*)"
	                          " FROM allocations a WHERE a.batchref = b.ref)"),
	             0, "stored allocated quantity or line count differs from the lines");
	cr_expect_eq(sqlt_int(db, "SELECT count(*) FROM batches WHERE allocated > purchased"
	                          " OR allocated < 0"),
	             0, "a batch is over-allocated");
	cr_expect_eq(sqlt_int(db, "SELECT count(*) FROM allocations a LEFT JOIN batches b"
	                          " ON b.ref = a.batchref WHERE b.ref IS NULL OR b.sku != a.sku"),
	             0, "a line points to a missing batch or one of another sku");
	cr_expect_eq(sqlt_int(db, "SELECT count(*) FROM batches b LEFT JOIN products p"
	                          " ON p.sku = b.sku WHERE p.sku IS NULL"),
	             0, "a batch without its product");
	cr_expect_eq(sqlt_int(db, "SELECT count(*) FROM batches b WHERE held != (SELECT"
	                          " coalesce(sum(qty), 0) FROM allocations a WHERE"
	                          " a.batchref = b.ref AND a.expires > 0) OR held > allocated"),
	             0, "stored held quantity differs from the held lines");
	cr_expect_eq(sqlt_int(db,
	                      "SELECT (SELECT count(*) FROM (SELECT orderid, sku, batchref"
	                      " FROM allocations EXCEPT SELECT orderid, sku, batchref FROM"
	                      " allocations_view)) + (SELECT count(*) FROM (SELECT orderid, sku,"
	                      " batchref FROM allocations_view EXCEPT SELECT orderid, sku,"
	                      " batchref FROM allocations))"),
	             0, "the read model differs from the allocations");
	sqlite3_close(db);
}

char *sqlt_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	cr_assert(len >= 0 && fseek(f, 0, SEEK_SET) == 0, "seek %s", path);
	char *data = malloc((size_t)len + 1);
	cr_assert_not_null(data);
	cr_assert_eq(fread(data, 1, (size_t)len, f), (size_t)len);
	(void)fclose(f); /* read only */
	*size = (size_t)len;
	return data;
}
