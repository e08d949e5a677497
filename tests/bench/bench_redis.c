/*
 * bench_redis — external events over Redis, measured (issue 6):
 *
 *  1. round trip: publish change_batch_quantity, receive the line_allocated
 *     that the reallocation causes (consumer → bus → SQLite commit with the
 *     outbox → relay → Redis); p50/p99 over N round trips;
 *  2. relay throughput: messages/s published from a full outbox.
 *
 *   bench_redis REDIS_URL [pubsub|streams] [ROUNDS] [RELAY_MESSAGES] [STORE]
 *
 * tests/bench/bench_redis.sh starts a throwaway redis-server and runs both
 * modes. The store is a SQLite file in a temporary directory (durability
 * normal) or, when STORE is given, that PostgreSQL database (a conninfo or
 * postgresql:// URL); one connection per thread, as allocation-server does.
 * Names carry the process id, so runs can share a database.
 */
#define _POSIX_C_SOURCE 200809L
#include <allocation/allocation.h>
#include <allocation/redis.h>
#include <allocation/sqlite.h>
#ifdef BENCH_WITH_PG
#include <allocation/postgres.h>
#endif

#include <hiredis/hiredis.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_redis: %s: %s\n", what, la_error_last());
	_Exit(1); /* _Exit: a failure may be on any thread */
}

static void check(int rc, const char *what)
{
	if (rc != LA_OK)
		die(what);
}

static void create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty,
                         const char *eta)
{
	la_message *m = NULL;

	check(la_command_create_batch(&m, ref, sku, qty, eta), "create batch");
	check(la_bus_handle(bus, m), "create batch");
	la_message_free(m);
}

static void allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;

	check(la_command_allocate(&m, orderid, sku, qty), "allocate");
	check(la_bus_handle(bus, m), "allocate");
	la_message_free(m);
}

static la_store *open_store(const char *url)
{
	la_store *store = NULL;

	if (strncmp(url, "sqlite:", 7) == 0) {
		check(la_sqlite_store_open(&store, url, LA_STORE_OUTBOX), "open the store");
		return store;
	}
#ifdef BENCH_WITH_PG
	check(la_pg_store_open(&store, url, LA_STORE_OUTBOX), "open the store");
#else
	fprintf(stderr, "bench_redis: built without PostgreSQL support\n");
	exit(2);
#endif
	return store;
}

static redisContext *connect_url(const char *url)
{
	char host[256] = "127.0.0.1";
	int port = 6379;
	redisContext *c;

	/* redis://HOST[:PORT] */
	const char *rest = strncmp(url, "redis://", 8) == 0 ? url + 8 : NULL;
	size_t host_len = rest ? strcspn(rest, ":/") : 0;
	if (!rest || host_len == 0 || host_len >= sizeof host) {
		fprintf(stderr, "bench_redis: use a redis://host:port URL\n");
		_Exit(2);
	}
	memcpy(host, rest, host_len);
	host[host_len] = '\0';
	if (rest[host_len] == ':')
		port = (int)strtol(rest + host_len + 1, NULL, 10);
	c = redisConnect(host, port);
	if (!c || c->err) {
		fprintf(stderr, "bench_redis: cannot connect to %s\n", url);
		_Exit(1);
	}
	return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, const char *a, const char *b)
{
	redisReply *r = redisCommand(c, fmt, a, b);

	if (!r) {
		fprintf(stderr, "bench_redis: Redis: %s\n", c->errstr);
		_Exit(1);
	}
	return r;
}

/* ---- threads ---- */

static void *consumer_main(void *arg)
{
	if (la_redis_consumer_run(arg) != LA_OK)
		die("consumer");
	return NULL;
}

static void *relay_main(void *arg)
{
	if (la_redis_relay_run(arg) != LA_OK)
		die("relay");
	return NULL;
}

/* ---- waiting for line_allocated ---- */

typedef struct listener {
	redisContext *c;
	int streams;
	char last_id[64];
} listener;

