/*
 * PostgreSQL benchmark (issue 4): allocations per second through the bus on
 * liballocation-pg, each client a thread with its own store (connection) and
 * bus, for a fixed time. Modes:
 *   distinct  each client allocates on its own sku
 *   same      every client allocates on one sku (conflicts, retried by the bus)
 * Afterwards it checks that nothing was oversold: the stored lines, the
 * batches' stored figures and the commands' answers agree. Prints one line
 *   RESULT <mode> clients=<n> allocations_per_s=<x> allocations=<n> retries=<n> failed=<n>
 *          consistent=yes|NO p50_ms=<x> p99_ms=<x>
 * (latency of one la_bus_handle, conflicts and their retries included)
 * which tests/bench/bench_pg.sh (the driver that also runs pgbench) parses.
 *
 * usage: bench_pg CONNINFO [clients] [distinct|same] [seconds]
 * Tables go into a new schema bench_<pid> (dropped at the end).
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <allocation/allocation.h>
#include <allocation/postgres.h>

#define MAX_CLIENTS 64
#define STOCK       1000000000LL
#define MAX_SAMPLES (1 << 18) /* latencies kept per client */

struct client {
	la_store *store;
	la_bus *bus;
	int index;
	int same;
	double seconds;
	char conninfo[1024];
	long allocated, failed;
	float *latency_ms; /* one per command, at most MAX_SAMPLES */
	long samples;
	uint64_t retries;
	char error[256];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc != LA_OK) {
		fprintf(stderr, "bench_pg: %s: %s (%s)\n", what, la_error_last(), la_strerror(rc));
		_Exit(1); /* _Exit: a failure may be on any thread */
	}
}

static void sku_of(char *buf, size_t size, const struct client *c)
{
	if (c->same)
		snprintf(buf, size, "BENCH");
	else
		snprintf(buf, size, "BENCH-%d", c->index);
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	la_bus *bus = c->bus;
	char sku[32], orderid[48];
	sku_of(sku, sizeof sku, c);
	double end = now() + c->seconds;
	for (long n = 0; now() < end; n++) {
		la_message *m;
		snprintf(orderid, sizeof orderid, "c%d-%ld", c->index, n);
		check(la_command_allocate(&m, orderid, sku, 1), "command");
		double began = now();
		int rc = la_bus_handle(bus, m);
		if (c->samples < MAX_SAMPLES)
			c->latency_ms[c->samples++] = (float)((now() - began) * 1000.0);
		la_message_free(m);
		if (rc == LA_OK && la_bus_result_batchref(bus)) {
			c->allocated++;
		} else {
			c->failed++;
			snprintf(c->error, sizeof c->error, "%s", la_error_last());
		}
	}
	la_bus_stats(bus, NULL, NULL, &c->retries, NULL);
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Latency percentiles over every client's commands (retries included). */
static void percentiles(const struct client *cs, int clients, double *p50, double *p99)
{
	long total = 0;
	for (int i = 0; i < clients; i++)
		total += cs[i].samples;
	*p50 = *p99 = 0;
	float *all = malloc((size_t)(total ? total : 1) * sizeof *all);
	if (!all || total == 0) {
		free(all);
		return;
	}
	long n = 0;
	for (int i = 0; i < clients; i++)
		for (long j = 0; j < cs[i].samples; j++)
			all[n++] = cs[i].latency_ms[j];
	qsort(all, (size_t)n, sizeof *all, by_value);
	*p50 = all[n / 2];
	*p99 = all[(n * 99) / 100];
	free(all);
}

static PGconn *admin(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "bench_pg: cannot connect: %s", PQerrorMessage(conn));
		_Exit(1);
	}
	return conn;
}

