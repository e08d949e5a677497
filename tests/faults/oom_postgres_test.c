/*
 * Out-of-memory sweep of liballocation-pg (oom_store.h): every entry point
 * with its N-th allocation failing, for every N, wherever it happens: the
 * adapter, the core or libpq. On the server of the postgres_server fixture;
 * each test process works in schemas of its own, and every run starts from
 * a copy of the template schema's rows.
 */
#include <allocation/allocation.h>
#include <allocation/postgres.h>
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oom_store.h"

static const int pg_errors[] = {LA_ENOMEM, LA_EDB, 0};

static char base[400];
static char template_schema[64], work_schema[64];
static PGconn *control; /* the test's own connection, search_path = work */

static void exec_ok(const char *sql)
{
	PGresult *res = PQexec(control, sql);
	ExecStatusType st = PQresultStatus(res);
	cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
	          PQerrorMessage(control));
	PQclear(res);
}

static long long value(const char *sql)
{
	PGresult *res = PQexec(control, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(control));
	long long v = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
	PQclear(res);
	return v;
}

static int open_on(la_store **out, const char *schema, unsigned int flags)
{
	char conninfo[600];
	/* Without GSSAPI and TLS negotiation: their libraries keep caches of
	 * their own across connections, which would read as leaks here. */
	snprintf(conninfo, sizeof conninfo,
	         "%s application_name=oom gssencmode=disable sslmode=disable"
	         " options='-csearch_path=%s'",
	         base, schema);
	return la_pg_store_open(out, conninfo, flags);
}

static int open_store(la_store **out, unsigned int flags)
{
	return open_on(out, work_schema, flags);
}

/* The template's rows into the work schema, identities following. */
static void reset(void)
{
	char sql[2048];
	/* DELETE, not TRUNCATE: a truncated table gets new files, which the
	 * server syncs at its next checkpoint (at the latest when the fixture
	 * stops it), thousands of them */
	snprintf(
	    sql, sizeof sql,
	    "DELETE FROM allocations; DELETE FROM waiting; DELETE FROM batches;"
	    "DELETE FROM products; DELETE FROM outbox;"
	    "INSERT INTO products SELECT * FROM %1$s.products;"
	    "INSERT INTO batches SELECT * FROM %1$s.batches;"
	    "INSERT INTO waiting SELECT * FROM %1$s.waiting;"
	    "INSERT INTO allocations OVERRIDING SYSTEM VALUE SELECT * FROM %1$s.allocations;"
	    "INSERT INTO outbox OVERRIDING SYSTEM VALUE SELECT * FROM %1$s.outbox;"
	    "SELECT setval(pg_get_serial_sequence('allocations', 'position'),"
	    " (SELECT max(position) FROM allocations));"
	    "SELECT setval(pg_get_serial_sequence('outbox', 'id'), (SELECT max(id) FROM outbox))",
	    template_schema);
	exec_ok(sql);
}

static void reset_empty(void)
{
	char sql[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %1$s CASCADE; CREATE SCHEMA %1$s",
	         work_schema);
	exec_ok(sql);
}

static void append_rows(const char *sql, char *out, size_t size)
{
	PGresult *res = PQexec(control, sql);
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(control));
	size_t len = strlen(out);
	for (int r = 0; r < PQntuples(res); r++) {
		for (int c = 0; c < PQnfields(res); c++)
			len += (size_t)snprintf(out + len, size - len, "%s%s", c ? "," : "",
			                        PQgetisnull(res, r, c) ? "NULL"
			                                               : PQgetvalue(res, r, c));
		len += (size_t)snprintf(out + len, size - len, "\n");
		cr_assert_lt(len, size - 1, "state too long");
	}
	PQclear(res);
}

static void read_state(char *out, size_t size)
{
	out[0] = '\0';
	append_rows("SELECT sku, version_number FROM products ORDER BY sku", out, size);
	append_rows("SELECT ref, sku, purchased, eta, allocated, line_count, held FROM batches"
	            " ORDER BY ref",
	            out, size);
	append_rows("SELECT orderid, sku, batchref, qty, expires > 0 FROM allocations"
	            " ORDER BY orderid, sku",
	            out, size);
	append_rows("SELECT sku, orderid, qty FROM waiting ORDER BY sku, orderid", out, size);
	append_rows("SELECT orderid, sku, batchref FROM allocations_view ORDER BY orderid, sku",
	            out, size);
	append_rows("SELECT channel, (payload::jsonb - 'id')::text AS message, sent IS NULL"
	            " FROM outbox ORDER BY message",
	            out, size);
}

