/*
 * The `allocation` program, run for real (path in $ALLOCATION_CLI) in a
 * fresh temporary working directory per test: every command, the JSON it
 * prints, its one-line errors and its exit statuses.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <criterion/criterion.h>

#include <jansson.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char workdir[256];

typedef struct result {
	int status; /* exit status, or -1 when killed */
	char out[8192];
	char err[8192];
} result;

static void read_file(char *into, size_t size, const char *path)
{
	into[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	size_t n = fread(into, 1, size - 1, f);
	into[n] = '\0';
	(void)fclose(f); /* read only */
}

/* Run allocation with the arguments (NULL-terminated); env_db, when not
 * NULL, is put in ALLOCATION_DB (else it is unset). */
static result run_env(const char *env_db, const char *first, ...)
{
	const char *argv[32];
	int argc = 0;
	const char *exe = getenv("ALLOCATION_CLI");
	cr_assert_not_null(exe, "ALLOCATION_CLI must name the allocation program");
	argv[argc++] = exe;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		cr_assert_lt(argc, 31);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;

	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (chdir(workdir) != 0)
			_exit(126);
		int out = open(".stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(".stderr", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		/* the forked child, one thread, about to exec */
		if (env_db)
			setenv("ALLOCATION_DB", env_db, 1); // NOLINT(concurrency-mt-unsafe)
		else
			unsetenv("ALLOCATION_DB"); // NOLINT(concurrency-mt-unsafe)
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	result r;
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	char path[300];
	snprintf(path, sizeof(path), "%s/.stdout", workdir);
	read_file(r.out, sizeof(r.out), path);
	snprintf(path, sizeof(path), "%s/.stderr", workdir);
	read_file(r.err, sizeof(r.err), path);
	return r;
}

#define run(...) run_env(NULL, __VA_ARGS__, NULL)

/* Expect success with exactly this stdout and nothing on stderr. */
#define expect_ok(r, output)                                                                       \
	do {                                                                                       \
		result r_ = (r);                                                                   \
		cr_expect_eq(r_.status, 0, "exit %d, stderr: %s", r_.status, r_.err);              \
		cr_expect_str_eq(r_.out, output);                                                  \
		cr_expect_str_eq(r_.err, "");                                                      \
	} while (0)

/* Expect failure with this status and exactly one line on stderr. */
#define expect_error(r, code, line)                                                                \
	do {                                                                                       \
		result r_ = (r);                                                                   \
		cr_expect_eq(r_.status, code, "exit %d, stderr: %s", r_.status, r_.err);           \
		cr_expect_str_eq(r_.err, "allocation: " line "\n");                                \
		cr_expect_str_eq(r_.out, "");                                                      \
	} while (0)

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(workdir, sizeof(workdir), "%s/la-cli-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(workdir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", workdir);
}

TestSuite(cli, .init = setup, .fini = teardown);

static int exists(const char *name)
{
	char path[300];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	return stat(path, &st) == 0;
}

static void write_file(const char *name, const char *text)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0, "writing %s", path);
}

Test(cli, help_lists_every_command_and_the_exit_codes)
{
	result r = run("--help");
	cr_expect_eq(r.status, 0);
	const char *expected[] = {"Usage: allocation",
	                          "add-batch REF SKU QTY [ETA]",
	                          "allocate ORDERID SKU QTY",
	                          "deallocate ORDERID SKU",
	                          "change-batch-quantity REF QTY",
	                          "cancel-batch REF",
	                          "allocations ORDERID",
	                          "history ORDERID",
	                          "batches [SKU]",
	                          "allocate-from-csv FOLDER",
	                          "--db URL",
	                          "ALLOCATION_DB",
	                          "Exit status"};
	for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++)
		cr_expect(strstr(r.out, expected[i]) != NULL, "--help lacks \"%s\"", expected[i]);
	cr_expect_str_eq(r.err, "");

	r = run("allocate", "--help");
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "allocate ORDERID SKU QTY") != NULL, "%s", r.out);
	r = run("help", "batches");
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "--limit N") != NULL, "%s", r.out);
	cr_expect(!exists("allocation.db"), "help must not create a database");
}

Test(cli, version)
{
	result r = run("--version");
	cr_expect_eq(r.status, 0);
	cr_expect(strncmp(r.out, "allocation 1.", 13) == 0, "%s", r.out);
}

