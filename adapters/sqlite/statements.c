/*
 * The SQL the store runs, prepared once per connection on first use and kept
 * (SQLITE_PREPARE_PERSISTENT), and the mapping of SQLite errors to LA_E*.
 */
#include <string.h>

#include "sqlite_store.h"

/* A dashboard row: the batch's figures and its sku's waiting quantity
 * (columns as sq_view_row reads them). */
#define BATCH_ROW                                                                                  \
	"SELECT ref, sku, eta, purchased, allocated, line_count, sequence, held,"                  \
	" (SELECT COALESCE(sum(w.qty), 0) FROM waiting w WHERE w.sku = b.sku)"

/* SQ_ROWS copies of a row's VALUES, comma-separated. */
#define ROWS2(row)  row "," row
#define ROWS4(row)  ROWS2(row) "," ROWS2(row)
#define ROWS8(row)  ROWS4(row) "," ROWS4(row)
#define ROWS16(row) ROWS8(row) "," ROWS8(row)
#define ROWS32(row) ROWS16(row) "," ROWS16(row)
_Static_assert(SQ_ROWS == 32, "the multi-row statements are written for 32 rows");

/* OR ROLLBACK in the multi-row ones: SQLite then keeps no statement journal
 * (a copy of every page the statement changes, to undo it alone) because a
 * failure undoes the whole transaction, which the commit would do anyway. */
#define LINE_INSERT "INTO allocations(orderid, sku, batchref, qty, sequence, expires) VALUES"
#define HISTORY_INSERT                                                                             \
	"INTO order_history(orderid, at, event, sku, qty, batchref, reason, expires) VALUES"

static const char *const sql_text[SQ_STMT_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    /* One statement loads a product and all its batch rows (never lines). */
    [SQ_PRODUCT_GET] = "SELECT p.version_number, b.ref, b.purchased, b.eta, b.allocated,"
                       " b.line_count, b.sequence, b.held"
                       " FROM products p LEFT JOIN batches b ON b.sku = p.sku"
                       " WHERE p.sku = ?1 ORDER BY b.eta_key, b.sequence",
    [SQ_PRODUCT_VERSION] = "SELECT version_number FROM products WHERE sku = ?1",
    [SQ_PRODUCT_OF_BATCH] = "SELECT sku FROM batches WHERE ref = ?1",
    [SQ_PRODUCT_INSERT] = "INSERT INTO products(sku, version_number) VALUES(?1, ?2)",
    /* The optimistic check: touches no row if someone else committed first. */
    [SQ_PRODUCT_BUMP] = "UPDATE products SET version_number = ?2"
                        " WHERE sku = ?1 AND version_number = ?3",
    [SQ_BATCH_INSERT] = "INSERT INTO batches(ref, sku, purchased, eta, eta_key, allocated,"
                        " line_count, sequence) VALUES(?1, ?2, ?3, ?4, ?5, 0, 0, ?6)",
    [SQ_BATCH_QUANTITY] = "UPDATE batches SET purchased = ?2 WHERE ref = ?1",
    [SQ_BATCH_DELETE] = "DELETE FROM batches WHERE ref = ?1",
    /* A batch's figures follow its lines: set once per commit, from the
     * product (exact: the version check proves nobody changed it since). */
    [SQ_BATCH_FIGURES] = "UPDATE batches SET allocated = ?2, line_count = ?3, held = ?4"
                         " WHERE ref = ?1",
    [SQ_LINE_GET] = "SELECT batchref, qty, sequence, expires FROM allocations"
                    " WHERE orderid = ?1 AND sku = ?2",
    [SQ_LINES_OF_BATCH] = "SELECT orderid, qty, sequence, expires FROM allocations"
                          " WHERE batchref = ?1",
    [SQ_LINE_INSERT] = "INSERT " LINE_INSERT "(?1, ?2, ?3, ?4, ?5, ?6)",
    /* Parameters numbered in order: row i's are 6i + 1 to 6i + 6. */
    [SQ_LINE_INSERT_ROWS] = "INSERT OR ROLLBACK " LINE_INSERT ROWS32("(?, ?, ?, ?, ?, ?)"),
    [SQ_LINE_DELETE] = "DELETE FROM allocations WHERE orderid = ?1 AND sku = ?2",
    [SQ_LINE_CONFIRM] = "UPDATE allocations SET expires = 0 WHERE orderid = ?1 AND sku = ?2",
    [SQ_WAITING_OF_PRODUCT] = "SELECT orderid, qty, sequence FROM waiting WHERE sku = ?1",
    [SQ_WAITING_INSERT] = "INSERT INTO waiting(sku, orderid, qty, sequence)"
                          " VALUES(?1, ?2, ?3, ?4)",
    [SQ_WAITING_DELETE] = "DELETE FROM waiting WHERE sku = ?1 AND orderid = ?2",
    [SQ_LINES_OF_ORDER] = "SELECT sku FROM allocations WHERE orderid = ?1"
                          " UNION SELECT sku FROM waiting WHERE orderid = ?1",
    /* Earliest first, from the partial index on held lines only. */
    [SQ_EXPIRED_HOLDS] = "SELECT orderid, sku FROM allocations"
                         " WHERE expires > 0 AND expires <= ?1 ORDER BY expires LIMIT ?2",
    /* An order's allocated lines in allocation order, then its waiting
     * lines (batchref NULL) in arrival order. */
    [SQ_VIEW_ALLOCATIONS] = "SELECT sku, batchref, expires, 0 AS part, position"
                            " FROM allocations_view WHERE orderid = ?1"
                            " UNION ALL SELECT sku, NULL, 0, 1, sequence FROM waiting"
                            " WHERE orderid = ?1 ORDER BY part, 5",
    /* The dashboard: one query, keyset pagination by row-value comparison. */
    [SQ_VIEW_BATCHES] = BATCH_ROW " FROM batches b WHERE (sku, eta_key, sequence) > (?1, ?2, ?3)"
                                  " ORDER BY sku, eta_key, sequence LIMIT ?4",
    [SQ_VIEW_BATCH] = BATCH_ROW " FROM batches b WHERE ref = ?1",
    [SQ_VIEW_BATCHES_OF_SKU] = BATCH_ROW " FROM batches b"
                                         " WHERE sku = ?1 AND (eta_key, sequence) > (?2, ?3)"
                                         " ORDER BY eta_key, sequence LIMIT ?4",
    [SQ_OUTBOX_INSERT] = "INSERT INTO outbox(channel, payload, created) VALUES(?1, ?2, ?3)",
    [SQ_OUTBOX_PENDING] = "SELECT id, channel, payload FROM outbox WHERE sent IS NULL"
                          " ORDER BY id LIMIT ?1",
    [SQ_OUTBOX_MARK_SENT] = "UPDATE outbox SET sent = ?1 WHERE sent IS NULL AND id <= ?2",
    [SQ_OUTBOX_STATUS] = "SELECT count(*), min(created) FROM outbox WHERE sent IS NULL",
    /* A line left pending again (a later cancellation) replaces its record. */
    [SQ_PENDING_INSERT] = "INSERT OR REPLACE INTO pending_reallocations(orderid, sku, qty)"
                          " VALUES(?1, ?2, ?3)",
    [SQ_PENDING_DELETE] = "DELETE FROM pending_reallocations WHERE orderid = ?1 AND sku = ?2",
    [SQ_PENDING_LIST] = "SELECT orderid, sku, qty FROM pending_reallocations"
                        " ORDER BY rowid LIMIT ?1",
    [SQ_HISTORY_INSERT] = "INSERT " HISTORY_INSERT "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_HISTORY_INSERT_ROWS] =
        "INSERT OR ROLLBACK " HISTORY_INSERT ROWS32("(?, ?, ?, ?, ?, ?, ?, ?)"),
    [SQ_VIEW_HISTORY] = "SELECT at, event, sku, qty, batchref, reason, expires"
                        " FROM order_history WHERE orderid = ?1 ORDER BY position",
};

