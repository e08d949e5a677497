/*
 * Out-of-memory sweep of liballocation-redis: la_redis_new, la_redis_publish
 * (both modes; an outbox message with its id and one without), the relay
 * (new, flush, run) over a SQLite outbox, and the consumer (new, set_group,
 * run in both modes), with their N-th allocation failing, for every N, in
 * the adapter, hiredis, jansson or the store under the bus. Each test runs
 * its own redis-server.
 *
 * What must hold: a clean error or LA_OK; nothing published without an id;
 * what a call reports published is published; a relay leaves nothing
 * behind that the next one does not send; a streams consumer never loses
 * an entry (one it could not apply is applied by the next run), and a
 * pub/sub consumer takes the next message.
 */
#include <allocation/allocation.h>
#include <allocation/redis.h>
#include <allocation/sqlite.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../redis/redis_test_support.h"
#include "../sqlite/sqlite_test_support.h"
#include "fault_alloc.h"
#include "oom_sweep.h"

static const int redis_errors[] = {LA_ENOMEM, LA_EIO, 0};

static test_redis_private *server;
static const char *url;

static void print_log(int level, const char *line, void *payload)
{
	(void)payload;
	fprintf(stderr, "log %d: %s\n", level, line);
}

static void start_server(void)
{
	if (getenv("FAULT_ALLOC_DEBUG"))
		la_set_log_callback(print_log, NULL);
	server = test_redis_private_start();
	url = test_redis_private_url(server);
}

static void stop_server(void)
{
	test_redis_private_remove(server);
}

/* A command on a connection of its own: a connection kept from run to run
 * would keep buffers the leak count takes for the adapter's. */
static redisReply *command(const char *fmt, const char *arg)
{
	redisContext *c = test_redis_connect(url);
	redisReply *r = test_redis_command(c, fmt, arg);
	redisFree(c);
	return r;
}

/* test_wait_until, polling every 2 ms: the sweeps wait thousands of times. */
static int wait_until(int (*cond)(void *), void *arg, int ms)
{
	for (int waited = 0; waited <= ms; waited += 2) {
		if (cond(arg))
			return 1;
		test_sleep_ms(2);
	}
	return cond(arg);
}

static long long subscribers(const char *channel)
{
	redisReply *r = command("PUBSUB NUMSUB %s", channel);
	long long n =
	    r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->integer : -1;
	freeReplyObject(r);
	return n;
}

static int some_subscriber(void *arg)
{
	return subscribers(arg) > 0;
}

static int no_subscriber(void *arg)
{
	return subscribers(arg) == 0;
}

static int wait_subscribers(const char *channel)
{
	return wait_until(some_subscriber, (void *)channel, 3000);
}

static void no_teardown(void *ctx)
{
	(void)ctx;
}

static long long integer(const char *fmt, const char *arg)
{
	redisReply *r = command(fmt, arg);
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	freeReplyObject(r);
	return n;
}

/* ---- la_redis_new ---- */

static la_redis *made;

static void setup_nothing(void *ctx)
{
	(void)ctx;
	made = NULL;
}

static int call_new(void *ctx)
{
	int rc = la_redis_new(&made, *(const char **)ctx, LA_REDIS_STREAMS);
	if (rc != LA_OK)
		cr_assert_null(made);
	return rc;
}

static void check_new(void *ctx, int rc, int fired)
{
	(void)ctx, (void)rc, (void)fired;
	la_redis_free(made);
}