/* Wait for the line_allocated message naming orderid; 0 on timeout. */
static int wait_allocated(listener *l, const char *orderid)
{
	char needle[300];
	double deadline = now_s() + 5;

	snprintf(needle, sizeof(needle), "\"orderid\":\"%s\"", orderid);
	while (now_s() < deadline) {
		redisReply *r;
		int found = 0;

		if (l->streams) {
			r = cmd(l->c, "XREAD COUNT 100 BLOCK 1000 STREAMS line_allocated %s",
			        l->last_id, NULL);
			if (r->type == REDIS_REPLY_ARRAY) {
				redisReply *entries = r->element[0]->element[1];

				for (size_t i = 0; i < entries->elements; i++) {
					redisReply *e = entries->element[i];

					snprintf(l->last_id, sizeof(l->last_id), "%s",
					         e->element[0]->str);
					if (strstr(e->element[1]->element[3]->str, needle))
						found = 1;
				}
			}
		} else {
			void *reply = NULL;

			if (redisGetReply(l->c, &reply) != REDIS_OK) {
				fprintf(stderr, "bench_redis: subscriber: %s\n", l->c->errstr);
				_Exit(1);
			}
			r = reply;
			if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
			    strstr(r->element[2]->str, needle))
				found = 1;
		}
		freeReplyObject(r);
		if (found)
			return 1;
	}
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- the benchmark ---- */