Test(cli, usage_errors_exit_2_with_one_line)
{
	result r = run_env(NULL, NULL);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.err, "allocation: no command given (see allocation --help)\n");
	expect_error(run("frobnicate"), 2, "unknown command frobnicate (see allocation --help)");
	expect_error(run("--bogus", "batches"), 2,
	             "unknown option --bogus (see allocation --help)");
	expect_error(
	    run("allocate", "o1"), 2,
	    "usage: allocation allocate ORDERID SKU QTY [PROMISE] (see allocation allocate "
	    "--help)");
	expect_error(
	    run("add-batch", "b", "s", "1", "2011-01-01", "extra"), 2,
	    "usage: allocation add-batch REF SKU QTY [ETA] (see allocation add-batch --help)");
	expect_error(run("--db"), 2, "--db needs a database URL");
	cr_expect(!exists("allocation.db"), "a usage error must not create a database");
}

Test(cli, numbers_are_parsed_strictly)
{
	expect_error(run("allocate", "o1", "s", "12abc"), 2,
	             "QTY must be a whole number, not \"12abc\"");
	expect_error(run("allocate", "o1", "s", ""), 2, "QTY must be a whole number, not \"\"");
	expect_error(run("allocate", "o1", "s", " 5"), 2, "QTY must be a whole number, not \" 5\"");
	expect_error(run("add-batch", "b1", "s", "99999999999999999999"), 2,
	             "QTY must be a whole number, not \"99999999999999999999\"");
	expect_error(run("change-batch-quantity", "b1", "0x10"), 2,
	             "QTY must be a whole number, not \"0x10\"");
	expect_error(run("batches", "--limit", "ten"), 2,
	             "--limit must be a whole number, not \"ten\"");
	expect_error(run("batches", "--limit=0"), 2, "--limit must be between 1 and 1000");
}

Test(cli, add_batch_and_allocate_on_the_default_sqlite_file)
{
	expect_ok(run("add-batch", "b-later", "LAMP", "10", "2011-01-02"), "");
	expect_ok(run("add-batch", "b-now", "LAMP", "10"), "");
	cr_expect(exists("allocation.db"), "the default database is allocation.db in the cwd");
	expect_ok(run("allocate", "o1", "LAMP", "8"), "b-now\n");
	expect_ok(run("allocate", "o2", "LAMP", "8"), "b-later\n");
	/* out of stock is an outcome, not an error */
	expect_ok(run("allocate", "o3", "LAMP", "8"), "out of stock\n");
	/* idempotent per (orderid, sku) */
	expect_ok(run("allocate", "o1", "LAMP", "8"), "b-now\n");
}

Test(cli, refused_commands_exit_1_with_the_library_message)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_error(run("allocate", "o1", "NOPE", "1"), 1, "Invalid sku NOPE");
	expect_error(run("change-batch-quantity", "bx", "5"), 1, "Invalid batch reference bx");
	expect_error(run("cancel-batch", "bx"), 1, "Invalid batch reference bx");
	result r = run("deallocate", "o1", "LAMP");
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "not allocated") != NULL, "%s", r.err);
	r = run("allocate", "o1", "LAMP", "0");
	cr_expect_eq(r.status, 1, "qty 0 is refused by the library");
	cr_expect(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
	r = run("add-batch", "b2", "LAMP", "1", "2011-02-30");
	cr_expect_eq(r.status, 1, "a bad date is refused");
	/* a batch with other values under an existing ref */
	r = run("add-batch", "b1", "LAMP", "11");
	cr_expect_eq(r.status, 1);
	/* the same values again: a redelivered message, fine */
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
}

Test(cli, allocations_print_json_in_allocation_order)
{
	expect_ok(run("allocations", "nobody"), "[]\n");
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("add-batch", "b2", "SOFA", "10"), "");
	expect_ok(run("allocate", "o1", "SOFA", "1"), "b2\n");
	expect_ok(run("allocate", "o1", "LAMP", "1"), "b1\n");
	expect_ok(
	    run("allocations", "o1"),
	    "[{\"sku\":\"SOFA\",\"batchref\":\"b2\"},{\"sku\":\"LAMP\",\"batchref\":\"b1\"}]\n");
}

