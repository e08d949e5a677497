/*
 * Rows the commit inserts in bulk (allocations, order history): queued as
 * the changes come, then SQ_ROWS per multi-row INSERT, since each statement
 * run has a fixed cost about that of inserting a row. Rows keep their order
 * (rowids grow with it), and the few left over are inserted one by one.
 */
#include "sqlite_store.h"

/* rows one at a time, with the single-row statement and its messages */
static int insert_each(struct sq_store *store, const struct sq_row_kind *kind,
                       const struct sq_row *rows, size_t count)
{
	int rc = LA_OK;
	for (size_t i = 0; i < count && rc == LA_OK; i++)
		rc = kind->insert_one(store, &rows[i]);
	return rc;
}

/* A full queue in one statement. It is OR ROLLBACK (statements.c): a
 * conflict has undone the transaction, so kind->conflict may only read to
 * say which row it was. */
static int insert_all(struct sq_store *store, const struct sq_row_kind *kind,
                      const struct sq_row *rows)
{
	sqlite3_stmt *stmt = sq_stmt(store, kind->many);
	if (!stmt)
		return la_error_last_code();
	for (int i = 0; i < SQ_ROWS; i++)
		kind->bind(stmt, 1 + i * kind->columns, &rows[i]);
	int step = sqlite3_step(stmt);
	sq_done(stmt);
	if (step == SQLITE_DONE)
		return LA_OK;
	int rc = sq_fail(store, step, kind->what);
	if ((step & 0xff) == SQLITE_CONSTRAINT && kind->conflict)
		kind->conflict(store, rows, SQ_ROWS);
	return rc;
}

int sq_rows_add(struct sq_store *store, struct sq_row_queue *queue, const struct sq_row_kind *kind,
                const la_product *product, size_t index, const la_change *change)
{
	queue->rows[queue->count++] = (struct sq_row){product, index, *change};
	if (queue->count < SQ_ROWS)
		return LA_OK;
	queue->count = 0;
	return insert_all(store, kind, queue->rows);
}

int sq_rows_flush(struct sq_store *store, struct sq_row_queue *queue,
                  const struct sq_row_kind *kind)
{
	size_t count = queue->count;
	queue->count = 0;
	return insert_each(store, kind, queue->rows, count);
}