int main(int argc, char **argv)
{
	const char *url = argc > 1 ? argv[1] : NULL;
	int streams = argc > 2 && strcmp(argv[2], "streams") == 0;
	int mode = streams ? LA_REDIS_STREAMS : LA_REDIS_PUBSUB;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 1000;
	int relay_n = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 20000;
	const char *store_url = argc > 5 ? argv[5] : NULL;
	int tag = (int)getpid();
	char dir[] = "/tmp/bench-redis-XXXXXX", db[300], ref[64], sku[64], order[64], json[200];
	la_store *setup_store, *consumer_store, *relay_store;
	la_bus *setup_bus, *consumer_bus;
	la_redis_consumer *consumer;
	la_redis_relay *relay;
	pthread_t consumer_thread, relay_thread;
	redisContext *pub;
	listener l = {NULL, streams, "0-0"};
	double *lat, t0, total = 0;
	size_t sent = 0;

	if (!url || rounds <= 0 || relay_n <= 0) {
		fprintf(stderr, "usage: bench_redis REDIS_URL [pubsub|streams] [ROUNDS] "
		                "[RELAY_MESSAGES]\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (store_url)
		snprintf(db, sizeof(db), "%s", store_url);
	else
		snprintf(db, sizeof(db), "sqlite:%s/bench.db", dir);
	setup_store = open_store(db);
	consumer_store = open_store(db);
	relay_store = open_store(db);
	check(la_bus_new(&setup_bus, setup_store, NULL), "bus");
	check(la_bus_new(&consumer_bus, consumer_store, NULL), "bus");
	check(la_redis_consumer_new(&consumer, url, mode, consumer_bus), "consumer");
	check(la_redis_relay_new(&relay, url, mode, relay_store), "relay");
	la_redis_consumer_set_relay(consumer, relay);
	pub = connect_url(url);
	freeReplyObject(cmd(pub, "DEL line_allocated change_batch_quantity", NULL, NULL));
	freeReplyObject(cmd(pub, "DEL allocation:processed:allocation", NULL, NULL));

	/* one product per round trip: line o_i on A_i, which then shrinks to 5 */
	printf("bench_redis: %s, %d round trips, relay of %d messages, store %s\n",
	       streams ? "streams" : "pub/sub", rounds, relay_n, db);
	for (int i = 0; i < rounds; i++) {
		snprintf(sku, sizeof(sku), "SKU-%d-%d", tag, i);
		snprintf(ref, sizeof(ref), "A-%d-%d", tag, i);
		create_batch(setup_bus, ref, sku, 10, "2011-01-01");
		snprintf(ref, sizeof(ref), "B-%d-%d", tag, i);
		create_batch(setup_bus, ref, sku, 10, "2011-01-02");
		snprintf(order, sizeof(order), "o-%d-%d", tag, i);
		allocate(setup_bus, order, sku, 10);
	}
	check(la_redis_relay_flush(relay, &sent), "flush the set-up's events");

	pthread_create(&relay_thread, NULL, relay_main, relay);
	pthread_create(&consumer_thread, NULL, consumer_main, consumer);
	l.c = connect_url(url);
	if (!streams) {
		freeReplyObject(cmd(l.c, "SUBSCRIBE line_allocated", NULL, NULL));
	} else { /* read after what the set-up published */
		redisReply *r = cmd(pub, "XREVRANGE line_allocated + - COUNT 1", NULL, NULL);

		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
			snprintf(l.last_id, sizeof(l.last_id), "%s",
			         r->element[0]->element[0]->str);
		freeReplyObject(r);
	}
	for (int tries = 0;; tries++) { /* until the consumer listens */
		redisReply *r = streams
		                    ? cmd(pub, "XINFO GROUPS change_batch_quantity", NULL, NULL)
		                    : cmd(pub, "PUBSUB NUMSUB change_batch_quantity", NULL, NULL);
		int ready = streams ? r->type == REDIS_REPLY_ARRAY && r->elements > 0
		                    : r->element[1]->integer > 0;

		freeReplyObject(r);
		if (ready)
			break;
		if (tries > 500)
			die("the consumer did not start");
		nanosleep(&(struct timespec){0, 10000000L}, NULL);
	}

	lat = calloc((size_t)rounds, sizeof(*lat));
	for (int i = 0; i < rounds; i++) {
		snprintf(ref, sizeof(ref), "A-%d-%d", tag, i);
		snprintf(order, sizeof(order), "o-%d-%d", tag, i);
		snprintf(json, sizeof(json), "{\"batchref\":\"%s\",\"qty\":5}", ref);
		t0 = now_s();
		freeReplyObject(streams
		                    ? cmd(pub, "XADD change_batch_quantity * json %s", json, NULL)
		                    : cmd(pub, "PUBLISH change_batch_quantity %s", json, NULL));
		if (!wait_allocated(&l, order)) {
			fprintf(stderr, "bench_redis: no line_allocated for %s\n", order);
			free(lat);
			return 1;
		}
		lat[i] = (now_s() - t0) * 1e3;
		total += lat[i];
	}
	qsort(lat, (size_t)rounds, sizeof(*lat), by_value);
	printf("  round trip change_batch_quantity -> line_allocated (ms): p50 %.3f  p99 %.3f  "
	       "mean %.3f  max %.3f\n",
	       lat[rounds / 2], lat[(size_t)((rounds - 1) * 0.99)], total / rounds,
	       lat[rounds - 1]);

	la_redis_consumer_stop(consumer);
	la_redis_relay_stop(relay);
	pthread_join(consumer_thread, NULL);
	pthread_join(relay_thread, NULL);

	/* relay throughput: fill the outbox with the relay stopped, then drain it */
	snprintf(ref, sizeof(ref), "RELAY-%d", tag);
	snprintf(sku, sizeof(sku), "RELAY-SKU-%d", tag);
	create_batch(setup_bus, ref, sku, relay_n, NULL);
	for (int i = 0; i < relay_n; i++) {
		snprintf(order, sizeof(order), "r-%d-%d", tag, i);
		allocate(setup_bus, order, sku, 1);
	}
	t0 = now_s();
	check(la_redis_relay_flush(relay, &sent), "relay flush");
	t0 = now_s() - t0;
	printf("  relay: %zu messages in %.3f s = %.0f messages/s\n", sent, t0, (double)sent / t0);

	free(lat);
	redisFree(l.c);
	redisFree(pub);
	la_redis_consumer_free(consumer);
	la_redis_relay_free(relay);
	la_bus_free(setup_bus);
	la_bus_free(consumer_bus);
	la_store_free(setup_store);
	la_store_free(consumer_store);
	la_store_free(relay_store);
	snprintf(json, sizeof(json), "rm -rf '%s'", dir);
	if (system(json) != 0)
		fprintf(stderr, "bench_redis: could not remove %s\n", dir);
	return 0;
}