Test(cli, json_output_escapes_strings)
{
	const char *order = "o \"quoted\" \\ back\\slash \xE2\x82\xAC";
	expect_ok(run("add-batch", "b\"1", "s\xC3\xA9", "10"), "");
	expect_ok(run("allocate", order, "s\xC3\xA9", "1"), "b\"1\n");
	result r = run("allocations", order);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_error_t error;
	json_t *root = json_loads(r.out, 0, &error);
	cr_assert_not_null(root, "not JSON: %s (%s)", r.out, error.text);
	cr_assert(json_is_array(root));
	cr_assert_eq(json_array_size(root), 1);
	json_t *row = json_array_get(root, 0);
	cr_expect_str_eq(json_string_value(json_object_get(row, "sku")), "s\xC3\xA9");
	cr_expect_str_eq(json_string_value(json_object_get(row, "batchref")), "b\"1");
	json_decref(root);
	/* control characters never get that far: refused, naming the field */
	expect_error(run("allocate", "o\nINFO forged", "s\xC3\xA9", "1"), 1,
	             "orderid contains a control character (0x0A)");
	expect_error(run("add-batch", "b\x1b[2J", "s\xC3\xA9", "1"), 1,
	             "ref contains a control character (0x1B)");
}

Test(cli, batches_dashboard_with_filter_and_pages)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("add-batch", "b2", "LAMP", "20", "2011-01-01"), "");
	expect_ok(run("add-batch", "c1", "SOFA", "5"), "");
	expect_ok(run("allocate", "o1", "LAMP", "4"), "b1\n");
	expect_ok(run("batches", "SOFA"),
	          "{\"batches\":[{\"ref\":\"c1\",\"sku\":\"SOFA\",\"eta\":null,\"purchased\":5,"
	          "\"allocated\":0,\"available\":5,\"lines\":0}],\"next\":null}\n");

	/* two pages of two and one: every batch once, in order */
	result r = run("batches", "--limit", "2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_t *page = json_loads(r.out, 0, NULL);
	cr_assert_not_null(page, "%s", r.out);
	json_t *rows = json_object_get(page, "batches");
	cr_assert_eq(json_array_size(rows), 2);
	json_t *b1 = json_array_get(rows, 0);
	cr_expect_str_eq(json_string_value(json_object_get(b1, "ref")), "b1");
	cr_expect_eq(json_integer_value(json_object_get(b1, "allocated")), 4);
	cr_expect_eq(json_integer_value(json_object_get(b1, "available")), 6);
	cr_expect_eq(json_integer_value(json_object_get(b1, "lines")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rows, 1), "eta")),
	                 "2011-01-01");
	const char *next = json_string_value(json_object_get(page, "next"));
	cr_assert_not_null(next, "a cursor when more rows follow");
	char after[256];
	snprintf(after, sizeof(after), "--after=%s", next);
	json_decref(page);

	r = run("batches", after, "--limit=2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	page = json_loads(r.out, 0, NULL);
	cr_assert_not_null(page, "%s", r.out);
	rows = json_object_get(page, "batches");
	cr_assert_eq(json_array_size(rows), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "ref")), "c1");
	cr_expect(json_is_null(json_object_get(page, "next")));
	json_decref(page);

	r = run("batches", "--after", "not-a-cursor");
	cr_expect_eq(r.status, 1, "a malformed cursor is refused: %s", r.err);
	cr_expect(strncmp(r.err, "allocation: ", 12) == 0 &&
	              strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
	          "one line: %s", r.err);
}

Test(cli, deallocate_change_quantity_and_cancel_batch)
{
	expect_ok(run("add-batch", "b1", "LAMP", "50"), "");
	expect_ok(run("add-batch", "b2", "LAMP", "50", "2011-01-02"), "");
	expect_ok(run("allocate", "o1", "LAMP", "20"), "b1\n");
	expect_ok(run("allocate", "o2", "LAMP", "20"), "b1\n");
	/* b1 to 25: the most recent line (o2) moves to b2 */
	expect_ok(run("change-batch-quantity", "b1", "25"), "");
	expect_ok(run("allocations", "o2"), "[{\"sku\":\"LAMP\",\"batchref\":\"b2\"}]\n");
	expect_ok(run("deallocate", "o2", "LAMP"), "");
	expect_ok(run("allocations", "o2"), "[]\n");
	/* cancelling b1 moves o1 to b2 */
	expect_ok(run("cancel-batch", "b1"), "");
	expect_ok(run("allocations", "o1"), "[{\"sku\":\"LAMP\",\"batchref\":\"b2\"}]\n");
	expect_ok(
	    run("batches"),
	    "{\"batches\":[{\"ref\":\"b2\",\"sku\":\"LAMP\",\"eta\":\"2011-01-02\","
	    "\"purchased\":50,\"allocated\":20,\"available\":30,\"lines\":1}],\"next\":null}\n");
}