int sq_fail(struct sq_store *store, int rc, const char *what)
{
	const char *detail = store && store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc);
	const char *file = store && store->path ? store->path : "?";
	int code;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return la_error_set(LA_ECONFLICT,
		                    "SQLite %s: %s: database busy (another connection held it "
		                    "longer than the busy timeout): %s",
		                    file, what, detail);
	case SQLITE_CONSTRAINT:
		code = LA_ECONFLICT;
		break;
	case SQLITE_NOMEM:
		code = LA_ENOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		code = LA_EIO;
		break;
	case SQLITE_NOTADB:
		code = LA_EINVAL;
		break;
	default:
		code = LA_EDB;
		break;
	}
	return la_error_set(code, "SQLite %s: %s: %s", file, what, detail);
}

sqlite3_stmt *sq_stmt(struct sq_store *store, enum sq_stmt which)
{
	sqlite3_stmt *stmt = store->stmts[which];
	if (stmt)
		return stmt;
	int rc = sqlite3_prepare_v3(store->db, sql_text[which], -1, SQLITE_PREPARE_PERSISTENT,
	                            &stmt, NULL);
	if (rc != SQLITE_OK) {
		sq_fail(store, rc, "preparing a statement");
		return NULL;
	}
	store->stmts[which] = stmt;
	return stmt;
}

void sq_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
}

int sq_bind_text(sqlite3_stmt *stmt, int index, const char *text)
{
	if (!text)
		return sqlite3_bind_null(stmt, index);
	return sqlite3_bind_text(stmt, index, text, -1, SQLITE_STATIC);
}

int sq_exec_cached(struct sq_store *store, enum sq_stmt which, const char *what)
{
	sqlite3_stmt *stmt = sq_stmt(store, which);
	if (!stmt)
		return la_error_last_code();
	int rc = sqlite3_step(stmt);
	sq_done(stmt);
	if (rc != SQLITE_DONE)
		return sq_fail(store, rc, what);
	return LA_OK;
}

int sq_exec(struct sq_store *store, const char *sql, const char *what)
{
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(store, rc, what);
	return LA_OK;
}

void sq_finalize_all(struct sq_store *store)
{
	for (int i = 0; i < SQ_STMT_COUNT; i++) {
		sqlite3_finalize(store->stmts[i]);
		store->stmts[i] = NULL;
	}
}
