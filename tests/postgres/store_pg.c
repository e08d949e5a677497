/*
 * store_factory.h for PostgreSQL: each test_store_open makes a new schema
 * (CREATE SCHEMA is fast; a database per store would cost a file copy) and
 * opens the store with search_path set to it, so tests share one server and
 * still run in parallel without seeing each other's data.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <allocation/postgres.h>

#include "pg_test.h"

struct opened {
	la_store *store;
	char conninfo[512];
	char schema[64];
	char app[64];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct opened opened[256];
static size_t opened_count;
static unsigned counter;
static char base[400];

const char *test_pg_base_conninfo(void)
{
	pthread_mutex_lock(&lock);
	if (!base[0]) {
		const char *direct = getenv("LA_TEST_PG_CONNINFO");
		const char *file = getenv("LA_TEST_PG_CONNINFO_FILE");
		if (direct) {
			snprintf(base, sizeof base, "%s", direct);
		} else if (file) {
			FILE *f = fopen(file, "r");
			if (f) {
				if (fgets(base, sizeof base, f))
					base[strcspn(base, "\r\n")] = '\0';
				(void)fclose(f); /* read only */
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return base[0] ? base : NULL;
}

const char *test_store_name(void)
{
	return "postgres";
}

static struct opened *find(la_store *store)
{
	/* newest first: a freed store's address may be reused */
	for (size_t i = opened_count; i-- > 0;)
		if (opened[i].store == store)
			return &opened[i];
	return NULL;
}

/* Record a store opened on schema; its slot, or NULL when full. */
static int open_on(la_store **out, const char *schema, unsigned int flags)
{
	char conninfo[512], app[64];
	pthread_mutex_lock(&lock);
	unsigned n = ++counter;
	pthread_mutex_unlock(&lock);
	snprintf(app, sizeof app, "%s_c%u", schema, n);
	snprintf(conninfo, sizeof conninfo, "%s application_name=%s options='-csearch_path=%s'",
	         base, app, schema);
	int rc = la_pg_store_open(out, conninfo, flags);
	if (rc != LA_OK)
		return rc;
	pthread_mutex_lock(&lock);
	if (opened_count < sizeof opened / sizeof opened[0]) {
		struct opened *o = &opened[opened_count++];
		o->store = *out;
		snprintf(o->conninfo, sizeof o->conninfo, "%s", conninfo);
		snprintf(o->schema, sizeof o->schema, "%s", schema);
		snprintf(o->app, sizeof o->app, "%s", app);
	}
	pthread_mutex_unlock(&lock);
	return LA_OK;
}

int test_pg_store_open(la_store **out, unsigned int flags)
{
	*out = NULL;
	if (!test_pg_base_conninfo()) {
		fprintf(stderr, "no PostgreSQL server: set LA_TEST_PG_CONNINFO_FILE (the CTest "
		                "fixture postgres_server writes one; run `ctest -L postgres`)\n");
		return LA_EUNSUPPORTED;
	}
	PGconn *conn = PQconnectdb(base);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to %s: %s", base, PQerrorMessage(conn));
		PQfinish(conn);
		return LA_EDB;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&lock);
	unsigned n = ++counter;
	pthread_mutex_unlock(&lock);
	char schema[64], sql[128];
	snprintf(schema, sizeof schema, "t%ld_%u_%ld", (long)getpid(), n,
	         (long)(ts.tv_nsec % 100000));
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
	int failed = test_pg_exec(conn, sql);
	PQfinish(conn);
	if (failed)
		return LA_EDB;
	return open_on(out, schema, flags);
}

int test_store_open(la_store **out)
{
	return test_pg_store_open(out, 0);
}

int test_pg_store_reopen(la_store **out, la_store *store, unsigned int flags)
{
	*out = NULL;
	pthread_mutex_lock(&lock);
	struct opened *o = find(store);
	char schema[64] = "";
	if (o)
		snprintf(schema, sizeof schema, "%s", o->schema);
	pthread_mutex_unlock(&lock);
	if (!schema[0])
		return LA_EINVAL;
	return open_on(out, schema, flags);
}

int test_store_reopen(la_store **out, la_store *store)
{
	return test_pg_store_reopen(out, store, la_store_has_outbox(store) ? LA_STORE_OUTBOX : 0);
}

const char *test_pg_conninfo(la_store *store)
{
	pthread_mutex_lock(&lock);
	struct opened *o = find(store);
	pthread_mutex_unlock(&lock);
	return o ? o->conninfo : NULL;
}

const char *test_pg_app_name(la_store *store)
{
	pthread_mutex_lock(&lock);
	struct opened *o = find(store);
	pthread_mutex_unlock(&lock);
	return o ? o->app : NULL;
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

PGconn *test_pg_connect(la_store *store)
{
	pthread_mutex_lock(&lock);
	struct opened *o = find(store);
	char conninfo[600];
	if (o)
		snprintf(conninfo, sizeof conninfo, "%s options='-csearch_path=%s'", base,
		         o->schema);
	pthread_mutex_unlock(&lock);
	if (!o)
		return NULL;
	PGconn *conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

long long test_pg_value(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long long value = -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) >= 1 &&
	    !PQgetisnull(res, 0, 0))
		value = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return value;
}

int test_pg_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int failed =
	    PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK;
	if (failed)
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return failed;
}
