/*
 * Opening files: the schema is created and marked; URLs and options; a file
 * with a newer schema, someone else's tables or no database at all is
 * refused with a clear error and left byte for byte as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sqlite_store.h"
#include "sqlite_test_support.h"

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void create_store(const char *path)
{
	la_store *store = NULL;
	cr_assert_eq(la_sqlite_store_open(&store, path, 0), LA_OK, "%s", la_error_last());
	la_store_free(store);
}

/* Opening path must fail with code, leave the file unchanged, and say why. */
static void assert_refused(const char *path, int code, const char *words)
{
	size_t before_size, after_size;
	char *before = sqlt_read_file(path, &before_size);
	la_store *store = (la_store *)1;
	int rc = la_sqlite_store_open(&store, path, 0);
	cr_assert_eq(rc, code, "open gave %d (%s)", rc, la_error_last());
	cr_assert_null(store);
	cr_assert(strstr(la_error_last(), words) != NULL, "message: %s", la_error_last());
	cr_assert(strstr(la_error_last(), path) != NULL, "message names the file: %s",
	          la_error_last());
	char *after = sqlt_read_file(path, &after_size);
	cr_assert_eq(before_size, after_size, "the file was modified");
	cr_assert(memcmp(before, after, before_size) == 0, "the file was modified");
	free(before);
	free(after);
}

Test(sqlite_schema, a_new_file_gets_the_schema_and_its_version)
{
	const char *path = sqlt_path("new");
	create_store(path);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "PRAGMA user_version"), LA_SQLITE_SCHEMA_VERSION);
	cr_assert_eq(sqlt_int(db, "PRAGMA application_id"), LA_SQLITE_APPLICATION_ID);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('products',"
	                          " 'batches', 'allocations', 'allocations_view', 'outbox')"),
	             5);
	sqlite3_stmt *stmt;
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(stmt), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	create_store(path); /* and it opens again */
}

Test(sqlite_schema, a_newer_schema_is_refused_untouched)
{
	const char *path = sqlt_path("newer");
	create_store(path);
	raw_exec(path, "PRAGMA user_version = 99; PRAGMA journal_mode = DELETE");
	assert_refused(path, LA_EUNSUPPORTED, "newer");
}

Test(sqlite_schema, foreign_tables_are_refused_untouched)
{
	const char *path = sqlt_path("foreign");
	raw_exec(path, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);"
	               "INSERT INTO customers(name) VALUES ('Ann')");
	assert_refused(path, LA_EINVAL, "customers");
}

Test(sqlite_schema, another_applications_mark_is_refused_untouched)
{
	const char *path = sqlt_path("marked");
	raw_exec(path, "PRAGMA application_id = 1234; PRAGMA user_version = 1");
	assert_refused(path, LA_EINVAL, "another application");
}

Test(sqlite_schema, a_file_that_is_not_a_database_is_refused_untouched)
{
	const char *path = sqlt_path("text");
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 100; i++)
		fputs("this is a text file, not a database\n", f);
	cr_assert_eq(fclose(f), 0);
	assert_refused(path, LA_EINVAL, "not a database");
}

Test(sqlite_schema, versioned_options)
{
	const char *path = sqlt_path("options");
	char url[600];
	struct sq_store *state = NULL;
	la_sqlite_options opts;
	cr_assert_eq(la_sqlite_options_init(&opts, LA_SQLITE_OPTIONS_VERSION), LA_OK);
	cr_assert_eq(opts.version, LA_SQLITE_OPTIONS_VERSION);
	cr_assert_eq(opts.flags, 0);
	cr_assert_eq(opts.durability, LA_SQLITE_DURABILITY_DEFAULT);
	cr_assert_eq(la_sqlite_options_init(&opts, LA_SQLITE_OPTIONS_VERSION + 1), LA_EUNSUPPORTED);
	cr_assert_eq(la_sqlite_options_init(&opts, 0), LA_EUNSUPPORTED);
	cr_assert_eq(la_sqlite_options_init(NULL, 1), LA_EUNSUPPORTED);

	/* the options' durability overrides the URL's */
	la_sqlite_options full = LA_SQLITE_OPTIONS_INIT;
	full.durability = LA_SQLITE_DURABILITY_FULL;
	full.busy_timeout_ms = 1234;
	snprintf(url, sizeof url, "%s?durability=normal", path);
	cr_assert_eq(sq_store_open_with(&state, url, &full), LA_OK, "%s", la_error_last());
	cr_assert_eq(sqlt_int(state->db, "PRAGMA synchronous"), 2);
	cr_assert_eq(sqlt_int(state->db, "PRAGMA busy_timeout"), 1234);
	sq_store_close(state);
	la_sqlite_options normal = LA_SQLITE_OPTIONS_INIT;
	normal.durability = LA_SQLITE_DURABILITY_NORMAL;
	normal.flags = LA_STORE_OUTBOX;
	cr_assert_eq(sq_store_open_with(&state, path, &normal), LA_OK, "%s", la_error_last());
	cr_assert_eq(sqlt_int(state->db, "PRAGMA synchronous"), 1);
	cr_assert_eq(sqlt_int(state->db, "PRAGMA busy_timeout"), 5000, "the default");
	cr_assert_eq(state->flags, LA_STORE_OUTBOX);
	sq_store_close(state);

	/* the public function: a store with an outbox, and bad options refused */
	la_store *store = NULL;
	cr_assert_eq(la_sqlite_store_open_ext(&store, path, &normal), LA_OK, "%s", la_error_last());
	cr_assert(la_store_has_outbox(store));
	la_store_free(store);
	cr_assert_eq(la_sqlite_store_open_ext(&store, path, NULL), LA_OK, "%s", la_error_last());
	cr_assert_not(la_store_has_outbox(store));
	la_store_free(store);
	la_sqlite_options bad = LA_SQLITE_OPTIONS_INIT;
	bad.version = 99;
	cr_assert_eq(la_sqlite_store_open_ext(&store, path, &bad), LA_EUNSUPPORTED);
	cr_assert_null(store);
	bad = normal;
	bad.durability = 7;
	cr_assert_eq(la_sqlite_store_open_ext(&store, path, &bad), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "durability") != NULL, "%s", la_error_last());
	bad = normal;
	bad.flags = 0x40;
	cr_assert_eq(la_sqlite_store_open_ext(&store, path, &bad), LA_EINVAL);
	cr_assert_eq(la_sqlite_store_open_ext(NULL, path, &normal), LA_EINVAL);
}