/* Run SQL on the default database file; the first column of the last row. */
static long long sql_on_db(const char *sql)
{
	char path[300];
	sqlite3 *db;
	sqlite3_stmt *stmt;
	long long value = -1;
	snprintf(path, sizeof(path), "%s/allocation.db", workdir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	while (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

Test(cli, a_pending_reallocation_left_by_a_crash_is_finished_before_the_command)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	/* the record a process killed after its commit leaves (docs/reliability.md) */
	sql_on_db("INSERT INTO pending_reallocations(orderid, sku, qty) VALUES('o1', 'LAMP', 4)");
	expect_ok(run("allocations", "o1"), "[{\"sku\":\"LAMP\",\"batchref\":\"b1\"}]\n");
	cr_expect_eq(sql_on_db("SELECT count(*) FROM pending_reallocations"), 0);
	cr_expect_eq(sql_on_db("SELECT qty FROM allocations WHERE orderid = 'o1'"), 4);
}

Test(cli, database_url_from_option_or_environment)
{
	expect_ok(run_env("sqlite:from-env.db", "add-batch", "b1", "LAMP", "10", NULL), "");
	cr_expect(exists("from-env.db"));
	cr_expect(!exists("allocation.db"));
	expect_ok(run("--db", "sqlite:from-env.db", "allocate", "o1", "LAMP", "1"), "b1\n");
	/* --db wins over the environment; a bare path is SQLite */
	expect_ok(
	    run_env("sqlite:from-env.db", "--db=bare.db", "add-batch", "x", "SOFA", "1", NULL), "");
	cr_expect(exists("bare.db"));
	expect_ok(run("--db", "bare.db", "allocate", "o1", "SOFA", "1"), "x\n");
	/* memory: starts empty every time */
	expect_error(run("--db", "memory:", "allocate", "o1", "LAMP", "1"), 1, "Invalid sku LAMP");
}

Test(cli, store_that_cannot_be_opened_exits_3)
{
	result r = run("--db", "sqlite:no/such/folder/x.db", "batches");
	cr_expect_eq(r.status, 3, "%s", r.err);
	cr_expect(strncmp(r.err,
	                  "allocation: cannot open database sqlite:no/such/folder/x.db: ", 61) == 0,
	          "%s", r.err);
	r = run("--db", "mysql://localhost/x", "batches");
	cr_expect_eq(r.status, 3, "%s", r.err);
	cr_expect(strstr(r.err, "unknown database URL") != NULL, "%s", r.err);
	/* PostgreSQL on a port where nothing listens (or no adapter built) */
	r = run("--db", "postgresql://127.0.0.1:1/x?connect_timeout=2", "batches");
	cr_expect_eq(r.status, 3, "%s", r.err);
	cr_expect(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
	r = run("--db", "csv:missing-folder", "batches");
	cr_expect_eq(r.status, 3, "%s", r.err);
}

/* The --db URL is printed without its password, whatever failed: the URL
 * form, a libpq conninfo, an unknown scheme, and libpq's own quote of a
 * password it could not read. */
Test(cli, database_passwords_are_not_printed)
{
	const char *urls[] = {
	    "postgresql://app:hunter2@127.0.0.1:1/x?connect_timeout=2",
	    "host=127.0.0.1 port=1 password=hunter2 connect_timeout=2",
	    "host=127.0.0.1 port=1 password='hunter2 x' connect_timeout=2",
	    "mysql://root:hunter2@localhost/x",
	    "postgresql://app:hunter2%zz@localhost/x",
	};
	const char *shown[] = {
	    "postgresql://app:***@127.0.0.1:1/x", "password=*** connect_timeout=2",
	    "password=*** connect_timeout=2",     "mysql://root:***@localhost/x",
	    "postgresql://app:***@localhost/x",
	};
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		result r = run("--db", urls[i], "batches");
		cr_expect_eq(r.status, 3, "%s", r.err);
		cr_expect(strstr(r.err, shown[i]) != NULL, "%s", r.err);
		cr_expect(strstr(r.err, "hunter") == NULL, "%s", r.err);
	}
}

static char *read_back(const char *name)
{
	static char buf[4096];
	char path[300];
	snprintf(path, sizeof(path), "%s/%s", workdir, name);
	read_file(buf, sizeof(buf), path);
	return buf;
}

static void make_shop(const char *batches, const char *orders)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/shop", workdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	if (batches)
		write_file("shop/batches.csv", batches);
	if (orders)
		write_file("shop/orders.csv", orders);
}

Test(cli, allocate_from_csv_spec_example)
{
	make_shop("ref,sku,qty,eta\nb1,s1,100,\nb2,s2,100,2011-01-01\nb3,s2,100,2011-01-02\n",
	          "orderid,sku,qty\no,s1,3\no,s2,12\no,s3,1\n");
	write_file("shop/orders.csv", "orderid,sku,qty\no,s1,3\no,s2,12\n");
	expect_ok(run("allocate-from-csv", "shop"), "2 allocated, 0 out of stock\n");
	cr_expect_str_eq(read_back("shop/allocations.csv"),
	                 "orderid,sku,qty,batchref\r\no,s1,3,b1\r\no,s2,12,b2\r\n");
	cr_expect(!exists("allocation.db"), "allocate-from-csv does not touch --db");
	/* the folder is also a store for the other commands */
	expect_ok(run("--db", "csv:shop", "allocations", "o"),
	          "[{\"sku\":\"s1\",\"batchref\":\"b1\"},{\"sku\":\"s2\",\"batchref\":\"b2\"}]\n");
	expect_ok(run("--db", "csv:shop", "allocate", "o2", "s2", "90"), "b3\n");
}

Test(cli, allocate_from_csv_errors)
{
	make_shop(NULL, "orderid,sku,qty\no,s1,3\n");
	expect_error(
	    run("allocate-from-csv", "shop"), 3,
	    "cannot open CSV folder shop: batches.csv: cannot read: No such file or directory");
	write_file("shop/batches.csv", "ref,sku,qty,eta\nb1,s1,100,\n");
	write_file("shop/allocations.csv", "orderid,sku,qty,batchref\nold,s1,1,b1\n");
	write_file("shop/orders.csv", "orderid,sku,qty\no,s1,3\no,s1,x\n");
	expect_error(run("allocate-from-csv", "shop"), 1,
	             "shop: orders.csv:3: qty is not a number: \"x\"");
	write_file("shop/orders.csv", "orderid,sku,qty\no,s1,3\np,NOPE,1\n");
	expect_error(run("allocate-from-csv", "shop"), 1, "shop: orders.csv:3: Invalid sku NOPE");
	cr_expect_str_eq(read_back("shop/allocations.csv"),
	                 "orderid,sku,qty,batchref\nold,s1,1,b1\n");
	write_file("shop/batches.csv", "ref,sku,qty,eta\nb1,s1,100,2011-13-01\n");
	expect_error(run("allocate-from-csv", "shop"), 3,
	             "cannot open CSV folder shop: batches.csv:2: eta is not a date (YYYY-MM-DD): "
	             "\"2011-13-01\"");
	expect_error(run("allocate-from-csv", "nowhere"), 3,
	             "cannot open CSV folder nowhere: No such file or directory");
}

Test(cli, import_orders_many_lines_per_transaction)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	write_file("orders.csv", "orderid,sku,qty\no1,LAMP,3\no2,NOPE,1\no3,LAMP,100\no4,LAMP,7\n");
	result r = run("import-orders", "orders.csv", "--per-transaction", "2");
	cr_expect_eq(r.status, 1, "a refused line exits 1: %s", r.err);
	cr_expect_str_eq(r.out, "{\"allocated\": 2, \"out_of_stock\": 1, \"refused\": 1}\n");
	cr_expect_str_eq(r.err, "allocation: orders.csv:3: Invalid sku NOPE\n");
	expect_ok(run("allocations", "o4"), "[{\"sku\":\"LAMP\",\"batchref\":\"b1\"}]\n");
	/* again: every line is already allocated (idempotent), no refusal now */
	write_file("orders.csv", "orderid,sku,qty\no1,LAMP,3\no4,LAMP,7\n");
	expect_ok(run("import-orders", "orders.csv"),
	          "{\"allocated\": 2, \"out_of_stock\": 0, \"refused\": 0}\n");
	expect_error(run("import-orders", "orders.csv", "--per-transaction", "0"), 2,
	             "--per-transaction must be between 1 and 100000");
	expect_error(run("import-orders"), 2,
	             "usage: allocation import-orders FILE.csv [--per-transaction N] (see "
	             "allocation import-orders --help)");
	r = run("import-orders", "missing.csv");
	cr_expect_eq(r.status, 4, "exit %d: %s", r.status, r.err);
	cr_expect_str_eq(r.err,
	                 "allocation: missing.csv: cannot open: No such file or directory\n");
}

