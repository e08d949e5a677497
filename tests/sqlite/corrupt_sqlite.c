/* tests/support/corrupt.h for SQLite: raw SQL on a second connection. */
#include "corrupt.h"
#include "sqlite_test_support.h"

#include <stdio.h>

const char *test_sqlite_store_path(la_store *store);

static const char *const sql[] = {
    [CORRUPT_ALLOCATED] = "UPDATE batches SET allocated = allocated + 3 WHERE ref = 'b1'",
    [CORRUPT_MISSING_BATCH] = "UPDATE allocations SET batchref = 'gone' WHERE orderid = 'o2'",
    [CORRUPT_READ_MODEL] = "DROP VIEW allocations_view;"
                           "CREATE VIEW allocations_view AS SELECT rowid AS position, orderid,"
                           " sku, batchref, qty, expires FROM allocations WHERE orderid <> 'o1'",
    /* SQLite cannot drop a primary key: rebuild the table without it. */
    [CORRUPT_DUPLICATE_LINE] =
        "BEGIN; DROP VIEW allocations_view;"
        "ALTER TABLE allocations RENAME TO allocations_old;"
        "CREATE TABLE allocations (orderid TEXT NOT NULL, sku TEXT NOT NULL,"
        " batchref TEXT NOT NULL, qty INTEGER NOT NULL, sequence INTEGER NOT NULL,"
        " expires INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO allocations SELECT orderid, sku, batchref, qty, sequence, expires"
        " FROM allocations_old ORDER BY rowid;"
        "DROP TABLE allocations_old;"
        "CREATE INDEX allocations_by_batch ON allocations(batchref);"
        "CREATE VIEW allocations_view AS SELECT rowid AS position, orderid, sku, batchref, qty,"
        " expires FROM allocations;"
        "INSERT INTO allocations SELECT orderid, sku, 'b2', qty, sequence, expires FROM allocations"
        " WHERE orderid = 'o1';"
        "COMMIT",
    [CORRUPT_VERSION] = "UPDATE products SET version_number = 0 WHERE sku = 'LAMP'",
    [CORRUPT_OUTBOX] = "INSERT INTO outbox(channel, payload) VALUES('line_allocated', 'oops')",
    [CORRUPT_HELD] = "UPDATE batches SET held = held + 2 WHERE ref = 'b1'",
    [CORRUPT_WAITING] =
        "INSERT INTO waiting(sku, orderid, qty, sequence) VALUES('LAMP', 'o1', 2, 99)",
};

int test_corrupt(la_store *store, enum test_corruption what)
{
	const char *path = test_sqlite_store_path(store);
	if (!path)
		return LA_EINVAL;
	sqlite3 *db = sqlt_raw(path);
	char *error = NULL;
	int rc = sqlite3_exec(db, sql[what], NULL, NULL, &error);
	if (rc != SQLITE_OK)
		fprintf(stderr, "corrupting: %s\n", error ? error : "?");
	sqlite3_free(error);
	sqlite3_close(db);
	return rc == SQLITE_OK ? LA_OK : LA_EDB;
}
