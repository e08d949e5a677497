/*
 * I/O faults under liballocation-sqlite: a SQLite VFS registered by the test
 * as the default, wrapping the unix VFS, fails the N-th write (as an I/O
 * error, or as a full disk) or the N-th fsync the store asks for, swept over
 * N during an allocation, a quantity change that reallocates, and a batch of
 * many commands committed at once (la_bus_handle_many).
 *
 * What must hold after each failing run: the command ends in LA_EIO or
 * LA_EDB with a message; the file holds what it held before (the unit of
 * work rolled back), its invariants true; the next command on the same store
 * works; and after closing, a fresh open of the file takes the command
 * again and stores exactly what a run without faults stores.
 */
#include <allocation/allocation.h>
#include <allocation/sqlite.h>
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../sqlite/sqlite_test_support.h"

/* ---- the faulty VFS ---- */

enum fault { FAIL_WRITE, FAIL_WRITE_FULL, FAIL_SYNC };

static sqlite3_vfs *unix_vfs;
static sqlite3_vfs faulty_vfs;
static int armed;
static enum fault fault;
static long long writes, syncs, fail_at;
static int fired;

struct faulty_file {
	sqlite3_file base;
	sqlite3_file *real; /* right after this struct */
};

#define REAL(f) (((struct faulty_file *)(f))->real)

/* Non-zero when this operation of kind is the one to fail. */
static int fails(enum fault kind)
{
	if (!armed)
		return 0;
	int write = kind != FAIL_SYNC;
	long long n = write ? ++writes : ++syncs;
	if ((write != (fault != FAIL_SYNC)) || n != fail_at)
		return 0;
	fired = 1;
	return 1;
}

static int f_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int f_read(sqlite3_file *f, void *buf, int amount, sqlite3_int64 offset)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, amount, offset);
}

static int f_write(sqlite3_file *f, const void *buf, int amount, sqlite3_int64 offset)
{
	if (fails(FAIL_WRITE))
		return fault == FAIL_WRITE_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, amount, offset);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (fails(FAIL_WRITE))
		return SQLITE_IOERR_TRUNCATE;
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	if (fails(FAIL_SYNC))
		return SQLITE_IOERR_FSYNC;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int f_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int f_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int f_check_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int f_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int f_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int f_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int f_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), offset, amount, out);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 offset, void *page)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), offset, page);
}

static const sqlite3_io_methods faulty_io = {
    3,          f_close,       f_read,       f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_check_lock, f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap,  f_fetch,   f_unfetch};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	(void)vfs;
	struct faulty_file *ff = (struct faulty_file *)file;
	ff->real = (sqlite3_file *)(ff + 1);
	int rc = unix_vfs->xOpen(unix_vfs, name, ff->real, flags, out_flags);
	/* only files the unix VFS opened get methods: SQLite closes only those */
	ff->base.pMethods = ff->real->pMethods ? &faulty_io : NULL;
	cr_assert(!ff->real->pMethods || ff->real->pMethods->iVersion >= 3);
	return rc;
}

static int f_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return unix_vfs->xDelete(unix_vfs, name, sync_dir);
}

static int f_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return unix_vfs->xAccess(unix_vfs, name, flags, out);
}

static int f_full_path(sqlite3_vfs *vfs, const char *name, int size, char *out)
{
	(void)vfs;
	return unix_vfs->xFullPathname(unix_vfs, name, size, out);
}

static int f_randomness(sqlite3_vfs *vfs, int size, char *out)
{
	(void)vfs;
	return unix_vfs->xRandomness(unix_vfs, size, out);
}

static int f_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return unix_vfs->xSleep(unix_vfs, us);
}

static int f_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return unix_vfs->xCurrentTime(unix_vfs, out);
}

static int f_last_error(sqlite3_vfs *vfs, int size, char *out)
{
	(void)vfs;
	return unix_vfs->xGetLastError(unix_vfs, size, out);
}

static int f_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return unix_vfs->xCurrentTimeInt64(unix_vfs, out);
}

/* Wrap the default VFS and become the default: the store opens its file
 * with sqlite3_open_v2(..., NULL), so through this one. */
