/*
 * SQLite benchmark (issue 3): allocations/s through the bus on liballocation-
 * sqlite — a file (WAL, synchronous=NORMAL), in memory, with the outbox, and
 * with durability=full — each next to a hand-written baseline timed in the
 * same run: the minimum SQL one allocation needs, prepared, in one
 * transaction, straight on sqlite3, over the same tables and indexes. Then
 * the cost of one allocation into a product already holding 0, 10,000 and
 * 100,000 lines. Prints figures and ratios; asserts nothing about time.
 *
 *   bench_sqlite [DIR]    files go to DIR (default: the current directory,
 *                         so that durability=full meets a real disk)
 *   bench_sqlite --baseline-full DIR SECONDS SKUS
 *                         only the hand-written baseline with synchronous=FULL,
 *                         one transaction per allocation, for SECONDS, over
 *                         SKUS products taken in turn (the HTTP group-commit
 *                         benchmark's reference, tests/bench/bench_group_commit.sh);
 *                         prints "allocations/s: N"
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <allocation/allocation.h>
#include <allocation/sqlite.h>

#define SKU      "BENCH-SKU"
#define RUNS     5
#define MAX_SKUS 1024

static const char *dir = ".";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc != LA_OK) {
		fprintf(stderr, "%s: %s (%s)\n", what, la_error_last(), la_strerror(rc));
		_Exit(1); /* _Exit: a failure may be on any thread */
	}
}

static void check_sql(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
		fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
		_Exit(1);
	}
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *values, int count)
{
	qsort(values, (size_t)count, sizeof *values, compare_double);
	return values[count / 2];
}

/* A fresh database file name in dir; an existing one (and its WAL) removed. */
static const char *fresh_file(const char *name)
{
	static char path[1024];
	char side[1100];
	snprintf(path, sizeof path, "%s/bench-sqlite-%ld-%s.db", dir, (long)getpid(), name);
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	return path;
}

static void remove_file(const char *path)
{
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", path);
	unlink(copy);
	char side[1100];
	snprintf(side, sizeof side, "%s-wal", copy);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", copy);
	unlink(side);
}

/* ---------------------------------------------------------------- ours */

static void create_batch(la_bus *bus, const char *ref, const char *eta)
{
	la_message *m;
	check(la_command_create_batch(&m, ref, SKU, 1000000000, eta), "create batch");
	check(la_bus_handle(bus, m), "handle create batch");
	la_message_free(m);
}

/* One allocation as a user makes it: build the command, handle it, free it. */
static void allocate(la_bus *bus, const char *orderid)
{
	la_message *m;
	check(la_command_allocate(&m, orderid, SKU, 1), "allocate");
	check(la_bus_handle(bus, m), "handle allocate");
	if (!la_bus_result_batchref(bus)) {
		fprintf(stderr, "unexpectedly out of stock\n");
		_Exit(1);
	}
	la_message_free(m);
}

static void open_ours(la_store **store, la_bus **bus, const char *url, unsigned int flags)
{
	check(la_sqlite_store_open(store, url, flags), url);
	check(la_bus_new(bus, *store, NULL), "bus");
	create_batch(*bus, "batch-in-stock", NULL);
	create_batch(*bus, "batch-later", "2031-01-01");
	create_batch(*bus, "batch-latest", "2031-06-01");
}

/* count allocations, numbered from *next; returns the seconds taken. */
static double ours_run(la_bus *bus, long *next, long count)
{
	char orderid[32];
	double start = now();
	for (long i = 0; i < count; i++) {
		snprintf(orderid, sizeof orderid, "order-%ld", (*next)++);
		allocate(bus, orderid);
	}
	return now() - start;
}

/* ------------------------------------------------------------ baseline */