Test(sqlite_schema, urls_and_options)
{
	const char *path = sqlt_path("url");
	char url[600];
	struct sq_store *state = NULL;
	snprintf(url, sizeof url, "sqlite:%s", path);
	cr_assert_eq(sq_store_open(&state, url, 0), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(state->path, path);
	cr_assert_eq(sqlt_int(state->db, "PRAGMA synchronous"), 2, "FULL by default");
	sq_store_close(state);

	snprintf(url, sizeof url, "sqlite:%s?durability=full", path);
	cr_assert_eq(sq_store_open(&state, url, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(sqlt_int(state->db, "PRAGMA synchronous"), 2, "FULL when asked");
	sq_store_close(state);

	snprintf(url, sizeof url, "%s?durability=normal", path);
	cr_assert_eq(sq_store_open(&state, url, LA_STORE_OUTBOX), LA_OK, "%s", la_error_last());
	cr_assert_eq(sqlt_int(state->db, "PRAGMA synchronous"), 1);
	sq_store_close(state);

	cr_assert_eq(sq_store_open(&state, "sqlite::memory:", 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(state->path[0], ':');
	sq_store_close(state);

	la_store *store = (la_store *)1;
	const char *bad[] = {"", "sqlite:", "sqlite:?durability=full", "x.db?durability=fast",
	                     "x.db?color=blue"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(la_sqlite_store_open(&store, bad[i], 0), LA_EINVAL, "%s", bad[i]);
		cr_assert_null(store);
	}
	cr_assert_eq(la_sqlite_store_open(&store, NULL, 0), LA_EINVAL);
	cr_assert_eq(la_sqlite_store_open(NULL, path, 0), LA_EINVAL);
	cr_assert_eq(la_sqlite_store_open(&store, path, 0x80), LA_EINVAL);
	cr_assert_eq(la_sqlite_store_open(&store, "/nonexistent-dir/x/y.db", 0), LA_EIO);
	cr_assert(strstr(la_error_last(), "/nonexistent-dir/x/y.db") != NULL, "%s",
	          la_error_last());
}

Test(sqlite_schema, memory_stores_are_private_and_work)
{
	la_store *a, *b;
	la_bus *bus;
	sqlt_open(&a, &bus, "sqlite::memory:", 0);
	cr_assert_str_eq(la_store_adapter(a), "sqlite");
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	char ref[64];
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 2, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "b1");
	cr_assert_eq(la_sqlite_store_open(&b, "sqlite::memory:", 0), LA_OK);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, b, NULL, 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 0);
	la_batch_page_free(page);
	cr_assert_eq(la_view_batches(&page, a, NULL, 0, NULL), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 1);
	la_batch_page_free(page);
	la_bus_free(bus);
	la_store_free(a);
	la_store_free(b);
}

Test(sqlite_schema, processes_creating_one_new_file_at_once_all_succeed)
{
	enum { OPENERS = 6 };
	const char *path = sqlt_path("together");
	pid_t pids[OPENERS];
	for (int i = 0; i < OPENERS; i++) {
		pids[i] = fork();
		cr_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			la_store *store;
			int rc = la_sqlite_store_open(&store, path, 0);
			if (rc == LA_OK)
				la_store_free(store);
			if (rc != LA_OK)
				fprintf(stderr, "opener: %s\n", la_error_last());
			_exit(rc == LA_OK ? 0 : 1);
		}
	}
	for (int i = 0; i < OPENERS; i++) {
		int status = 0;
		cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "opener %d failed", i);
	}
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "PRAGMA user_version"), LA_SQLITE_SCHEMA_VERSION);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'batches'"), 1);
	sqlite3_close(db);
}
