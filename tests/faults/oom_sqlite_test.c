/*
 * Out-of-memory sweep of liballocation-sqlite (oom_store.h): every entry
 * point with its N-th allocation failing, for every N, wherever it happens:
 * the adapter, the core or sqlite3. Each run starts from a copy of one
 * prepared file.
 */
#include <allocation/allocation.h>
#include <allocation/sqlite.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sqlite/sqlite_test_support.h"
#include "oom_store.h"

static const int sqlite_errors[] = {LA_ENOMEM, LA_EDB, LA_EIO, 0};

static char template_path[512], work_path[512];
static int checkpoint = LA_SQLITE_CHECKPOINT_IN_COMMIT;

static void remove_database(const char *path)
{
	char side[600];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

/* A closed store leaves its whole content in the main file. */
static void reset(void)
{
	size_t size;
	char *data = sqlt_read_file(template_path, &size);
	remove_database(work_path);
	FILE *out = fopen(work_path, "wb");
	cr_assert_not_null(out, "%s", work_path);
	cr_assert_eq(fwrite(data, 1, size, out), size);
	cr_assert_eq(fclose(out), 0);
	free(data);
}

static void reset_empty(void)
{
	remove_database(work_path);
}

static int open_store(la_store **out, unsigned int flags)
{
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.flags = flags;
	opts.checkpoint = checkpoint;
	return la_sqlite_store_open_ext(out, work_path, &opts);
}

static void append_rows(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	int step;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		size_t len = strlen(out);
		for (int c = 0; c < sqlite3_column_count(stmt); c++) {
			const unsigned char *text = sqlite3_column_text(stmt, c);
			len += (size_t)snprintf(out + len, size - len, "%s%s", c ? "," : "",
			                        text ? (const char *)text : "NULL");
			cr_assert_lt(len, size - 1, "state too long");
		}
		snprintf(out + len, size - len, "\n");
	}
	cr_assert_eq(step, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
}

static void read_state(char *out, size_t size)
{
	out[0] = '\0';
	sqlite3 *db = sqlt_raw(work_path);
	append_rows(db, "SELECT sku, version_number FROM products ORDER BY sku", out, size);
	append_rows(db,
	            "SELECT ref, sku, purchased, eta, allocated, line_count, held FROM batches"
	            " ORDER BY ref",
	            out, size);
	append_rows(db,
	            "SELECT orderid, sku, batchref, qty, expires > 0 FROM allocations"
	            " ORDER BY orderid, sku",
	            out, size);
	append_rows(db, "SELECT sku, orderid, qty FROM waiting ORDER BY sku, orderid", out, size);
	append_rows(db, "SELECT orderid, sku, batchref FROM allocations_view ORDER BY orderid, sku",
	            out, size);
	append_rows(db,
	            "SELECT channel, json_remove(payload, '$.id') AS message, sent IS NULL"
	            " FROM outbox ORDER BY message",
	            out, size);
	sqlite3_close(db);
}

static void check_invariants(void)
{
	sqlt_check_invariants(work_path);
}

static size_t outbox_sent(void (*fn)(const char *payload, void *arg), void *arg)
{
	sqlite3 *db = sqlt_raw(work_path);
	sqlite3_stmt *stmt = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT payload FROM outbox WHERE sent IS NOT NULL", -1,
	                                &stmt, NULL),
	             SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(stmt, 0), arg);
	sqlite3_finalize(stmt);
	size_t rows = (size_t)sqlt_int(db, "SELECT count(*) FROM outbox");
	sqlite3_close(db);
	return rows;
}

static const struct oom_store_adapter sqlite_adapter = {"sqlite",    reset,        reset_empty,
                                                        open_store,  read_state,   check_invariants,
                                                        outbox_sent, sqlite_errors};

static void prepare(void)
{
	snprintf(template_path, sizeof template_path, "%s", sqlt_path("template"));
	snprintf(work_path, sizeof work_path, "%s", sqlt_path("work"));
	la_store *store = NULL;
	cr_assert_eq(la_sqlite_store_open(&store, template_path, LA_STORE_OUTBOX), LA_OK, "%s",
	             la_error_last());
	oom_store_prepare(store);
	la_store_free(store);
}

TestSuite(oom_sqlite, .init = prepare);

Test(oom_sqlite, commands)
{
	oom_store_sweep_commands(&sqlite_adapter);
}

Test(oom_sqlite, holds_and_backorders)
{
	oom_store_sweep_holds(&sqlite_adapter);
}

Test(oom_sqlite, views)
{
	oom_store_sweep_views(&sqlite_adapter);
}

Test(oom_sqlite, outbox_relay)
{
	oom_store_sweep_relay(&sqlite_adapter);
}

Test(oom_sqlite, open_existing_file)
{
	oom_store_sweep_open(&sqlite_adapter, 0);
}

Test(oom_sqlite, open_new_file)
{
	oom_store_sweep_open(&sqlite_adapter, 1);
}

Test(oom_sqlite, open_with_background_checkpoints)
{
	struct oom_store_adapter background = sqlite_adapter;
	background.name = "sqlite, background checkpoints";
	checkpoint = LA_SQLITE_CHECKPOINT_BACKGROUND;
	oom_store_sweep_open(&background, 0);
}
