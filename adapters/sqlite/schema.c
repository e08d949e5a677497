/*
 * The schema: created in a new file, migrated forward in an older one, and
 * a file that is newer or someone else's is refused before anything is
 * written to it (journal mode included).
 */
#include <stdio.h>
#include <string.h>

#include <allocation/sqlite.h>

#include "sqlite_store.h"

/* migrations[i] takes a database from user_version i to i + 1. */
static const char *const migrations[LA_SQLITE_SCHEMA_VERSION] = {
    "CREATE TABLE products ("
    " sku TEXT PRIMARY KEY NOT NULL,"
    " version_number INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    /* A batch row stores its allocated quantity and line count, kept in the
     * same transaction as the lines, so neither loading a product nor the
     * dashboard ever reads lines. */
    "CREATE TABLE batches ("
    " ref TEXT PRIMARY KEY NOT NULL,"
    " sku TEXT NOT NULL,"
    " purchased INTEGER NOT NULL,"
    " eta TEXT,"
    " eta_key INTEGER NOT NULL," /* 0 = in stock, else YYYYMMDD: sorts in-stock first */
    " allocated INTEGER NOT NULL DEFAULT 0,"
    " line_count INTEGER NOT NULL DEFAULT 0,"
    " sequence INTEGER NOT NULL"
    ");"
    "CREATE INDEX batches_by_sku ON batches(sku, eta_key, sequence);"
    /* sequence: the product version at which the line was allocated. */
    "CREATE TABLE allocations ("
    " orderid TEXT NOT NULL,"
    " sku TEXT NOT NULL,"
    " batchref TEXT NOT NULL,"
    " qty INTEGER NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " PRIMARY KEY (orderid, sku)"
    ");"
    "CREATE INDEX allocations_by_batch ON allocations(batchref);"
    /* The read model: rowids grow with insertion, so position is
     * allocation order, across products too. */
    "CREATE VIEW allocations_view AS"
    " SELECT rowid AS position, orderid, sku, batchref, qty FROM allocations;"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " channel TEXT NOT NULL,"
    " payload TEXT NOT NULL,"
    " sent INTEGER" /* NULL until published; then unix time in ms */
    ");"
    "CREATE INDEX outbox_unsent ON outbox(id) WHERE sent IS NULL;",
    /* 2: when each outbox message was written (unix time in ms), for the
     * relay's lag; messages already waiting count from the upgrade. */
    "ALTER TABLE outbox ADD COLUMN created INTEGER;"
    "UPDATE outbox SET created = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
    " WHERE sent IS NULL;",
    /* 3: holds and backorders (issue 13). A held line's end (0: permanent)
     * with a partial index for ExpireHolds; a batch's held figure, kept
     * like allocated; lines waiting for stock, first come first served per
     * sku by their arrival sequence. The read model says when a hold ends. */
    "ALTER TABLE allocations ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX allocations_by_expiry ON allocations(expires) WHERE expires > 0;"
    "ALTER TABLE batches ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE waiting ("
    " sku TEXT NOT NULL,"
    " orderid TEXT NOT NULL,"
    " qty INTEGER NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " PRIMARY KEY (sku, orderid)"
    ") WITHOUT ROWID;"
    "CREATE INDEX waiting_by_order ON waiting(orderid);"
    "DROP VIEW allocations_view;"
    "CREATE VIEW allocations_view AS"
    " SELECT rowid AS position, orderid, sku, batchref, qty, expires FROM allocations;",
    /* 4: pending reallocations (docs/reliability.md): a line deallocated
     * with reason stock_reduced that found no room, kept until its
     * OutOfStock has been handled; rowid order = oldest first. */
    "CREATE TABLE IF NOT EXISTS pending_reallocations ("
    " orderid TEXT NOT NULL,"
    " sku TEXT NOT NULL,"
    " qty INTEGER NOT NULL,"
    " UNIQUE (orderid, sku)"
    ");",
    /* 5: the order history (docs/history.md): one row per event that changed
     * one of an order's lines, written in the transaction of the change.
     * position grows with insertion: the order things happened in. at and
     * expires in seconds since 1970 UTC; event a la_message_kind (101
     * Allocated, 102 Deallocated, 104 Confirmed, 105 Backordered); reason a
     * la_dealloc_reason or NULL. */
    "CREATE TABLE order_history ("
    " position INTEGER PRIMARY KEY,"
    " orderid TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " event INTEGER NOT NULL,"
    " sku TEXT NOT NULL,"
    " qty INTEGER NOT NULL,"
    " batchref TEXT,"
    " reason INTEGER,"
    " expires INTEGER"
    ");"
    "CREATE INDEX order_history_by_order ON order_history(orderid, position);",
};

struct schema_state {
	int64_t application_id;
	int64_t user_version;
	int64_t objects;   /* tables, indexes, views not made by SQLite itself */
	char example[128]; /* name of one of them, for messages */
};

static int read_int(struct sq_store *store, const char *sql, int64_t *out)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(stmt, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_OK || rc == SQLITE_DONE)
		return LA_OK;
	if ((rc & 0xff) == SQLITE_NOTADB)
		return la_error_set(LA_EINVAL, "SQLite %s is not a database file", store->path);
	return sq_fail(store, rc, "reading the schema");
}

