/*
 * Helpers shared by the SQLite adapter's tests: temporary database files,
 * raw SQL checks on a second connection, and short ways to send commands.
 */
#ifndef TEST_SQLITE_SUPPORT_H
#define TEST_SQLITE_SUPPORT_H

#include <stdint.h>
#include <sqlite3.h>

#include <allocation/allocation.h>
#include <allocation/sqlite.h>

/* A fresh path "<tmpdir>/<name>.db" in this process's own temporary folder
 * (removed with its contents when the process exits). Static buffer per call
 * slot: copy it if you need it for long. */
const char *sqlt_path(const char *name);

/* A bus on a new SQLite store at path (flags as la_sqlite_store_open). */
void sqlt_open(la_store **store, la_bus **bus, const char *path, unsigned int flags);

/* Commands through the bus; each asserts LA_OK unless noted. */
void sqlt_create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty, const char *eta);
/* The batch the line went to ("" when out of stock); returns the status. */
int sqlt_allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty, char *batchref,
                  size_t size);
int sqlt_deallocate(la_bus *bus, const char *orderid, const char *sku);
int sqlt_change_quantity(la_bus *bus, const char *ref, int64_t qty);

/* Raw access on a separate connection (the tests' own eyes on the file). */
sqlite3 *sqlt_raw(const char *path);
/* First column of the first row of sql as an integer (-1 when no row). */
int64_t sqlt_int(sqlite3 *db, const char *sql);

/* Invariants of a stored database, checked with raw SQL: every batch's
 * allocated quantity and line count equal the sum and count of its lines,
 * every batch is within purchased, every line's batch exists and has its
 * sku, every batch's held quantity equals its held lines', and
 * allocations_view equals allocations. Asserts. */
void sqlt_check_invariants(const char *path);

/* SQL that takes a schema-3 file back to schema 2 (as 1.1 wrote it), for
 * migration tests; its user_version is left for the caller to set. */
#define SQLT_DOWNGRADE_3_TO_2                                                                      \
	"DROP VIEW allocations_view; DROP INDEX allocations_by_expiry;"                            \
	" ALTER TABLE allocations DROP COLUMN expires; ALTER TABLE batches DROP COLUMN held;"      \
	" DROP TABLE waiting; CREATE VIEW allocations_view AS SELECT rowid AS position, orderid,"  \
	" sku, batchref, qty FROM allocations;"

/* Whole file contents, for "never modified" checks; free() it. */
char *sqlt_read_file(const char *path, size_t *size);

#endif
