/* tests/support/corrupt.h for PostgreSQL: raw SQL on a second connection. */
#include "corrupt.h"
#include "pg_test.h"

static const char *const sql[] = {
    [CORRUPT_ALLOCATED] = "UPDATE batches SET allocated = allocated + 3 WHERE ref = 'b1'",
    [CORRUPT_MISSING_BATCH] = "UPDATE allocations SET batchref = 'gone' WHERE orderid = 'o2'",
    [CORRUPT_READ_MODEL] = "CREATE OR REPLACE VIEW allocations_view AS SELECT position, orderid,"
                           " sku, batchref, qty, expires FROM allocations WHERE orderid <> 'o1'",
    [CORRUPT_DUPLICATE_LINE] =
        "ALTER TABLE allocations DROP CONSTRAINT allocations_pkey;"
        "INSERT INTO allocations(orderid, sku, batchref, qty, sequence)"
        " SELECT orderid, sku, 'b2', qty, sequence FROM allocations WHERE orderid = 'o1'",
    [CORRUPT_VERSION] = "UPDATE products SET version_number = 0 WHERE sku = 'LAMP'",
    [CORRUPT_OUTBOX] = "INSERT INTO outbox(channel, payload) VALUES('line_allocated', 'oops')",
    [CORRUPT_HELD] = "UPDATE batches SET held = held + 2 WHERE ref = 'b1'",
    [CORRUPT_WAITING] =
        "INSERT INTO waiting(sku, orderid, qty, sequence) VALUES('LAMP', 'o1', 2, 99)",
};

int test_corrupt(la_store *store, enum test_corruption what)
{
	PGconn *conn = test_pg_connect(store);
	if (!conn)
		return LA_EDB;
	int failed = test_pg_exec(conn, sql[what]);
	PQfinish(conn);
	return failed ? LA_EDB : LA_OK;
}