Test(oom_redis, new_publisher, .init = start_server, .fini = stop_server)
{
	const char *with_password = "redis://:secret@127.0.0.1:6399/3";
	const struct oom_step steps[] = {
	    {"la_redis_new", setup_nothing, call_new, check_new, no_teardown, redis_errors},
	    {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, &url);
	oom_sweep_all("redis, password in the URL", steps, &with_password);
}

/* ---- la_redis_publish ---- */

struct publish {
	int mode;
	int connected; /* publish once first, so the call finds a connection */
	const char *json;
	la_redis *r;
	redisContext *subscriber; /* pub/sub: the test listens */
	char channel[64];
	int sent; /* messages the clean runs saw published */
};

static void setup_publish(void *ctx)
{
	struct publish *p = ctx;
	if (p->mode == LA_REDIS_PUBSUB) {
		p->subscriber = test_redis_connect(url);
		freeReplyObject(test_redis_command(p->subscriber, "SUBSCRIBE %s", p->channel));
	}
	cr_assert_eq(la_redis_new(&p->r, url, p->mode), LA_OK);
	freeReplyObject(command("DEL %s", p->channel));
	if (p->connected) {
		cr_assert_eq(la_redis_publish(p->channel, "{\"id\":\"warm\"}", p->r), LA_OK, "%s",
		             la_error_last());
		if (p->subscriber)
			free(test_redis_next_message(p->subscriber, 2000));
		freeReplyObject(command("DEL %s", p->channel));
	}
}

static int call_publish(void *ctx)
{
	struct publish *p = ctx;
	return la_redis_publish(p->channel, p->json, p->r);
}

/* What was published: at most one message, the one sent, with an id. */
static void check_published(struct publish *p, int rc, const char *json)
{
	if (!json) {
		cr_assert_neq(rc, LA_OK, "allocation %llu failing: LA_OK, but nothing published",
		              oom_sweep_failing());
		return;
	}
	cr_assert(strstr(json, "\"id\""),
	          "allocation %llu failing (%s): published without an id: %s", oom_sweep_failing(),
	          oom_sweep_outcome(), json);
	cr_assert(strstr(json, "\"orderid\":\"o1\"") || strstr(json, "\"orderid\": \"o1\""),
	          "published %s", json);
}

static void check_publish(void *ctx, int rc, int fired)
{
	(void)fired;
	struct publish *p = ctx;
	char *json = NULL;
	if (p->mode == LA_REDIS_PUBSUB) {
		/* published or not: wait long only when it must have been */
		json = test_redis_next_message(p->subscriber, rc == LA_OK ? 2000 : 50);
		char *more = test_redis_next_message(p->subscriber, 0);
		cr_assert_null(more, "published twice: %s", more);
	} else {
		cr_assert_leq(integer("XLEN %s", p->channel), 1, "appended twice");
		redisReply *r = command("XRANGE %s - +", p->channel);
		if (r->elements == 1) {
			const redisReply *fields = r->element[0]->element[1];
			for (size_t i = 0; i + 1 < fields->elements; i += 2)
				if (!json && strcmp(fields->element[i]->str, "json") == 0)
					json = strdup(fields->element[i + 1]->str);
			cr_assert_not_null(json);
			cr_assert_str_eq(fields->element[0]->str, "id", "an entry without its id");
			cr_assert_gt(strlen(fields->element[1]->str), 0,
			             "an entry with an empty id");
		}
		freeReplyObject(r);
	}
	check_published(p, rc, json);
	free(json);
	/* the next message goes out on the same publisher */
	cr_assert_eq(la_redis_publish(p->channel, "{\"id\":\"next\"}", p->r), LA_OK, "next: %s",
	             la_error_last());
	if (p->subscriber) {
		json = test_redis_next_message(p->subscriber, 2000);
		cr_assert(json && strstr(json, "next"), "the next message did not arrive");
		free(json);
	}
}

static void teardown_publish(void *ctx)
{
	struct publish *p = ctx;
	la_redis_free(p->r);
	p->r = NULL;
	if (p->subscriber)
		redisFree(p->subscriber);
	p->subscriber = NULL;
}

static void sweep_publish(const char *name, int mode, int connected, const char *json)
{
	struct publish p = {mode, connected, json, NULL, NULL, "oom_channel", 0};
	const struct oom_step steps[] = {
	    {name, setup_publish, call_publish, check_publish, teardown_publish, redis_errors},
	    {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, &p);
}

#define OUTBOX_MESSAGE                                                                             \
	"{\"id\":\"0123-1\",\"orderid\":\"o1\",\"sku\":\"CHAIR\",\"qty\":1,\"batchref\":\"b1\"}"
#define BARE_MESSAGE "{\"orderid\":\"o1\",\"sku\":\"CHAIR\",\"qty\":1,\"batchref\":\"b1\"}"

Test(oom_redis, publish_pubsub, .init = start_server, .fini = stop_server)
{
	sweep_publish("publish pub/sub, connecting", LA_REDIS_PUBSUB, 0, OUTBOX_MESSAGE);
	sweep_publish("publish pub/sub", LA_REDIS_PUBSUB, 1, OUTBOX_MESSAGE);
	sweep_publish("publish pub/sub, no id", LA_REDIS_PUBSUB, 1, BARE_MESSAGE);
}

Test(oom_redis, publish_streams, .init = start_server, .fini = stop_server)
{
	sweep_publish("publish streams, connecting", LA_REDIS_STREAMS, 0, OUTBOX_MESSAGE);
	sweep_publish("publish streams", LA_REDIS_STREAMS, 1, OUTBOX_MESSAGE);
	sweep_publish("publish streams, no id", LA_REDIS_STREAMS, 1, BARE_MESSAGE);
}

/* ---- the relay, over a SQLite store with three outbox rows ---- */

struct relay {
	char template_path[512], path[512];
	la_store *store;
	la_redis_relay *relay;
	pthread_t thread;
	int rc;
	uint64_t fail_at, calls;
	int fired;
};

static void relay_prepare(struct relay *r)
{
	snprintf(r->template_path, sizeof r->template_path, "%s", sqlt_path("relay-template"));
	snprintf(r->path, sizeof r->path, "%s", sqlt_path("relay"));
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, r->template_path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "CHAIR", 50, NULL);
	for (int i = 1; i <= 3; i++) {
		char orderid[8];
		snprintf(orderid, sizeof orderid, "o%d", i);
		cr_assert_eq(sqlt_allocate(bus, orderid, "CHAIR", 1, NULL, 0), LA_OK);
	}
	la_bus_free(bus);
	la_store_free(store);
}

static void relay_reset(struct relay *r)
{
	size_t size;
	char *data = sqlt_read_file(r->template_path, &size);
	FILE *out = fopen(r->path, "wb");
	cr_assert_not_null(out);
	cr_assert_eq(fwrite(data, 1, size, out), size);
	cr_assert_eq(fclose(out), 0);
	free(data);
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", r->path);
	unlink(wal);
	freeReplyObject(command("DEL %s", "line_allocated"));
	cr_assert_eq(la_sqlite_store_open(&r->store, r->path, LA_STORE_OUTBOX), LA_OK);
}

/* Each row published (once or more: at least once), every row sent. */
static void expect_all_published(struct relay *r)
{
	sqlite3 *db = sqlt_raw(r->path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM outbox WHERE sent IS NULL"), 0,
	             "rows left unsent");
	sqlite3_close(db);
	redisReply *x = command("XRANGE %s - +", "line_allocated");
	int seen[4] = {0};
	for (size_t i = 0; i < x->elements; i++) {
		const redisReply *f = x->element[i]->element[1];
		for (int o = 1; o <= 3; o++) {
			char needle[32];
			snprintf(needle, sizeof needle, "\"orderid\":\"o%d\"", o);
			if (strstr(f->element[3]->str, needle))
				seen[o]++;
		}
	}
	freeReplyObject(x);
	for (int o = 1; o <= 3; o++)
		cr_assert_geq(seen[o], 1, "o%d's event was never published", o);
}

static void setup_relay_new(void *ctx)
{
	struct relay *r = ctx;
	relay_reset(r);
	r->relay = NULL;
}

static int call_relay_new(void *ctx)
{
	struct relay *r = ctx;
	int rc = la_redis_relay_new(&r->relay, url, LA_REDIS_STREAMS, r->store);
	if (rc != LA_OK)
		cr_assert_null(r->relay);
	return rc;
}

static void check_relay_new(void *ctx, int rc, int fired)
{
	(void)fired;
	struct relay *r = ctx;
	if (rc != LA_OK)
		cr_assert_eq(la_redis_relay_new(&r->relay, url, LA_REDIS_STREAMS, r->store), LA_OK);
	size_t sent = 0;
	cr_assert_eq(la_redis_relay_flush(r->relay, &sent), LA_OK, "%s", la_error_last());
	expect_all_published(r);
}

static void teardown_relay(void *ctx)
{
	struct relay *r = ctx;
	la_redis_relay_free(r->relay);
	la_store_free(r->store);
	r->relay = NULL;
	r->store = NULL;
}

static void setup_relay(void *ctx)
{
	struct relay *r = ctx;
	relay_reset(r);
	cr_assert_eq(la_redis_relay_new(&r->relay, url, LA_REDIS_STREAMS, r->store), LA_OK);
}

static int call_relay_flush(void *ctx)
{
	struct relay *r = ctx;
	size_t sent = 0;
	int rc = la_redis_relay_flush(r->relay, &sent);
	if (rc == LA_OK)
		cr_assert_eq(sent, 3);
	return rc;
}

/* At least once: what the failed flush left, the next one sends. */
static void check_relay_flush(void *ctx, int rc, int fired)
{
	(void)fired;
	struct relay *r = ctx;
	if (rc != LA_OK) {
		size_t sent = 0;
		cr_assert_eq(la_redis_relay_flush(r->relay, &sent), LA_OK, "the next flush: %s",
		             la_error_last());
	}
	expect_all_published(r);
}

/* la_redis_relay_run in a thread that arms its own failure: stopped once
 * everything is published (or after a while: a failed publish is retried
 * after a pause). */
static void *relay_main(void *arg)
{
	struct relay *r = arg;
	fault_alloc_arm(r->fail_at);
	r->rc = la_redis_relay_run(r->relay);
	r->calls = fault_alloc_disarm();
	r->fired = fault_alloc_fired();
	return NULL;
}

static int all_sent(void *arg)
{
	struct relay *r = arg;
	uint64_t published = 0;
	la_redis_relay_stats(r->relay, &published, NULL);
	return published >= 3;
}

static int call_relay_run(void *ctx)
{
	struct relay *r = ctx;
	r->fail_at = fault_alloc_hand_over();
	cr_assert_eq(pthread_create(&r->thread, NULL, relay_main, r), 0);
	wait_until(all_sent, r, 5000);
	la_redis_relay_stop(r->relay);
	pthread_join(r->thread, NULL);
	fault_alloc_take_back(r->calls, r->fired);
	return r->rc;
}

static void check_relay_run(void *ctx, int rc, int fired)
{
	(void)fired;
	struct relay *r = ctx;
	cr_assert_eq(rc, LA_OK, "run: %s", la_error_last());
	check_relay_flush(ctx, LA_EIO, 0); /* flush what it may have left */
	(void)r;
}

Test(oom_redis, relay, .init = start_server, .fini = stop_server)
{
	struct relay r = {0};
	relay_prepare(&r);
	const struct oom_step steps[] = {{"la_redis_relay_new", setup_relay_new, call_relay_new,
	                                  check_relay_new, teardown_relay, redis_errors},
	                                 {"la_redis_relay_flush", setup_relay, call_relay_flush,
	                                  check_relay_flush, teardown_relay, redis_errors},
	                                 {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, &r);
}

Test(oom_redis, relay_run, .init = start_server, .fini = stop_server)
{
	struct relay r = {0};
	relay_prepare(&r);
	const struct oom_step steps[] = {{"la_redis_relay_run", setup_relay, call_relay_run,
	                                  check_relay_run, teardown_relay, redis_errors},
	                                 {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, &r);
}

/* ---- the consumer, over a SQLite store with batch b1 of CHAIR ---- */

struct consumer {
	int mode;
	struct relay data; /* the store's files (the outbox is not used) */
	la_bus *bus;
	la_redis_consumer *c;
	pthread_t thread;
	uint64_t fail_at, calls;
	int fired, rc;
};

static void *consumer_main(void *arg)
{
	struct consumer *k = arg;
	fault_alloc_arm(k->fail_at);
	k->rc = la_redis_consumer_run(k->c);
	k->calls = fault_alloc_disarm();
	k->fired = fault_alloc_fired();
	return NULL;
}

static long long allocated(struct consumer *k, const char *orderid)
{
	sqlite3 *db = sqlt_raw(k->data.path);
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM allocations WHERE orderid = '%s'", orderid);
	long long n = sqlt_int(db, sql);
	sqlite3_close(db);
	return n;
}

struct wait_for {
	struct consumer *k;
	const char *orderid;
};

static int is_allocated(void *arg)
{
	struct wait_for *w = arg;
	return allocated(w->k, w->orderid) > 0;
}

static void send_command(struct consumer *k, const char *id, const char *orderid)
{
	char json[160];
	snprintf(json, sizeof json,
	         "{\"id\":\"%s\",\"orderid\":\"%s\",\"sku\":\"CHAIR\",\"qty\":1}", id, orderid);
	if (k->mode == LA_REDIS_STREAMS) {
		freeReplyObject(command("XADD allocation_required * json %s", json));
	} else {
		cr_assert(wait_subscribers("allocation_required"), "the consumer never subscribed");
		freeReplyObject(command("PUBLISH allocation_required %s", json));
	}
}

static void setup_consumer(void *ctx)
{
	struct consumer *k = ctx;
	relay_reset(&k->data);
	freeReplyObject(command("FLUSHALL", NULL));
	cr_assert_eq(la_bus_new(&k->bus, k->data.store, NULL), LA_OK);
	cr_assert_eq(la_redis_consumer_new(&k->c, url, k->mode, k->bus), LA_OK);
	if (k->mode == LA_REDIS_STREAMS)
		send_command(k, "m1", "c1");
}

/* Run until c1 is allocated (or a while has passed), then stop. */
static int run_consumer(struct consumer *k, uint64_t fail_at)
{
	k->fail_at = fail_at;
	cr_assert_eq(pthread_create(&k->thread, NULL, consumer_main, k), 0);
	if (k->mode == LA_REDIS_PUBSUB)
		send_command(k, "m1", "c1");
	struct wait_for w = {k, "c1"};
	wait_until(is_allocated, &w, fail_at ? 250 : 5000);
	la_redis_consumer_stop(k->c);
	pthread_join(k->thread, NULL);
	return k->rc;
}

static int call_consumer(void *ctx)
{
	struct consumer *k = ctx;
	int rc = run_consumer(k, fault_alloc_hand_over());
	fault_alloc_take_back(k->calls, k->fired);
	return rc;
}

/* The consumer again, not failing: a streams entry it could not apply is
 * applied now (never lost), the next message too, and each once. */
static void check_consumer(void *ctx, int rc, int fired)
{
	(void)fired;
	struct consumer *k = ctx;
	cr_assert_eq(rc, LA_OK, "run: %s", la_error_last());
	if (k->mode == LA_REDIS_STREAMS)
		send_command(k, "m2", "c2");
	else /* the stopped consumer's subscription is gone: the next one counts */
		cr_assert(wait_until(no_subscriber, "allocation_required", 3000));
	k->fail_at = 0; /* now nothing fails */
	cr_assert_eq(pthread_create(&k->thread, NULL, consumer_main, k), 0);
	if (k->mode == LA_REDIS_PUBSUB)
		send_command(k, "m2", "c2");
	struct wait_for w = {k, "c2"};
	if (!wait_until(is_allocated, &w, 5000)) {
		uint64_t applied = 0, malformed = 0, duplicates = 0, failed = 0;
		la_redis_consumer_stop(k->c);
		pthread_join(k->thread, NULL);
		la_redis_consumer_stats(k->c, &applied, &malformed, &duplicates, &failed);
		cr_assert_fail(
		    "allocation %llu failing: the next message was not applied (run: %s; "
		    "applied %llu, malformed %llu, duplicates %llu, failed %llu)",
		    oom_sweep_failing(), la_strerror(k->rc), (unsigned long long)applied,
		    (unsigned long long)malformed, (unsigned long long)duplicates,
		    (unsigned long long)failed);
	}
	w.orderid = "c1";
	int lost = k->mode == LA_REDIS_STREAMS && !wait_until(is_allocated, &w, 3000);
	la_redis_consumer_stop(k->c);
	pthread_join(k->thread, NULL);
	cr_assert_not(lost, "allocation %llu failing: the stream entry was never applied",
	              oom_sweep_failing());
	cr_assert_leq(allocated(k, "c1"), 1);
	sqlt_check_invariants(k->data.path);
}

static void teardown_consumer(void *ctx)
{
	struct consumer *k = ctx;
	la_redis_consumer_free(k->c);
	la_bus_free(k->bus);
	la_store_free(k->data.store);
	k->c = NULL;
	k->bus = NULL;
	k->data.store = NULL;
}

static void sweep_consumer(const char *name, int mode)
{
	struct consumer k = {.mode = mode};
	relay_prepare(&k.data);
	const struct oom_step steps[] = {
	    {name, setup_consumer, call_consumer, check_consumer, teardown_consumer, redis_errors},
	    {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, &k);
}

Test(oom_redis, consumer_streams, .init = start_server, .fini = stop_server)
{
	sweep_consumer("la_redis_consumer_run streams", LA_REDIS_STREAMS);
}

Test(oom_redis, consumer_pubsub, .init = start_server, .fini = stop_server)
{
	sweep_consumer("la_redis_consumer_run pub/sub", LA_REDIS_PUBSUB);
}

/* ---- making a consumer ---- */

static la_redis_consumer *made_consumer;
static la_bus *consumer_bus;
static la_store *consumer_store;

static void setup_consumer_new(void *ctx)
{
	(void)ctx;
	cr_assert_eq(la_memory_store_new(&consumer_store), LA_OK);
	cr_assert_eq(la_bus_new(&consumer_bus, consumer_store, NULL), LA_OK);
	made_consumer = NULL;
}

static int call_consumer_new(void *ctx)
{
	(void)ctx;
	int rc = la_redis_consumer_new(&made_consumer, url, LA_REDIS_STREAMS, consumer_bus);
	if (rc != LA_OK)
		cr_assert_null(made_consumer);
	else
		rc = la_redis_consumer_set_group(made_consumer, "oom-group", "oom-consumer");
	return rc;
}

static void teardown_consumer_new(void *ctx)
{
	(void)ctx;
	la_redis_consumer_free(made_consumer);
	la_bus_free(consumer_bus);
	la_store_free(consumer_store);
}

static void check_nothing(void *ctx, int rc, int fired)
{
	(void)ctx, (void)rc, (void)fired;
}

Test(oom_redis, new_consumer, .init = start_server, .fini = stop_server)
{
	const struct oom_step steps[] = {{"la_redis_consumer_new and set_group", setup_consumer_new,
	                                  call_consumer_new, check_nothing, teardown_consumer_new,
	                                  redis_errors},
	                                 {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all("redis", steps, NULL);
}