/* The same tables and indexes as the adapter's schema (docs/sqlite.md). */
static const char schema[] =
    "CREATE TABLE products (sku TEXT PRIMARY KEY NOT NULL, version_number INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE batches (ref TEXT PRIMARY KEY NOT NULL, sku TEXT NOT NULL,"
    " purchased INTEGER NOT NULL, eta TEXT, eta_key INTEGER NOT NULL,"
    " allocated INTEGER NOT NULL DEFAULT 0, line_count INTEGER NOT NULL DEFAULT 0,"
    " sequence INTEGER NOT NULL);"
    "CREATE INDEX batches_by_sku ON batches(sku, eta_key, sequence);"
    "CREATE TABLE allocations (orderid TEXT NOT NULL, sku TEXT NOT NULL,"
    " batchref TEXT NOT NULL, qty INTEGER NOT NULL, sequence INTEGER NOT NULL,"
    " PRIMARY KEY (orderid, sku));"
    "CREATE INDEX allocations_by_batch ON allocations(batchref);"
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL,"
    " payload TEXT NOT NULL, sent INTEGER);"
    "CREATE INDEX outbox_unsent ON outbox(id) WHERE sent IS NULL;"
    "INSERT INTO products VALUES ('" SKU "', 3);"
    "INSERT INTO batches VALUES ('batch-in-stock', '" SKU "', 1000000000, NULL, 0, 0, 0, 1),"
    " ('batch-later', '" SKU "', 1000000000, '2031-01-01', 20310101, 0, 0, 2),"
    " ('batch-latest', '" SKU "', 1000000000, '2031-06-01', 20310601, 0, 0, 3);";

enum { B_BEGIN, B_BATCHES, B_LINE, B_INSERT, B_BATCH, B_VERSION, B_OUTBOX, B_COMMIT, B_COUNT };
static const char *const baseline_sql[B_COUNT] = {
    [B_BEGIN] = "BEGIN IMMEDIATE",
    [B_BATCHES] = "SELECT ref, purchased - allocated FROM batches WHERE sku = ?1"
                  " ORDER BY eta_key, sequence",
    [B_LINE] = "SELECT batchref FROM allocations WHERE orderid = ?1 AND sku = ?2",
    [B_INSERT] = "INSERT INTO allocations(orderid, sku, batchref, qty, sequence)"
                 " VALUES(?1, ?2, ?3, ?4, ?5)",
    [B_BATCH] = "UPDATE batches SET allocated = allocated + ?2, line_count = line_count + 1"
                " WHERE ref = ?1",
    [B_VERSION] = "UPDATE products SET version_number = ?2 WHERE sku = ?1 AND version_number = ?3",
    [B_OUTBOX] = "INSERT INTO outbox(channel, payload) VALUES('line_allocated', ?1)",
    [B_COMMIT] = "COMMIT",
};

static void step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what)
{
	check_sql(db, sqlite3_step(stmt), what);
	sqlite3_reset(stmt);
}