static int inspect(struct sq_store *store, struct schema_state *st)
{
	memset(st, 0, sizeof *st);
	int rc = read_int(store, "PRAGMA application_id", &st->application_id);
	if (rc == LA_OK)
		rc = read_int(store, "PRAGMA user_version", &st->user_version);
	if (rc == LA_OK)
		rc = read_int(store,
		              "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%'"
		              " ESCAPE '\\'",
		              &st->objects);
	if (rc != LA_OK || st->objects == 0)
		return rc;
	sqlite3_stmt *stmt;
	if (sqlite3_prepare_v2(store->db,
	                       "SELECT name FROM sqlite_master WHERE type = 'table'"
	                       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT 1",
	                       -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		(void)snprintf(st->example, sizeof st->example, "%s", /* an example: may be cut */
		               (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return LA_OK;
}

/* LA_OK when the file is ours (or empty), else the refusal. */
static int judge(struct sq_store *store, const struct schema_state *st)
{
	if (st->application_id == LA_SQLITE_APPLICATION_ID) {
		if (st->user_version > LA_SQLITE_SCHEMA_VERSION)
			return la_error_set(LA_EUNSUPPORTED,
			                    "SQLite %s has allocation schema version %lld, newer "
			                    "than the %d this library knows; refusing to open it "
			                    "(upgrade liballocation)",
			                    store->path, (long long)st->user_version,
			                    LA_SQLITE_SCHEMA_VERSION);
		return LA_OK;
	}
	if (st->application_id == 0 && st->objects == 0 && st->user_version == 0)
		return LA_OK;
	if (st->objects)
		return la_error_set(LA_EINVAL,
		                    "SQLite %s belongs to another application (it holds table "
		                    "'%s' and no allocation schema); refusing to modify it",
		                    store->path, st->example[0] ? st->example : "?");
	return la_error_set(LA_EINVAL,
	                    "SQLite %s is marked by another application (application_id %lld, "
	                    "user_version %lld); refusing to modify it",
	                    store->path, (long long)st->application_id,
	                    (long long)st->user_version);
}

static int migrate(struct sq_store *store, int64_t from)
{
	char sql[96];
	for (int64_t v = from; v < LA_SQLITE_SCHEMA_VERSION; v++) {
		int rc = sq_exec(store, migrations[v], "creating the schema");
		if (rc != LA_OK)
			return rc;
	}
	(void)snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
	               LA_SQLITE_APPLICATION_ID, LA_SQLITE_SCHEMA_VERSION);
	int rc = sq_exec(store, sql, "recording the schema version");
	if (rc == LA_OK && from != 0)
		la_log(LA_LOG_INFO, "SQLite %s: schema migrated from version %lld to %d",
		       store->path, (long long)from, LA_SQLITE_SCHEMA_VERSION);
	return rc;
}

/* Create or migrate inside one write transaction, judging again under the
 * lock: another process may have done it meanwhile. */
static int upgrade(struct sq_store *store)
{
	int rc = sq_exec(store, "BEGIN IMMEDIATE", "locking the database to create its schema");
	if (rc != LA_OK)
		return rc;
	struct schema_state st;
	rc = inspect(store, &st);
	if (rc == LA_OK)
		rc = judge(store, &st);
	if (rc == LA_OK && !(st.application_id == LA_SQLITE_APPLICATION_ID &&
	                     st.user_version == LA_SQLITE_SCHEMA_VERSION))
		rc = migrate(store, st.user_version);
	if (rc == LA_OK)
		return sq_exec(store, "COMMIT", "committing the schema");
	sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* inspect in one read transaction: another process may be creating the
 * schema, and the three reads must see the file before or after, not both. */
static int inspect_snapshot(struct sq_store *store, struct schema_state *st)
{
	int rc = sq_exec(store, "BEGIN", "reading the schema");
	if (rc != LA_OK)
		return rc;
	rc = inspect(store, st);
	sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* Switching a new file to WAL needs an exclusive lock, and SQLite answers
 * SQLITE_BUSY at once, without its busy handler, while other processes are
 * opening the same file: retry for as long as the busy timeout would wait. */
static int switch_to_wal(struct sq_store *store)
{
	enum { PAUSE_MS = 5, WAIT_MS = 5000 };
	int rc = SQLITE_BUSY;
	for (int waited = 0; waited <= WAIT_MS; waited += PAUSE_MS) {
		rc = sqlite3_exec(store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		sqlite3_sleep(PAUSE_MS);
	}
	return rc == SQLITE_OK ? LA_OK : sq_fail(store, rc, "switching to WAL");
}

int sq_schema_prepare(struct sq_store *store, int durability_full, int memory)
{
	struct schema_state st;
	int rc = inspect_snapshot(store, &st);
	if (rc == LA_OK)
		rc = judge(store, &st);
	if (rc != LA_OK)
		return rc;
	/* Only now may the file be written: journal mode first (not inside a
	 * transaction), then the schema. */
	if (!memory && (rc = switch_to_wal(store)) != LA_OK)
		return rc;
	rc = sq_exec(store,
	             durability_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	             "setting durability");
	/* 16 MiB of pages per connection (SQLite's default is 2 MiB): a batch of
	 * commands touches many index pages, and re-reading them costs more. */
	if (rc == LA_OK)
		rc = sq_exec(store, "PRAGMA cache_size = -16384", "sizing the page cache");
	if (rc != LA_OK)
		return rc;
	if (st.application_id == LA_SQLITE_APPLICATION_ID &&
	    st.user_version == LA_SQLITE_SCHEMA_VERSION)
		return LA_OK;
	return upgrade(store);
}