/* Raw SQL on the default database file, as a careless script would. */
static void corrupt_db(const char *sql)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/allocation.db", workdir);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

Test(cli, check_and_repair_exit_codes_and_one_line_per_finding)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("allocate", "o1", "LAMP", "2"), "b1\n");
	expect_ok(run("allocate", "o2", "LAMP", "3"), "b1\n");
	expect_ok(run("check"), "ok: every invariant holds\n");
	expect_ok(run("repair"), "nothing to repair\n");
	corrupt_db("UPDATE batches SET allocated = 9 WHERE ref = 'b1';"
	           "UPDATE allocations SET batchref = 'gone' WHERE orderid = 'o2'");
	result r = run("check");
	cr_expect_eq(r.status, 1, "violations: exit 1");
	cr_expect_str_eq(r.err, "");
	cr_expect_str_eq(
	    r.out, "allocated_mismatch batch b1 sku LAMP: batch b1 stores allocated 9 but its "
	           "lines add up to 2\n"
	           "line_count_mismatch batch b1 sku LAMP: batch b1 stores 2 lines but has 1\n"
	           "line_without_batch batch gone order o2 sku LAMP: order o2's line of LAMP "
	           "points at batch gone, which does not exist\n");
	r = run("repair");
	cr_expect_eq(r.status, 1, "what repair cannot fix remains: exit 1");
	cr_expect_str_eq(
	    r.out, "repaired allocated_mismatch batch b1 sku LAMP: batch b1: allocated 9 -> 2, "
	           "line count 2 -> 1\n"
	           "not repaired: line_without_batch batch gone order o2 sku LAMP: order o2's "
	           "line of LAMP points at batch gone, which does not exist\n");
	/* repair never deletes an allocation: fixing the line is the operator's */
	expect_ok(run("allocations", "o2"), "[{\"sku\":\"LAMP\",\"batchref\":\"gone\"}]\n");
	corrupt_db("UPDATE allocations SET batchref = 'b1' WHERE orderid = 'o2'");
	r = run("check");
	cr_expect_eq(r.status, 1, "b1's figures lack o2 again");
	expect_ok(run("repair"),
	          "repaired allocated_mismatch batch b1 sku LAMP: batch b1: allocated 2 "
	          "-> 5, line count 1 -> 2\n");
	expect_ok(run("check"), "ok: every invariant holds\n");
	expect_error(run("check", "extra"), 2,
	             "usage: allocation check  (see allocation check --help)");
}