/* The minimum one allocation needs, in one transaction. */
static void baseline_allocate(sqlite3 *db, sqlite3_stmt **s, const char *orderid, const char *sku,
                              int64_t *version, int outbox)
{
	const int64_t qty = 1;
	char chosen[256] = "";
	step_done(db, s[B_BEGIN], "begin");
	sqlite3_bind_text(s[B_LINE], 1, orderid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s[B_LINE], 2, sku, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s[B_LINE]);
	check_sql(db, rc, "line");
	sqlite3_reset(s[B_LINE]);
	if (rc == SQLITE_ROW) { /* already allocated: nothing to do */
		step_done(db, s[B_COMMIT], "commit");
		return;
	}
	sqlite3_bind_text(s[B_BATCHES], 1, sku, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s[B_BATCHES])) == SQLITE_ROW) {
		if (sqlite3_column_int64(s[B_BATCHES], 1) >= qty) {
			snprintf(chosen, sizeof chosen, "%s",
			         (const char *)sqlite3_column_text(s[B_BATCHES], 0));
			break;
		}
	}
	check_sql(db, rc, "batches");
	sqlite3_reset(s[B_BATCHES]);
	sqlite3_bind_text(s[B_INSERT], 1, orderid, -1, SQLITE_STATIC);
	sqlite3_bind_text(s[B_INSERT], 2, sku, -1, SQLITE_STATIC);
	sqlite3_bind_text(s[B_INSERT], 3, chosen, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s[B_INSERT], 4, qty);
	sqlite3_bind_int64(s[B_INSERT], 5, *version + 1);
	step_done(db, s[B_INSERT], "insert");
	sqlite3_bind_text(s[B_BATCH], 1, chosen, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s[B_BATCH], 2, qty);
	step_done(db, s[B_BATCH], "batch");
	sqlite3_bind_text(s[B_VERSION], 1, sku, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s[B_VERSION], 2, *version + 1);
	sqlite3_bind_int64(s[B_VERSION], 3, *version);
	step_done(db, s[B_VERSION], "version");
	(*version)++;
	if (outbox) {
		char json[600];
		snprintf(json, sizeof json,
		         "{\"id\":\"%016llx-%llx\",\"orderid\":\"%s\",\"sku\":\"%s\","
		         "\"qty\":%lld,\"batchref\":\"%s\"}",
		         0x1234567890abcdefull, (unsigned long long)*version, orderid, sku,
		         (long long)qty, chosen);
		sqlite3_bind_text(s[B_OUTBOX], 1, json, -1, SQLITE_STATIC);
		step_done(db, s[B_OUTBOX], "outbox");
	}
	step_done(db, s[B_COMMIT], "commit");
}

struct baseline {
	sqlite3 *db;
	sqlite3_stmt *s[B_COUNT];
	int64_t version[MAX_SKUS]; /* each product's version number */
	int skus;                  /* 1: SKU alone; else SKU-1 .. SKU-skus in turn */
	int outbox;
	long next;
};

/* The sku of the baseline's i-th allocation (as http_allocate.lua names them). */
static const char *baseline_sku(const struct baseline *b, long i, char *name, size_t size)
{
	if (b->skus == 1)
		return SKU;
	snprintf(name, size, "%s-%ld", SKU, i % b->skus + 1);
	return name;
}

/* SKU-1 .. SKU-skus, each with the three batches SKU has. */
static void baseline_add_skus(struct baseline *b)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
	         " INSERT INTO products SELECT '" SKU "-' || i, 3 FROM n;"
	         "INSERT INTO batches SELECT b.ref || '-' || p.sku, p.sku, b.purchased, b.eta,"
	         " b.eta_key, 0, 0, b.sequence FROM batches b, products p"
	         " WHERE b.sku = '" SKU "' AND p.sku <> '" SKU "'",
	         b->skus);
	check_sql(b->db, sqlite3_exec(b->db, sql, NULL, NULL, NULL), "skus");
}