static void check_invariants(void)
{
	cr_assert_eq(value("SELECT count(*) FROM batches b WHERE"
	                   " allocated <> (SELECT coalesce(sum(qty), 0) FROM"
	                   " allocations a WHERE a.batchref = b.ref)"
	                   " OR line_count <> (SELECT count(*) FROM allocations a"
	                   " WHERE a.batchref = b.ref)"),
	             0, "a batch's stored figures differ from its lines");
	cr_assert_eq(value("SELECT count(*) FROM batches WHERE allocated > purchased"
	                   " OR allocated < 0"),
	             0, "a batch is over-allocated");
	cr_assert_eq(value("SELECT count(*) FROM allocations a WHERE NOT EXISTS"
	                   " (SELECT 1 FROM batches b WHERE b.ref = a.batchref"
	                   " AND b.sku = a.sku)"),
	             0, "a line's batch is missing or has another sku");
	cr_assert_eq(value("SELECT count(*) FROM ((SELECT orderid, sku, batchref"
	                   " FROM allocations EXCEPT SELECT orderid, sku, batchref"
	                   " FROM allocations_view) UNION ALL (SELECT orderid, sku, batchref"
	                   " FROM allocations_view EXCEPT SELECT orderid, sku, batchref"
	                   " FROM allocations)) d"),
	             0, "allocations_view differs from allocations");
}

static size_t outbox_sent(void (*fn)(const char *payload, void *arg), void *arg)
{
	PGresult *res = PQexec(control, "SELECT payload FROM outbox WHERE sent IS NOT NULL");
	cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQerrorMessage(control));
	for (int r = 0; r < PQntuples(res); r++)
		fn(PQgetvalue(res, r, 0), arg);
	PQclear(res);
	return (size_t)value("SELECT count(*) FROM outbox");
}

static const struct oom_store_adapter pg_adapter = {"postgres",  reset,      reset_empty,
                                                    open_store,  read_state, check_invariants,
                                                    outbox_sent, pg_errors};

static void read_base(void)
{
	const char *file = getenv("LA_TEST_PG_CONNINFO_FILE");
	const char *direct = getenv("LA_TEST_PG_CONNINFO");
	if (direct) {
		snprintf(base, sizeof base, "%s", direct);
		return;
	}
	cr_assert_not_null(file, "no PostgreSQL server: run through ctest (fixture "
	                         "postgres_server) or set LA_TEST_PG_CONNINFO");
	FILE *f = fopen(file, "r");
	cr_assert_not_null(f, "%s", file);
	cr_assert_not_null(fgets(base, sizeof base, f));
	(void)fclose(f); /* read only */
	base[strcspn(base, "\r\n")] = '\0';
}

/* A template schema filled through the store, an empty work schema (the
 * store creates its tables), and the control connection on it. */
static void prepare(void)
{
	read_base();
	snprintf(template_schema, sizeof template_schema, "oom_tmpl_%ld", (long)getpid());
	snprintf(work_schema, sizeof work_schema, "oom_work_%ld", (long)getpid());
	control = PQconnectdb(base);
	cr_assert_eq(PQstatus(control), CONNECTION_OK, "%s", PQerrorMessage(control));
	exec_ok("SET client_min_messages = warning");
	char sql[512];
	snprintf(sql, sizeof sql,
	         "DROP SCHEMA IF EXISTS %1$s CASCADE; CREATE SCHEMA %1$s;"
	         "DROP SCHEMA IF EXISTS %2$s CASCADE; CREATE SCHEMA %2$s",
	         template_schema, work_schema);
	exec_ok(sql);
	la_store *store = NULL;
	cr_assert_eq(open_on(&store, template_schema, LA_STORE_OUTBOX), LA_OK, "%s",
	             la_error_last());
	oom_store_prepare(store);
	la_store_free(store);
	cr_assert_eq(open_on(&store, work_schema, LA_STORE_OUTBOX), LA_OK, "%s", la_error_last());
	la_store_free(store);
	snprintf(sql, sizeof sql, "SET search_path = %s", work_schema);
	exec_ok(sql);
}

static void finish(void)
{
	char sql[256];
	snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE; DROP SCHEMA %s CASCADE", template_schema,
	         work_schema);
	exec_ok(sql);
	/* the files the sweep made are synced now, while other tests run, not
	 * when the fixture stops the server at the end of the whole run */
	exec_ok("CHECKPOINT");
	PQfinish(control);
}

TestSuite(oom_postgres, .init = prepare, .fini = finish);

Test(oom_postgres, commands)
{
	oom_store_sweep_commands(&pg_adapter);
}

Test(oom_postgres, holds_and_backorders)
{
	oom_store_sweep_holds(&pg_adapter);
}

Test(oom_postgres, views)
{
	oom_store_sweep_views(&pg_adapter);
}

Test(oom_postgres, outbox_relay)
{
	oom_store_sweep_relay(&pg_adapter);
}

Test(oom_postgres, open_existing_schema)
{
	oom_store_sweep_open(&pg_adapter, 0);
}

Test(oom_postgres, open_empty_schema)
{
	oom_store_sweep_open(&pg_adapter, 1);
}