static void register_faulty_vfs(void)
{
	unix_vfs = sqlite3_vfs_find(NULL);
	cr_assert_not_null(unix_vfs);
	cr_assert_geq(unix_vfs->iVersion, 2);
	memset(&faulty_vfs, 0, sizeof faulty_vfs);
	faulty_vfs.iVersion = 2;
	faulty_vfs.szOsFile = (int)sizeof(struct faulty_file) + unix_vfs->szOsFile;
	faulty_vfs.mxPathname = unix_vfs->mxPathname;
	faulty_vfs.zName = "faulty";
	faulty_vfs.xOpen = f_open;
	faulty_vfs.xDelete = f_delete;
	faulty_vfs.xAccess = f_access;
	faulty_vfs.xFullPathname = f_full_path;
	faulty_vfs.xRandomness = f_randomness;
	faulty_vfs.xSleep = f_sleep;
	faulty_vfs.xCurrentTime = f_time;
	faulty_vfs.xGetLastError = f_last_error;
	faulty_vfs.xCurrentTimeInt64 = f_time64;
	cr_assert_eq(sqlite3_vfs_register(&faulty_vfs, 1), SQLITE_OK);
}

/* ---- the data, as text ---- */

#define STATE_MAX 32768

static void append_rows(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		size_t len = strlen(out);
		for (int c = 0; c < sqlite3_column_count(stmt); c++) {
			const unsigned char *text = sqlite3_column_text(stmt, c);
			len += (size_t)snprintf(out + len, size - len, "%s%s", c ? "," : "",
			                        text ? (const char *)text : "NULL");
		}
		cr_assert_lt(len, size - 2, "state too long");
		snprintf(out + len, size - len, "\n");
	}
	sqlite3_finalize(stmt);
}

/* What the store keeps, without what a retry draws anew (sequences, ids). */
static void read_state(const char *path, char *out)
{
	out[0] = '\0';
	sqlite3 *db = sqlt_raw(path);
	append_rows(db, "SELECT sku, version_number FROM products ORDER BY sku", out, STATE_MAX);
	append_rows(db,
	            "SELECT ref, sku, purchased, eta, allocated, line_count FROM batches"
	            " ORDER BY ref",
	            out, STATE_MAX);
	append_rows(db, "SELECT orderid, sku, batchref, qty FROM allocations ORDER BY orderid, sku",
	            out, STATE_MAX);
	append_rows(db,
	            "SELECT channel, json_remove(payload, '$.id') AS m, sent IS NULL FROM outbox"
	            " ORDER BY m",
	            out, STATE_MAX);
	sqlite3_close(db);
}

/* ---- the scenarios ---- */

static char template_path[512], work_path[512];

static void prepare_template(void)
{
	register_faulty_vfs();
	snprintf(template_path, sizeof template_path, "%s", sqlt_path("vfs-template"));
	snprintf(work_path, sizeof work_path, "%s", sqlt_path("vfs-work"));
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, template_path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "CHAIR", 50, NULL);
	sqlt_create_batch(bus, "b2", "CHAIR", 100, "2011-01-02");
	sqlt_create_batch(bus, "b3", "TABLE", 60, NULL);
	cr_assert_eq(sqlt_allocate(bus, "o1", "CHAIR", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "CHAIR", 20, NULL, 0), LA_OK);
	la_bus_free(bus);
	la_store_free(store);
}

static void copy_template(void)
{
	size_t size;
	char *data = sqlt_read_file(template_path, &size);
	char side[600];
	snprintf(side, sizeof side, "%s-wal", work_path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", work_path);
	unlink(side);
	FILE *out = fopen(work_path, "wb");
	cr_assert_not_null(out);
	cr_assert_eq(fwrite(data, 1, size, out), size);
	cr_assert_eq(fclose(out), 0);
	free(data);
}

static int allocate(la_bus *bus)
{
	return sqlt_allocate(bus, "o3", "CHAIR", 5, NULL, 0);
}

/* b1 holds 40: down to 30, o2 moves to b2 */
static int change_quantity(la_bus *bus)
{
	return sqlt_change_quantity(bus, "b1", 30);
}

/* 60 commands, one commit: allocations across two products, new batches,
 * a deallocation and a quantity change that reallocates. */
static int batch_of_commands(la_bus *bus)
{
	enum { COUNT = 60 };
	la_message *m[COUNT] = {NULL};
	int rc = LA_OK;
	for (int i = 0; i < 50 && rc == LA_OK; i++) {
		char orderid[16];
		snprintf(orderid, sizeof orderid, "bulk-%d", i);
		rc = la_command_allocate(&m[i], orderid, i % 2 ? "CHAIR" : "TABLE", 1);
	}
	for (int i = 50; i < 58 && rc == LA_OK; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "new-%d", i);
		rc = la_command_create_batch(&m[i], ref, "LAMP", 10, "2011-03-01");
	}
	if (rc == LA_OK)
		rc = la_command_deallocate(&m[58], "o1", "CHAIR");
	if (rc == LA_OK)
		rc = la_command_change_batch_quantity(&m[59], "b1", 25);
	cr_assert_eq(rc, LA_OK);
	rc = la_bus_handle_many(bus, (const la_message *const *)m, COUNT);
	for (int i = 0; rc == LA_OK && i < COUNT; i++)
		cr_assert_eq(la_bus_result_status(bus, i), LA_OK, "command %d: %s", i,
		             la_bus_result_error(bus, i));
	for (int i = 0; i < COUNT; i++)
		la_message_free(m[i]);
	return rc;
}