/* --policy NAME (issue 14): latest-in-time reads allocate's PROMISE; book
 * ignores it; an unknown name or a bad date is refused. */
Test(cli, policy_and_promise)
{
	expect_ok(run("add-batch", "stock", "LAMP", "10"), "");
	expect_ok(run("add-batch", "march", "LAMP", "10", "2030-03-01"), "");
	expect_ok(run("add-batch", "june", "LAMP", "10", "2030-06-01"), "");
	expect_ok(run("--policy", "latest-in-time", "allocate", "o1", "LAMP", "2", "2030-07-01"),
	          "june\n");
	expect_ok(run("--policy=latest-in-time", "allocate", "o2", "LAMP", "2", "2030-04-01"),
	          "march\n");
	expect_ok(run("--policy", "latest-in-time", "allocate", "o3", "LAMP", "2"), "stock\n");
	expect_ok(run("allocate", "o4", "LAMP", "2", "2030-07-01"), "stock\n");
	expect_error(run("--policy", "fifo", "allocate", "o5", "LAMP", "1"), 2,
	             "unknown allocation policy 'fifo' (book or latest-in-time)");
	expect_error(run("--policy", "latest-in-time", "allocate", "o5", "LAMP", "1", "2030-02-30"),
	             1, "promise is not a date YYYY-MM-DD");
	expect_ok(run("allocations", "o5"), "[]\n");
}