static long long value(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "bench_pg: %s: %s", sql, PQresultErrorMessage(res));
		_Exit(1);
	}
	long long v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static void exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_pg: %s: %s", sql, PQresultErrorMessage(res));
		_Exit(1);
	}
	PQclear(res);
}

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CONNINFO [clients] [distinct|same] [seconds]\n",
		        argv[0]);
		return 2;
	}
	int clients = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1;
	int same = argc > 3 && strcmp(argv[3], "same") == 0;
	double seconds = argc > 4 ? strtod(argv[4], NULL) : 10.0;
	if (clients < 1 || clients > MAX_CLIENTS || seconds <= 0) {
		fprintf(stderr, "bench_pg: 1..%d clients and a positive duration\n", MAX_CLIENTS);
		return 2;
	}
	char schema[64], sql[256];
	snprintf(schema, sizeof schema, "bench_%ld", (long)getpid());
	PGconn *conn = admin(argv[1]);
	PQsetNoticeProcessor(conn, quiet, NULL);
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
	         schema);
	exec(conn, sql);
	snprintf(sql, sizeof sql, "SET search_path = %s", schema);
	exec(conn, sql);

	static struct client cs[MAX_CLIENTS];
	for (int i = 0; i < clients; i++) {
		cs[i] = (struct client){.index = i, .same = same, .seconds = seconds};
		snprintf(cs[i].conninfo, sizeof cs[i].conninfo,
		         "%s application_name=bench_pg options='-csearch_path=%s'", argv[1],
		         schema);
	}
	/* the products, with stock that never runs out */
	la_store *store;
	la_bus *bus;
	check(la_pg_store_open(&store, cs[0].conninfo, 0), "open");
	check(la_bus_new(&bus, store, NULL), "bus");
	for (int i = 0; i < (same ? 1 : clients); i++) {
		char sku[32], ref[48];
		sku_of(sku, sizeof sku, &cs[i]);
		snprintf(ref, sizeof ref, "batch-%s", sku);
		la_message *m;
		check(la_command_create_batch(&m, ref, sku, STOCK, NULL), "command");
		check(la_bus_handle(bus, m), "create batch");
		la_message_free(m);
	}
	la_bus_free(bus);
	la_store_free(store);

	/* connections are made before the clock starts, as pgbench reports
	 * "without initial connection time" */
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.max_retries = 100;
	for (int i = 0; i < clients; i++) {
		check(la_pg_store_open(&cs[i].store, cs[i].conninfo, 0), "open");
		check(la_bus_new(&cs[i].bus, cs[i].store, &opts), "bus");
		cs[i].latency_ms = malloc(MAX_SAMPLES * sizeof *cs[i].latency_ms);
		if (!cs[i].latency_ms) {
			fprintf(stderr, "bench_pg: out of memory\n");
			return 1;
		}
	}
	pthread_t threads[MAX_CLIENTS];
	double start = now();
	for (int i = 0; i < clients; i++)
		pthread_create(&threads[i], NULL, run_client, &cs[i]);
	long allocated = 0, failed = 0;
	uint64_t retries = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(threads[i], NULL);
		allocated += cs[i].allocated;
		failed += cs[i].failed;
		retries += cs[i].retries;
		if (cs[i].failed)
			fprintf(stderr, "bench_pg: client %d: %ld failed, last: %s\n", i,
			        cs[i].failed, cs[i].error);
	}
	double elapsed = now() - start;
	double p50, p99;
	percentiles(cs, clients, &p50, &p99);
	for (int i = 0; i < clients; i++) {
		la_bus_free(cs[i].bus);
		la_store_free(cs[i].store);
		free(cs[i].latency_ms);
	}

	/* no oversell: answers, lines and stored figures agree */
	long long lines = value(conn, "SELECT count(*) FROM allocations");
	long long stored = value(conn, "SELECT coalesce(sum(allocated), 0) FROM batches");
	long long over = value(conn, "SELECT count(*) FROM batches WHERE allocated > purchased");
	long long versions = value(conn, "SELECT coalesce(sum(version_number), 0) FROM products");
	int consistent = lines == allocated && stored == allocated && over == 0 &&
	                 versions == allocated + (same ? 1 : clients);
	printf("RESULT %s clients=%d allocations_per_s=%.1f allocations=%ld retries=%llu "
	       "failed=%ld consistent=%s p50_ms=%.2f p99_ms=%.2f\n",
	       same ? "same" : "distinct", clients, (double)allocated / elapsed, allocated,
	       (unsigned long long)retries, failed, consistent ? "yes" : "NO", p50, p99);
	if (!consistent)
		fprintf(stderr,
		        "bench_pg: INCONSISTENT: %ld answered, %lld lines, %lld stored, %lld "
		        "over-allocated batches, versions %lld\n",
		        allocated, lines, stored, over, versions);
	snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
	exec(conn, sql);
	PQfinish(conn);
	return consistent ? 0 : 1;
}