struct scenario {
	const char *name;
	int (*run)(la_bus *bus);
};

static const struct scenario scenarios[] = {{"allocate", allocate},
                                            {"change quantity, reallocating", change_quantity},
                                            {"60 commands in one commit", batch_of_commands}};

static const char *fault_name(enum fault f)
{
	return f == FAIL_WRITE ? "write" : f == FAIL_WRITE_FULL ? "write (disk full)" : "fsync";
}

/* One run with the n-th write or sync failing (0: none); 1 when it fired. */
static int run_once(const struct scenario *s, enum fault f, long long n, const char *expected,
                    char *clean_out)
{
	char before[STATE_MAX], state[STATE_MAX];
	copy_template();
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, work_path, LA_STORE_OUTBOX);
	read_state(work_path, before);

	fault = f;
	writes = syncs = 0;
	fail_at = n;
	fired = 0;
	armed = 1;
	int rc = s->run(bus);
	armed = 0;

	read_state(work_path, state);
	sqlt_check_invariants(work_path);
	if (!fired) {
		cr_assert_eq(rc, LA_OK, "%s: %s without a fault", s->name, la_error_last());
	} else if (rc != LA_OK) {
		cr_assert(rc == LA_EIO || rc == LA_EDB, "%s, %s %lld failing: %s (%s)", s->name,
		          fault_name(f), n, la_strerror(rc), la_error_last());
		cr_assert(strstr(la_error_last(), "SQLite"), "%s: %s", s->name, la_error_last());
		cr_assert_str_eq(state, before,
		                 "%s, %s %lld failing: %s, yet the file changed:\n%s\nbefore:\n%s",
		                 s->name, fault_name(f), n, la_error_last(), state, before);
		/* the same store takes the command again */
		rc = s->run(bus);
		cr_assert_eq(rc, LA_OK, "%s, %s %lld failing, the same command again: %s", s->name,
		             fault_name(f), n, la_error_last());
		read_state(work_path, state);
	}
	if (clean_out)
		snprintf(clean_out, STATE_MAX, "%s", state);
	else
		cr_assert_str_eq(state, expected,
		                 "%s, %s %lld failing: differs from a clean run:\n%s\nclean:\n%s",
		                 s->name, fault_name(f), n, state, expected);
	la_bus_free(bus);
	la_store_free(store);

	/* a fresh open finds it all and takes the next command */
	sqlt_open(&store, &bus, work_path, LA_STORE_OUTBOX);
	read_state(work_path, before);
	cr_assert_str_eq(before, state, "%s, %s %lld failing: not so after closing", s->name,
	                 fault_name(f), n);
	cr_assert_eq(sqlt_allocate(bus, "next", "TABLE", 1, NULL, 0), LA_OK,
	             "%s, %s %lld failing, the next command on a fresh open: %s", s->name,
	             fault_name(f), n, la_error_last());
	la_bus_free(bus);
	la_store_free(store);
	sqlt_check_invariants(work_path);
	return fired;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sweep(enum fault f)
{
	static char expected[STATE_MAX];
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
		const struct scenario *s = &scenarios[i];
		double start = now_s();
		run_once(s, f, 0, NULL, expected);
		long long n = 1;
		while (run_once(s, f, n, expected, NULL))
			n++;
		fprintf(stderr, "vfs faults: %s: %s: %lld failing runs, %.2f s\n", s->name,
		        fault_name(f), n - 1, now_s() - start);
		cr_assert_gt(n, 1, "%s made no %s", s->name, fault_name(f));
	}
}

TestSuite(sqlite_vfs_faults, .init = prepare_template);

Test(sqlite_vfs_faults, failing_writes)
{
	sweep(FAIL_WRITE);
}

Test(sqlite_vfs_faults, full_disk)
{
	sweep(FAIL_WRITE_FULL);
}

Test(sqlite_vfs_faults, failing_fsyncs)
{
	sweep(FAIL_SYNC);
}