/* Entry i of a history printed as JSON: every field but "at", which must be
 * an ISO-8601 UTC time ("YYYY-MM-DDTHH:MM:SSZ"). */
static void expect_entry(json_t *history, size_t i, const char *event, const char *batchref,
                         const char *reason)
{
	json_t *e = json_array_get(history, i);
	cr_assert_not_null(e, "no entry %zu", i);
	const char *at = json_string_value(json_object_get(e, "at"));
	cr_expect(at && strlen(at) == 20 && at[10] == 'T' && at[19] == 'Z', "at: %s", at);
	cr_expect_str_eq(json_string_value(json_object_get(e, "event")), event);
	cr_expect_str_eq(json_string_value(json_object_get(e, "sku")), "LAMP");
	cr_expect_eq(json_integer_value(json_object_get(e, "qty")), 8);
	json_t *ref = json_object_get(e, "batchref");
	json_t *why = json_object_get(e, "reason");
	cr_expect(batchref ? json_is_string(ref) && strcmp(json_string_value(ref), batchref) == 0
	                   : json_is_null(ref),
	          "entry %zu batchref", i);
	cr_expect(reason ? json_is_string(why) && strcmp(json_string_value(why), reason) == 0
	                 : json_is_null(why),
	          "entry %zu reason", i);
	cr_expect(json_is_null(json_object_get(e, "expires")), "entry %zu expires", i);
}

Test(cli, history_prints_what_happened_to_an_order)
{
	expect_ok(run("history", "nobody"), "[]\n");
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("add-batch", "b2", "LAMP", "10", "2011-01-02"), "");
	expect_ok(run("allocate", "o1", "LAMP", "8"), "b1\n");
	expect_ok(run("change-batch-quantity", "b1", "5"), "");
	expect_ok(run("deallocate", "o1", "LAMP"), "");
	result r = run("history", "o1");
	cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
	json_error_t error;
	json_t *history = json_loads(r.out, 0, &error);
	cr_assert(json_is_array(history), "%s: %s", r.out, error.text);
	cr_expect_eq(json_array_size(history), 4, "%s", r.out);
	expect_entry(history, 0, "Allocated", "b1", NULL);
	expect_entry(history, 1, "Deallocated", "b1", "stock_reduced");
	expect_entry(history, 2, "Allocated", "b2", NULL);
	expect_entry(history, 3, "Deallocated", "b2", "requested");
	json_decref(history);
	/* a CSV folder keeps none */
	make_shop("ref,sku,qty,eta\nb1,s1,100,\n", "orderid,sku,qty\n");
	expect_error(run("--db", "csv:shop", "history", "o1"), 1,
	             "the csv store keeps no order history");
}

Test(cli, allocate_order_places_every_line_or_none)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("add-batch", "b2", "TABLE", "3"), "");
	expect_ok(run("allocate-order", "o1", "TABLE=2", "LAMP=3"), "TABLE b2\nLAMP b1\n");
	/* the same order again: its batches, nothing allocated twice */
	expect_ok(run("allocate-order", "o1", "TABLE=2", "LAMP=3"), "TABLE b2\nLAMP b1\n");
	/* short of TABLE: nothing of the order stays (exit 0, as allocate) */
	expect_ok(run("allocate-order", "o2", "LAMP=1", "TABLE=5"), "out of stock: TABLE\n");
	expect_ok(run("allocations", "o2"), "[]\n");
	expect_ok(run("batches", "LAMP"), "{\"batches\":[{\"ref\":\"b1\",\"sku\":\"LAMP\",\"eta\":"
	                                  "null,\"purchased\":10,\"allocated\":3,\"available\":7,"
	                                  "\"lines\":1}],\"next\":null}\n");
}