static void baseline_open(struct baseline *b, const char *file, int full, int outbox, int skus)
{
	memset(b, 0, sizeof *b);
	b->skus = skus;
	check_sql(NULL,
	          sqlite3_open_v2(file, &b->db,
	                          SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                          NULL),
	          "open");
	sqlite3_busy_timeout(b->db, 5000);
	if (strcmp(file, ":memory:") != 0)
		check_sql(b->db, sqlite3_exec(b->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
		          "wal");
	check_sql(b->db,
	          sqlite3_exec(b->db,
	                       full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
	                       NULL, NULL, NULL),
	          "synchronous");
	check_sql(b->db, sqlite3_exec(b->db, schema, NULL, NULL, NULL), "schema");
	for (int i = 0; i < B_COUNT; i++)
		check_sql(b->db,
		          sqlite3_prepare_v3(b->db, baseline_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                             &b->s[i], NULL),
		          baseline_sql[i]);
	if (skus > 1)
		baseline_add_skus(b);
	for (int i = 0; i < MAX_SKUS; i++)
		b->version[i] = 3;
	b->outbox = outbox;
}

static double baseline_run(struct baseline *b, long count)
{
	char orderid[32], name[64];
	double start = now();
	for (long i = 0; i < count; i++, b->next++) {
		snprintf(orderid, sizeof orderid, "order-%ld", b->next);
		const char *sku = baseline_sku(b, b->next, name, sizeof name);
		baseline_allocate(b->db, b->s, orderid, sku, &b->version[b->next % b->skus],
		                  b->outbox);
	}
	return now() - start;
}

static void baseline_close(struct baseline *b)
{
	for (int i = 0; i < B_COUNT; i++)
		sqlite3_finalize(b->s[i]);
	sqlite3_close(b->db);
}

/* ------------------------------------------------------------- reports */

/* RUNS runs; in each, ours and the baseline (each on its own new database)
 * take turns in CHUNKS chunks, so that load on the machine hits both alike.
 * Prints the medians and the median of the runs' ratios. */
static void compare(const char *label, const char *name, int memory, int full, unsigned int flags,
                    long count)
{
	enum { CHUNKS = 10 };
	double mine[RUNS], base[RUNS], ratio[RUNS];
	char url[1200], file_ours[1024], file_base[1024], side[64];
	for (int r = 0; r < RUNS; r++) {
		snprintf(side, sizeof side, "%s-ours", name);
		snprintf(file_ours, sizeof file_ours, "%s", memory ? ":memory:" : fresh_file(side));
		snprintf(side, sizeof side, "%s-base", name);
		snprintf(file_base, sizeof file_base, "%s", memory ? ":memory:" : fresh_file(side));
		snprintf(url, sizeof url, "sqlite:%s%s", file_ours, full ? "?durability=full" : "");
		la_store *store;
		la_bus *bus;
		struct baseline b;
		open_ours(&store, &bus, url, flags);
		baseline_open(&b, file_base, full, flags != 0, 1);
		double t_ours = 0, t_base = 0;
		long next = 0;
		for (int c = 0; c < CHUNKS; c++) {
			t_ours += ours_run(bus, &next, count / CHUNKS);
			t_base += baseline_run(&b, count / CHUNKS);
		}
		la_bus_free(bus);
		la_store_free(store);
		baseline_close(&b);
		if (!memory) {
			remove_file(file_ours);
			remove_file(file_base);
		}
		mine[r] = (double)next / t_ours;
		base[r] = (double)b.next / t_base;
		ratio[r] = mine[r] / base[r];
	}
	double m = median(mine, RUNS), bm = median(base, RUNS), q = median(ratio, RUNS);
	if (label)
		printf("  %-36s %9.0f /s   baseline %9.0f /s   ratio %.2f\n", label, m, bm, q);
}

/* A file whose product already holds lines lines on batch-in-stock, filled
 * with plain SQL (the state the adapter would have stored), so that the
 * levels can be measured side by side. */
static void prefill(const char *file, long lines)
{
	la_store *store;
	la_bus *bus;
	open_ours(&store, &bus, file, 0);
	la_bus_free(bus);
	la_store_free(store);
	if (!lines)
		return;
	sqlite3 *db;
	check_sql(NULL, sqlite3_open(file, &db), "open");
	char sql[1024];
	snprintf(
	    sql, sizeof sql,
	    "BEGIN;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld)"
	    " INSERT INTO allocations(orderid, sku, batchref, qty, sequence)"
	    " SELECT 'fill-' || i, '" SKU "', 'batch-in-stock', 1, 3 + i FROM n;"
	    "UPDATE batches SET allocated = %ld, line_count = %ld WHERE ref = 'batch-in-stock';"
	    "UPDATE products SET version_number = 3 + %ld;"
	    "COMMIT",
	    lines, lines, lines, lines);
	check_sql(db, sqlite3_exec(db, sql, NULL, NULL, NULL), "prefill");
	sqlite3_close(db);
}

/* Median cost (ns) of one allocation at each level of existing lines; the
 * levels take turns, round by round, so that load on the machine hits all. */
static void growth(const long *levels, int count, double *cost_ns)
{
	enum { ROUNDS = 7, PER_ROUND = 1000, MAX_LEVELS = 4 };
	char files[MAX_LEVELS][1024], name[32], orderid[32];
	la_store *stores[MAX_LEVELS];
	la_bus *buses[MAX_LEVELS];
	double samples[MAX_LEVELS][ROUNDS];
	for (int l = 0; l < count; l++) {
		snprintf(name, sizeof name, "growth-%ld", levels[l]);
		snprintf(files[l], sizeof files[l], "%s", fresh_file(name));
		prefill(files[l], levels[l]);
		check(la_sqlite_store_open(&stores[l], files[l], 0), files[l]);
		check(la_bus_new(&buses[l], stores[l], NULL), "bus");
	}
	long made = 0;
	for (int r = 0; r < ROUNDS; r++)
		for (int l = 0; l < count; l++) {
			double start = now();
			for (int i = 0; i < PER_ROUND; i++) {
				snprintf(orderid, sizeof orderid, "probe-%ld", made++);
				allocate(buses[l], orderid);
			}
			samples[l][r] = (now() - start) / PER_ROUND * 1e9;
		}
	for (int l = 0; l < count; l++) {
		cost_ns[l] = median(samples[l], ROUNDS);
		la_bus_free(buses[l]);
		la_store_free(stores[l]);
		remove_file(files[l]);
	}
}

/* The baseline alone with synchronous=FULL for about `seconds`, over skus
 * products: the reference of the HTTP group-commit benchmark. */
static int baseline_full(long seconds, long skus)
{
	if (seconds < 1 || skus < 1 || skus > MAX_SKUS) {
		fprintf(stderr, "bench_sqlite --baseline-full: SECONDS >= 1, SKUS 1 to %d\n",
		        MAX_SKUS);
		return 2;
	}
	struct baseline b;
	const char *file = fresh_file("baseline-full");
	baseline_open(&b, file, 1, 0, (int)skus);
	double spent = 0;
	while (spent < (double)seconds)
		spent += baseline_run(&b, 100);
	baseline_close(&b);
	remove_file(file);
	printf("allocations/s: %.0f\n", (double)b.next / spent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--baseline-full") == 0) {
		dir = argv[2];
		return baseline_full(strtol(argv[3], NULL, 10), strtol(argv[4], NULL, 10));
	}
	if (argc > 1)
		dir = argv[1];
	double start = now();
	printf("liballocation %s SQLite benchmark (SQLite %s, one thread, files in %s)\n",
	       la_version(), sqlite3_libversion(), dir);
	printf(
	    "allocations/s through the bus (command built, handled, freed each time) into one\n"
	    "product with 3 batches, vs a hand-written minimal allocation transaction straight\n"
	    "on sqlite3 (same schema, same pragmas), the two taking turns in 10 chunks per run;\n"
	    "medians of %d runs (ratio = median of the runs' ratios):\n",
	    RUNS);
	compare(NULL, "warm-up", 1, 0, 0, 2000);
	compare("file, WAL, synchronous=NORMAL", "normal", 0, 0, 0, 10000);
	compare("in memory", "memory", 1, 0, 0, 50000);
	compare("file, NORMAL, outbox (both sides)", "outbox", 0, 0, LA_STORE_OUTBOX, 10000);
	compare("file, durability=full (FULL)", "full", 0, 1, 0, 1000);
	printf("targets >= 0.8x baseline on a file and in memory\n");

	const long levels[] = {0, 10000, 100000};
	double cost[3];
	growth(levels, 3, cost);
	printf("cost of one allocation into a product holding N lines (file, NORMAL; levels in "
	       "turn, median of 7 x 1,000):\n");
	for (int i = 0; i < 3; i++)
		printf("  N = %-7ld %8.0f ns   ratio to 0: %.2f\n", levels[i], cost[i],
		       cost[i] / cost[0]);
	printf("target at 100,000 <= 1.5x: %s\n", cost[2] / cost[0] <= 1.5 ? "met" : "NOT met");
	printf("(bench took %.1f s)\n", now() - start);
	return 0;
}
