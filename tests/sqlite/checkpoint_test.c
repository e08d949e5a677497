/* Background WAL checkpoints (adapters/sqlite/checkpoint.c): the writer
 * never checkpoints in a commit, a thread with its own connection does. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "sqlite_store.h"
#include "sqlite_test_support.h"

static long long wal_bytes(const char *path)
{
	char wal[600];
	struct stat st;
	snprintf(wal, sizeof wal, "%s-wal", path);
	return stat(wal, &st) == 0 ? (long long)st.st_size : -1;
}

static void commit_lines(struct sq_store *state, int from, int count)
{
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK, "%s", la_error_last());
	for (int i = from; i < from + count; i++) {
		char orderid[48];
		const char *ref;
		snprintf(orderid, sizeof orderid, "order-%06d-with-a-longish-name", i);
		cr_assert_eq(la_product_allocate(&ref, p, orderid, 1), LA_OK);
	}
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	sq_uow_end(state);
}

Test(sqlite_checkpoint, a_thread_checkpoints_and_commits_do_not)
{
	const char *path = sqlt_path("checkpoint");
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.checkpoint = LA_SQLITE_CHECKPOINT_BACKGROUND;
	struct sq_store *state = NULL;
	cr_assert_eq(sq_store_open_with(&state, path, &opts), LA_OK, "%s", la_error_last());
	cr_assert_not_null(state->checkpointer);
	cr_assert_eq(sqlt_int(state->db, "PRAGMA wal_autocheckpoint"), 0, "not in commits");

	cr_assert_eq(sq_uow_begin(state), LA_OK);
	la_product *p = NULL;
	cr_assert_eq(la_product_new(&p, "LAMP"), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b1", 1000000, NULL), LA_OK);
	cr_assert_eq(sq_repo_add(p, state), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK);
	sq_uow_end(state);

	/* enough commits to take the WAL well past 512 pages of 4 KiB */
	for (int i = 0; i < 200; i++)
		commit_lines(state, i * 100, 100);
	unsigned long long runs = 0;
	for (int waited = 0; waited < 5000 && !runs; waited += 10) {
		runs = sq_checkpointer_runs(state);
		struct timespec pause = {0, 10000000}; /* 10 ms */
		nanosleep(&pause, NULL);
	}
	cr_assert_gt(runs, 0, "the thread never ran a checkpoint (WAL %lld bytes)",
	             wal_bytes(path));
	/* and its checkpoints copy pages: the database file grows from its
	 * schema's few pages to the 20,000 lines' (a connection that had read
	 * nothing used to run them as no-ops) */
	const long long enough = 1048576; /* bytes: 256 pages */
	struct stat db = {0};
	for (int waited = 0; waited < 5000; waited += 10) {
		cr_assert_eq(stat(path, &db), 0);
		if ((long long)db.st_size > enough)
			break;
		struct timespec pause = {0, 10000000}; /* 10 ms */
		nanosleep(&pause, NULL);
	}
	cr_assert_gt((long long)db.st_size, enough, "database file %lld bytes, WAL %lld bytes",
	             (long long)db.st_size, wal_bytes(path));
	/* the checkpointed pages are in the database file: a reader that opens
	 * the file sees every line */
	sq_store_close(state);
	sqlite3 *raw = sqlt_raw(path);
	cr_assert_eq(sqlt_int(raw, "SELECT count(*) FROM allocations"), 20000);
	sqlite3_close(raw);
	sqlt_check_invariants(path);
}

/* Steady small commits: the thread's checkpoints always lag the last commit,
 * yet the WAL starts over (the writer copies the rest past 2,048 pages), so
 * its file stays a few MB instead of growing with every commit (it reached
 * 600 MB in 4 s of one HTTP client before). */
Test(sqlite_checkpoint, the_wal_starts_over_under_steady_commits)
{
	const char *path = sqlt_path("checkpoint-steady");
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.checkpoint = LA_SQLITE_CHECKPOINT_BACKGROUND;
	struct sq_store *state = NULL;
	cr_assert_eq(sq_store_open_with(&state, path, &opts), LA_OK, "%s", la_error_last());
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	la_product *p = NULL;
	cr_assert_eq(la_product_new(&p, "LAMP"), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b1", 1000000, NULL), LA_OK);
	cr_assert_eq(sq_repo_add(p, state), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK);
	sq_uow_end(state);
	for (int i = 0; i < 1000; i++)
		commit_lines(state, i * 10, 10);
	long long wal = wal_bytes(path);
	unsigned long long runs = sq_checkpointer_runs(state);
	cr_log_info("WAL after 1,000 commits: %lld bytes; %llu background checkpoints", wal, runs);
	cr_assert_lt(wal, 24LL * 1048576, "WAL %lld bytes", wal);
	/* The thread is woken once per 512 pages of growth, not at every commit
	 * past them (it used to checkpoint without a pause: an fsync or two per
	 * commit of a lone HTTP client). */
	cr_assert_lt(runs, 100, "%llu checkpoints for 1,000 commits", runs);
	sq_store_close(state);
	sqlite3 *raw = sqlt_raw(path);
	cr_assert_eq(sqlt_int(raw, "SELECT count(*) FROM allocations"), 10000);
	sqlite3_close(raw);
}

Test(sqlite_checkpoint, sqlite_checkpoints_in_commit_by_default)
{
	const char *path = sqlt_path("checkpoint-default");
	struct sq_store *state = NULL;
	cr_assert_eq(sq_store_open(&state, path, 0), LA_OK, "%s", la_error_last());
	cr_assert_null(state->checkpointer);
	cr_assert_eq(sqlt_int(state->db, "PRAGMA wal_autocheckpoint"), 1000);
	sq_store_close(state);
	la_sqlite_options bad = LA_SQLITE_OPTIONS_INIT;
	bad.checkpoint = 9;
	cr_assert_eq(sq_store_open_with(&state, path, &bad), LA_EINVAL);
}