Test(cli, allocate_order_and_holds_refuse_bad_arguments)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_error(run("allocate-order", "o1", "LAMP"), 2,
	             "an order line is SKU=QTY, not \"LAMP\"");
	expect_error(run("allocate-order", "o1", "LAMP=x"), 2,
	             "QTY must be a whole number, not \"x\"");
	expect_error(run("allocate-order", "o1", "LAMP=1", "LAMP=2"), 1,
	             "lines[1].sku: LAMP is already line 0 of the order");
	expect_error(run("allocate-order", "o1", "LAMP=1", "NOPE=1"), 1, "Invalid sku NOPE");
	expect_error(run("allocate-order", "o1", "LAMP=1", "--hold", "0"), 2,
	             "--hold must be 1-86400 seconds");
	expect_error(run("allocate", "o1", "LAMP", "1", "--hold=86401"), 2,
	             "--hold must be 1-86400 seconds");
	expect_error(run("allocate", "o1", "LAMP", "1", "--hold"), 2,
	             "--hold needs a number of seconds");
	expect_error(run("allocate", "o1", "LAMP", "1", "--soon"), 2, "unknown option --soon");
	expect_error(run("allocate", "o1", "LAMP", "1", "2031-01-01", "x"), 2,
	             "too many arguments (see --help)");
	expect_error(run("expire-holds", "yesterday"), 2,
	             "NOW must be a whole number, not "
	             "\"yesterday\"");
	result r = run("confirm");
	cr_expect_eq(r.status, 2, "confirm needs an order");
	expect_ok(run("allocations", "o1"), "[]\n");
}

Test(cli, holds_confirm_expire_and_backorders_on_sqlite)
{
	expect_ok(run("add-batch", "b1", "LAMP", "10"), "");
	expect_ok(run("allocate", "o1", "LAMP", "3", "--hold", "60"), "b1\n");
	result r = run("allocations", "o1");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"expires\":\"") != NULL, "a held row: %s", r.out);
	cr_expect(strstr(r.out, "\"held\":3") == NULL);
	r = run("batches", "LAMP");
	cr_expect(strstr(r.out, "\"allocated\":3,\"available\":7,\"lines\":1,\"held\":3") != NULL,
	          "%s", r.out);
	/* a hold of 60 s made now: still there after expire-holds at the time now,
	 * gone after expire-holds at now + 120 */
	char later[32];
	(void)snprintf(later, sizeof later, "%lld", (long long)time(NULL) + 120);
	expect_ok(run("expire-holds"), "");
	r = run("allocations", "o1");
	cr_expect(strstr(r.out, "\"expires\":\"") != NULL, "not expired yet: %s", r.out);
	expect_error(run("confirm", "nobody"), 1, "Unknown order nobody");
	expect_ok(run("allocate-order", "o2", "LAMP=2", "--hold=30"), "LAMP b1\n");
	expect_ok(run("confirm", "o2"), "");
	expect_ok(run("allocations", "o2"), "[{\"sku\":\"LAMP\",\"batchref\":\"b1\"}]\n");
	expect_ok(run("expire-holds", later), "");
	expect_ok(run("allocations", "o1"), "[]\n");
	expect_ok(run("allocations", "o2"), "[{\"sku\":\"LAMP\",\"batchref\":\"b1\"}]\n");
	/* backorders: the line waits, and a new batch fills it */
	expect_ok(run("--backorders", "allocate", "o3", "LAMP", "20"), "backordered\n");
	expect_ok(run("allocations", "o3"),
	          "[{\"sku\":\"LAMP\",\"batchref\":null,\"status\":\"backordered\"}]\n");
	r = run("batches", "LAMP");
	cr_expect(strstr(r.out, "\"waiting\":20") != NULL, "%s", r.out);
	expect_ok(run("allocate", "o4", "LAMP", "20"), "out of stock\n"); /* without: the book */
	expect_ok(run("--backorders", "add-batch", "b2", "LAMP", "30"), "");
	expect_ok(run("allocations", "o3"), "[{\"sku\":\"LAMP\",\"batchref\":\"b2\"}]\n");
}
