/*
 * liballocation-redis against a real redis-server: the publisher, the
 * consumer in both modes (over the in-memory store) and the relay (over an
 * outbox-only test store). The end-to-end scenarios over SQLite and the HTTP
 * server are in test_redis_e2e.py.
 */
#define _POSIX_C_SOURCE 200809L
#include "redis_test_support.h"

#include <allocation/allocation.h>
#include <allocation/redis.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- a consumer running in a thread over a fresh memory store ---- */

typedef struct service {
	la_store *store;
	la_bus *bus;
	la_redis *publisher; /* the memory store has no outbox: the bus publishes */
	la_redis_consumer *consumer;
	pthread_t thread;
	int running;
} service;

static void *consumer_main(void *arg)
{
	service *s = arg;

	cr_assert_eq(la_redis_consumer_run(s->consumer), LA_OK, "%s", la_error_last());
	return NULL;
}

static void service_start(service *s, const char *url, int mode)
{
	la_bus_options opts;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(la_memory_store_new(&s->store), LA_OK);
	cr_assert_eq(la_redis_new(&s->publisher, url, mode), LA_OK);
	la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	opts.publish = la_redis_publish;
	opts.publish_payload = s->publisher;
	cr_assert_eq(la_bus_new(&s->bus, s->store, &opts), LA_OK);
	cr_assert_eq(la_redis_consumer_new(&s->consumer, url, mode, s->bus), LA_OK, "%s",
	             la_error_last());
}

static void service_run(service *s)
{
	cr_assert_eq(pthread_create(&s->thread, NULL, consumer_main, s), 0);
	s->running = 1;
}

static void service_stop(service *s)
{
	if (s->running) {
		la_redis_consumer_stop(s->consumer);
		pthread_join(s->thread, NULL);
		s->running = 0;
	}
}

static void service_free(service *s)
{
	service_stop(s);
	la_redis_consumer_free(s->consumer);
	la_bus_free(s->bus);
	la_redis_free(s->publisher);
	la_store_free(s->store);
}

static uint64_t applied(const service *s)
{
	uint64_t n;

	la_redis_consumer_stats(s->consumer, &n, NULL, NULL, NULL);
	return n;
}

typedef struct wait_count {
	const service *s;
	uint64_t want;
	int which; /* 0 applied, 1 malformed, 2 duplicates, 3 failed */
} wait_count;

static int reached(void *arg)
{
	wait_count *w = arg;
	uint64_t v[4];

	la_redis_consumer_stats(w->s->consumer, &v[0], &v[1], &v[2], &v[3]);
	return v[w->which] >= w->want;
}

static void wait_stat(const service *s, int which, uint64_t want)
{
	wait_count w = {s, want, which};
	uint64_t v[4];

	if (!test_wait_until(reached, &w, 5000)) {
		la_redis_consumer_stats(s->consumer, &v[0], &v[1], &v[2], &v[3]);
		cr_assert_fail("consumer stats applied=%llu malformed=%llu dup=%llu failed=%llu, "
		               "wanted %llu in slot %d",
		               (unsigned long long)v[0], (unsigned long long)v[1],
		               (unsigned long long)v[2], (unsigned long long)v[3],
		               (unsigned long long)want, which);
	}
}

static void publish(redisContext *c, const char *channel, const char *json)
{
	freeReplyObject(test_redis_command(c, "PUBLISH %s %s", channel, json));
}

static void xadd_json(redisContext *c, const char *stream, const char *json)
{
	redisReply *r = test_redis_command(c, "XADD %s * json %s", stream, json);

	cr_assert_eq(r->type, REDIS_REPLY_STRING, "%s", r->str);
	freeReplyObject(r);
}

static int64_t purchased(la_store *store, const char *ref)
{
	la_batch_page *page = NULL;
	int64_t qty = -1;

	cr_assert_eq(la_view_batches(&page, store, NULL, 0, NULL), LA_OK);
	for (size_t i = 0; i < la_batch_page_count(page); i++)
		if (strcmp(la_batch_page_ref(page, i), ref) == 0)
			qty = la_batch_page_purchased(page, i);
	la_batch_page_free(page);
	return qty;
}

static const char *allocated_to(la_store *store, const char *orderid, char *buf, size_t size)
{
	la_allocation_list *list = NULL;

	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
	buf[0] = '\0';
	if (la_allocation_list_count(list) > 0)
		snprintf(buf, size, "%s", la_allocation_list_batchref(list, 0));
	la_allocation_list_free(list);
	return buf;
}

static void wait_subscribed(const char *url)
{
	redisContext *c = test_redis_connect(url);

	cr_assert(test_redis_wait_subscribers(c, "change_batch_quantity", 1, 5000),
	          "the consumer never subscribed");
	redisFree(c);
}

/* ---- publisher ---- */

Test(redis_publisher, publishes_on_a_channel)
{
	const char *url = test_redis_url();
	redisContext *sub = test_redis_connect(url);
	la_redis *r = NULL;
	char *got;

	freeReplyObject(test_redis_command(sub, "SUBSCRIBE line_allocated"));
	cr_assert_eq(la_redis_new(&r, url, LA_REDIS_PUBSUB), LA_OK);
	cr_assert_eq(la_redis_publish("line_allocated", "{\"id\":\"1\",\"orderid\":\"o\"}", r),
	             LA_OK, "%s", la_error_last());
	got = test_redis_next_message(sub, 3000);
	cr_assert_str_eq(got, "{\"id\":\"1\",\"orderid\":\"o\"}");
	free(got);
	/* without an id: one is made up, unique per message; not an object: as it is */
	cr_assert_eq(la_redis_publish("line_allocated", "{\"orderid\":\"o\"}", r), LA_OK);
	cr_assert_eq(la_redis_publish("line_allocated", "{\"orderid\":\"o\"}", r), LA_OK);
	cr_assert_eq(la_redis_publish("line_allocated", "[1]", r), LA_OK);
	{
		char *a = test_redis_next_message(sub, 3000),
		     *b = test_redis_next_message(sub, 3000);

		cr_assert(a && strncmp(a, "{\"id\":\"", 7) == 0 && strstr(a, "\"orderid\":\"o\"}"),
		          "%s", a);
		cr_assert(b && strcmp(a, b) != 0, "%s / %s", a, b);
		free(a);
		free(b);
	}
	got = test_redis_next_message(sub, 3000);
	cr_assert_str_eq(got, "[1]");
	free(got);
	la_redis_free(r);
	redisFree(sub);
}

Test(redis_publisher, appends_to_a_stream_with_id_and_json_fields)
{
	const char *url = test_redis_url();
	redisContext *c = test_redis_connect(url);
	la_redis *r = NULL;
	redisReply *reply;
	char want[128];

	freeReplyObject(test_redis_command(c, "DEL pub_stream_test"));
	cr_assert_eq(la_redis_new(&r, url, LA_REDIS_STREAMS), LA_OK);
	cr_assert_eq(la_redis_publish("pub_stream_test", "{\"id\":\"a-7\",\"qty\":3}", r), LA_OK);
	cr_assert_eq(la_redis_publish("pub_stream_test", "{\"qty\":4}", r), LA_OK);
	reply = test_redis_command(c, "XRANGE pub_stream_test - +");
	cr_assert_eq(reply->elements, 2);
	{
		redisReply *f = reply->element[0]->element[1];

		cr_assert_eq(f->elements, 4);
		cr_assert_str_eq(f->element[0]->str, "id");
		cr_assert_str_eq(f->element[1]->str, "a-7");
		cr_assert_str_eq(f->element[2]->str, "json");
		cr_assert_str_eq(f->element[3]->str, "{\"id\":\"a-7\",\"qty\":3}");
		/* a message without an id is given one, in the field and in the JSON */
		f = reply->element[1]->element[1];
		cr_assert_gt(strlen(f->element[1]->str), 10);
		snprintf(want, sizeof(want), "{\"id\":\"%s\",\"qty\":4}", f->element[1]->str);
		cr_assert_str_eq(f->element[3]->str, want);
	}
	freeReplyObject(reply);
	freeReplyObject(test_redis_command(c, "DEL pub_stream_test"));
	la_redis_free(r);
	redisFree(c);
}

Test(redis_publisher, unreachable_server_and_bad_arguments)
{
	la_redis *r = NULL;

	/* port 1 on loopback: nothing listens there */
	cr_assert_eq(la_redis_new(&r, "redis://127.0.0.1:1", LA_REDIS_PUBSUB), LA_OK);
	cr_assert_eq(la_redis_publish("line_allocated", "{}", r), LA_EIO);
	cr_assert(strstr(la_error_last(), "127.0.0.1:1") != NULL, "%s", la_error_last());
	cr_assert_eq(la_redis_publish(NULL, "{}", r), LA_EINVAL);
	la_redis_free(r);
	cr_assert_eq(la_redis_new(&r, "http://x", LA_REDIS_PUBSUB), LA_EINVAL);
	cr_assert_null(r);
	cr_assert_eq(la_redis_new(&r, "redis://x", 7), LA_EINVAL);
	la_redis_free(NULL);
}

/* ---- consumer, pub/sub ---- */

/* The book's scenario (spec §4) end to end, driven only by messages. */
Test(redis_consumer_pubsub, change_batch_quantity_reallocates_and_publishes)
{
	const char *url = test_redis_url();
	redisContext *c = test_redis_connect(url), *sub = test_redis_connect(url);
	service s;
	char buf[64], *got;

	service_start(&s, url, LA_REDIS_PUBSUB);
	service_run(&s);
	wait_subscribed(url);
	freeReplyObject(test_redis_command(sub, "SUBSCRIBE line_allocated"));
	publish(c, "batch_created",
	        "{\"ref\":\"earlier\",\"sku\":\"LAMP\",\"qty\":10,\"eta\":\"2011-01-01\"}");
	publish(c, "batch_created",
	        "{\"ref\":\"later\",\"sku\":\"LAMP\",\"qty\":10,\"eta\":\"2011-01-02\"}");
	publish(c, "allocation_required", "{\"orderid\":\"o1\",\"sku\":\"LAMP\",\"qty\":10}");
	got = test_redis_next_message(sub, 3000);
	cr_assert_not_null(got);
	cr_assert(strstr(got, "\"batchref\":\"earlier\"") != NULL, "%s", got);
	free(got);
	publish(c, "change_batch_quantity", "{\"batchref\":\"earlier\",\"qty\":5}");
	got = test_redis_next_message(sub, 3000);
	cr_assert_not_null(got, "no line_allocated within 3 s");
	cr_assert(strstr(got, "\"orderid\":\"o1\"") && strstr(got, "\"batchref\":\"later\""), "%s",
	          got);
	free(got);
	wait_stat(&s, 0, 4);
	service_stop(&s);
	cr_assert_str_eq(allocated_to(s.store, "o1", buf, sizeof(buf)), "later");
	cr_assert_eq(purchased(s.store, "earlier"), 5);
	service_free(&s);
	redisFree(c);
	redisFree(sub);
}

Test(redis_consumer_pubsub, skips_malformed_duplicates_and_failed_commands)
{
	const char *url = test_redis_url();
	redisContext *c = test_redis_connect(url);
	service s;
	uint64_t malformed, duplicates, failed;

	service_start(&s, url, LA_REDIS_PUBSUB);
	service_run(&s);
	wait_subscribed(url);
	publish(c, "change_batch_quantity", "this is not json");
	publish(c, "change_batch_quantity", "{\"batchref\":\"b1\"}");
	publish(c, "batch_created", "{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":\"ten\"}");
	publish(c, "batch_cancelled", "{\"ref\":\"no-such-batch\"}"); /* domain error */
	publish(c, "batch_created", "{\"id\":\"m1\",\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10}");
	publish(c, "change_batch_quantity", "{\"id\":\"m2\",\"batchref\":\"b1\",\"qty\":7}");
	publish(c, "change_batch_quantity", "{\"id\":\"m2\",\"batchref\":\"b1\",\"qty\":3}");
	wait_stat(&s, 2, 1);
	wait_stat(&s, 0, 2);
	service_stop(&s);
	la_redis_consumer_stats(s.consumer, NULL, &malformed, &duplicates, &failed);
	cr_assert_eq(malformed, 3);
	cr_assert_eq(duplicates, 1);
	cr_assert_eq(failed, 1);
	cr_assert_eq(applied(&s), 2);
	cr_assert_eq(purchased(s.store, "b1"), 7, "the redelivered m2 must not apply");
	service_free(&s);
	redisFree(c);
}

Test(redis_consumer_pubsub, stops_promptly_and_refuses_a_second_run)
{
	service s;

	service_start(&s, test_redis_url(), LA_REDIS_PUBSUB);
	service_run(&s);
	wait_subscribed(test_redis_url());
	cr_assert_eq(la_redis_consumer_run(s.consumer), LA_ESTATE);
	service_stop(&s); /* joins: hangs here if stop does not work */
	service_free(&s);
}

Test(redis_consumer_pubsub, resubscribes_after_redis_restarts)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	redisContext *c;
	service s;

	service_start(&s, url, LA_REDIS_PUBSUB);
	service_run(&s);
	wait_subscribed(url);
	test_redis_private_stop(p);
	test_sleep_ms(300);
	test_redis_private_restart(p);
	wait_subscribed(url);
	c = test_redis_connect(url);
	publish(c, "batch_created", "{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10}");
	wait_stat(&s, 0, 1);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

/* Redis refuses the subscription (a password is needed) until it is fixed. */
Test(redis_consumer_pubsub, retries_a_refused_subscription)
{
	test_redis_private *p = test_redis_private_start_args("--requirepass secret");
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	service s;

	freeReplyObject(test_redis_command(c, "AUTH secret"));
	service_start(&s, url, LA_REDIS_PUBSUB);
	service_run(&s);
	test_sleep_ms(300);
	cr_assert_not(test_redis_wait_subscribers(c, "change_batch_quantity", 1, 0));
	freeReplyObject(test_redis_command(c, "CONFIG SET requirepass %s", ""));
	wait_subscribed(url);
	publish(c, "batch_created", "{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10}");
	wait_stat(&s, 0, 1);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

Test(redis_consumer_streams, retries_when_redis_refuses_the_groups)
{
	test_redis_private *p = test_redis_private_start_args("--requirepass secret");
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	service s;

	freeReplyObject(test_redis_command(c, "AUTH secret"));
	xadd_json(c, "batch_created", "{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10}");
	service_start(&s, url, LA_REDIS_STREAMS);
	service_run(&s);
	test_sleep_ms(300);
	cr_assert_eq(applied(&s), 0);
	freeReplyObject(test_redis_command(c, "CONFIG SET requirepass %s", ""));
	wait_stat(&s, 0, 1);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

/* ---- consumer, streams ---- */

static long long pending_count(redisContext *c, const char *stream)
{
	redisReply *r = test_redis_command(c, "XPENDING %s allocation", stream);
	long long n = r->type == REDIS_REPLY_ARRAY ? r->element[0]->integer : -1;

	freeReplyObject(r);
	return n;
}

/* The service is down while 20 change_batch_quantity are added: all 20 apply once. */
Test(redis_consumer_streams, messages_added_while_down_apply_exactly_once)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	service s;
	char json[128];
	uint64_t commands;

	service_start(&s, url, LA_REDIS_STREAMS);
	cr_assert_eq(la_redis_consumer_set_group(s.consumer, NULL, "worker-1"), LA_OK);
	{
		la_message *m = NULL;

		cr_assert_eq(la_command_create_batch(&m, "b1", "S", 100, NULL), LA_OK);
		cr_assert_eq(la_bus_handle(s.bus, m), LA_OK);
		la_message_free(m);
	}
	for (int i = 1; i <= 20; i++) {
		snprintf(json, sizeof(json), "{\"batchref\":\"b1\",\"qty\":%d}", 100 + i);
		xadd_json(c, "change_batch_quantity", json);
	}
	service_run(&s);
	wait_stat(&s, 0, 20);
	service_stop(&s);
	cr_assert_eq(purchased(s.store, "b1"), 120);
	cr_assert_eq(pending_count(c, "change_batch_quantity"), 0);

	/* started again: nothing is applied a second time */
	service_run(&s);
	test_sleep_ms(500);
	service_stop(&s);
	la_bus_stats(s.bus, &commands, NULL, NULL, NULL);
	cr_assert_eq(commands, 21, "the batch and 20 quantity changes, once each");
	cr_assert_eq(applied(&s), 20);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

/* Entries delivered before a crash and never acknowledged are re-read at start. */
Test(redis_consumer_streams, re_reads_its_pending_entries_and_claims_none_twice)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	service s;
	redisReply *r;

	freeReplyObject(test_redis_command(c, "XGROUP CREATE batch_created allocation 0 MKSTREAM"));
	xadd_json(c, "batch_created", "{\"id\":\"x1\",\"ref\":\"b1\",\"sku\":\"S\",\"qty\":5}");
	xadd_json(c, "batch_created", "{\"id\":\"x2\",\"ref\":\"b2\",\"sku\":\"S\",\"qty\":6}");
	/* a consumer of the same name took both, then "crashed" */
	r = test_redis_command(c, "XREADGROUP GROUP allocation allocation COUNT 10 STREAMS "
	                          "batch_created >");
	cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	cr_assert_eq(pending_count(c, "batch_created"), 2);
	/* and a producer re-sent x1 under a new entry id */
	xadd_json(c, "batch_created", "{\"id\":\"x1\",\"ref\":\"b1\",\"sku\":\"S\",\"qty\":5}");

	service_start(&s, url, LA_REDIS_STREAMS);
	service_run(&s);
	wait_stat(&s, 0, 2);
	wait_stat(&s, 2, 1);
	service_stop(&s);
	cr_assert_eq(purchased(s.store, "b1"), 5);
	cr_assert_eq(purchased(s.store, "b2"), 6);
	cr_assert_eq(pending_count(c, "batch_created"), 0);
	r = test_redis_command(c, "ZSCORE allocation:processed:allocation %s",
	                       "batch_created:\"x2\"");
	cr_assert_eq(r->type, REDIS_REPLY_STRING, "x2 is recorded as processed");
	freeReplyObject(r);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

Test(redis_consumer_streams, acknowledges_malformed_and_failed_entries)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	service s;
	redisReply *r;

	xadd_json(c, "change_batch_quantity", "{nope");
	xadd_json(c, "change_batch_quantity", "{\"batchref\":\"ghost\",\"qty\":1}");
	r = test_redis_command(c, "XADD batch_created * ref b1 sku S qty 10 eta %s", "");
	freeReplyObject(r);
	r = test_redis_command(c, "XADD allocation_required * orderid o1 sku S qty 2");
	freeReplyObject(r);
	service_start(&s, url, LA_REDIS_STREAMS);
	service_run(&s);
	wait_stat(&s, 1, 1);
	wait_stat(&s, 3, 1);
	wait_stat(&s, 0, 2); /* flat fields: the batch (eta "" = none) and the allocation */
	service_stop(&s);
	cr_assert_eq(pending_count(c, "change_batch_quantity"), 0);
	cr_assert_eq(pending_count(c, "batch_created"), 0);
	cr_assert_eq(pending_count(c, "allocation_required"), 0);
	{
		char buf[64];

		cr_assert_str_eq(allocated_to(s.store, "o1", buf, sizeof(buf)), "b1");
	}
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

static void handle(la_bus *bus, la_message *m)
{
	cr_assert_not_null(m);
	cr_assert_eq(la_bus_handle(bus, m), LA_OK, "%s", la_error_last());
	la_message_free(m);
}

/* The domain's own conflicts ("already exists with different values",
 * "already allocated with qty") fail the same way every time: acknowledged
 * after one attempt, never retried nor left pending. */
Test(redis_consumer_streams, acknowledges_domain_conflicts_without_retrying)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	redisContext *c = test_redis_connect(url);
	la_message *m = NULL;
	uint64_t commands;
	service s;

	service_start(&s, url, LA_REDIS_STREAMS);
	la_command_create_batch(&m, "b1", "S", 10, NULL);
	handle(s.bus, m);
	la_command_allocate(&m, "o1", "S", 2);
	handle(s.bus, m);
	xadd_json(c, "batch_created", "{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":99}");
	xadd_json(c, "allocation_required", "{\"orderid\":\"o1\",\"sku\":\"S\",\"qty\":5}");
	service_run(&s);
	wait_stat(&s, 3, 2);
	test_sleep_ms(300); /* a retry would have run by now (the first pause is 100 ms) */
	service_stop(&s);
	la_bus_stats(s.bus, &commands, NULL, NULL, NULL);
	cr_assert_eq(commands, 4, "2 set-up commands and one attempt per conflict, not %llu",
	             (unsigned long long)commands);
	cr_assert_eq(pending_count(c, "batch_created"), 0);
	cr_assert_eq(pending_count(c, "allocation_required"), 0);
	cr_assert_eq(applied(&s), 0);
	cr_assert_eq(purchased(s.store, "b1"), 10);
	service_free(&s);
	redisFree(c);
	test_redis_private_remove(p);
}

/* {"id": 1} on batch_created and {"id": 1} on allocation_required are two
 * messages; so are 5 and "5" on one channel. Only the same id, of the same
 * type, on the same channel is a duplicate. */
Test(redis_consumer_pubsub, ids_are_scoped_by_channel_and_type)
{
	const char *url = test_redis_url();
	redisContext *c = test_redis_connect(url);
	uint64_t duplicates;
	service s;
	char buf[64];

	service_start(&s, url, LA_REDIS_PUBSUB);
	service_run(&s);
	wait_subscribed(url);
	publish(c, "batch_created", "{\"id\":1,\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10}");
	publish(c, "allocation_required", "{\"id\":1,\"orderid\":\"o1\",\"sku\":\"S\",\"qty\":2}");
	publish(c, "change_batch_quantity", "{\"id\":5,\"batchref\":\"b1\",\"qty\":7}");
	publish(c, "change_batch_quantity", "{\"id\":\"5\",\"batchref\":\"b1\",\"qty\":8}");
	publish(c, "change_batch_quantity", "{\"id\":\"5\",\"batchref\":\"b1\",\"qty\":3}");
	wait_stat(&s, 2, 1);
	wait_stat(&s, 0, 4);
	service_stop(&s);
	la_redis_consumer_stats(s.consumer, NULL, NULL, &duplicates, NULL);
	cr_assert_eq(applied(&s), 4);
	cr_assert_eq(duplicates, 1, "only the second \"5\" on change_batch_quantity");
	cr_assert_str_eq(allocated_to(s.store, "o1", buf, sizeof(buf)), "b1");
	cr_assert_eq(purchased(s.store, "b1"), 8);
	service_free(&s);
	redisFree(c);
}

/*
 * XAUTOCLAIM's reply, element by element: Redis 6.2 sends a nil for an entry
 * deleted from the stream while it was pending (and keeps sending it), and
 * Redis 7 adds the deleted ids as a third element. A proxy in front of the
 * real server answers XAUTOCLAIM on batch_created with a nil, an integer
 * where an entry should be, a real entry and a list of deleted ids: the
 * consumer skips what is not an entry, applies the entry, and goes on
 * reading on the same connection (no reconnect loop).
 */
Test(redis_consumer_streams, claims_past_deleted_and_malformed_entries)
{
	static const char reply[] = "*3\r\n"
	                            "$3\r\n0-0\r\n"
	                            "*3\r\n"
	                            "*-1\r\n"
	                            ":7\r\n"
	                            "*2\r\n$3\r\n1-1\r\n*2\r\n$4\r\njson\r\n"
	                            "$38\r\n{\"ref\":\"b1\",\"sku\":\"S\",\"qty\":10,\"id\":1}\r\n"
	                            "*1\r\n$3\r\n9-9\r\n";
	test_redis_private *p = test_redis_private_start();
	test_redis_proxy *proxy =
	    test_redis_proxy_start(test_redis_private_url(p), "XAUTOCLAIM", "batch_created", reply);
	redisContext *c = test_redis_connect(test_redis_private_url(p));
	service s;

	service_start(&s, test_redis_proxy_url(proxy), LA_REDIS_STREAMS);
	service_run(&s);
	wait_stat(&s, 0, 1); /* the claimed entry */
	xadd_json(c, "batch_created", "{\"ref\":\"b2\",\"sku\":\"S\",\"qty\":20}");
	wait_stat(&s, 0, 2); /* and reading went on */
	service_stop(&s);
	cr_assert_eq(purchased(s.store, "b1"), 10);
	cr_assert_eq(purchased(s.store, "b2"), 20);
	cr_assert_eq(test_redis_proxy_intercepted(proxy), 1);
	cr_assert_eq(test_redis_proxy_connections(proxy), 1, "the consumer reconnected");
	service_free(&s);
	test_redis_proxy_stop(proxy);
	redisFree(c);
	test_redis_private_remove(p);
}

/* ---- relay ---- */

typedef struct relay_runner {
	la_redis_relay *relay;
	pthread_t thread;
} relay_runner;

static void *relay_main(void *arg)
{
	relay_runner *r = arg;

	cr_assert_eq(la_redis_relay_run(r->relay), LA_OK);
	return NULL;
}

static int outbox_empty(void *store)
{
	return test_outbox_store_pending(store) == 0;
}

static void assert_stream_in_order(redisContext *c, const char *stream, int n)
{
	redisReply *r = test_redis_command(c, "XRANGE %s - +", stream);
	char want[32];

	cr_assert_eq((int)r->elements, n, "%zu entries in %s", r->elements, stream);
	for (int i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "{\"id\":\"%d\"}", i);
		cr_assert_str_eq(r->element[i]->element[1]->element[3]->str, want);
	}
	freeReplyObject(r);
}

Test(redis_relay, publishes_the_outbox_in_order)
{
	const char *url = test_redis_url();
	redisContext *c = test_redis_connect(url);
	la_store *store = test_outbox_store_new();
	relay_runner rr;
	char json[32];
	uint64_t published;

	freeReplyObject(test_redis_command(c, "DEL relay_order_test"));
	cr_assert_eq(la_redis_relay_new(&rr.relay, url, LA_REDIS_STREAMS, store), LA_OK);
	for (int i = 0; i < 300; i++) {
		snprintf(json, sizeof(json), "{\"id\":\"%d\"}", i);
		test_outbox_store_push(store, "relay_order_test", json);
	}
	cr_assert_eq(pthread_create(&rr.thread, NULL, relay_main, &rr), 0);
	cr_assert(test_wait_until(outbox_empty, store, 5000));
	la_redis_relay_stop(rr.relay);
	pthread_join(rr.thread, NULL);
	la_redis_relay_stats(rr.relay, &published, NULL);
	cr_assert_eq(published, 300);
	assert_stream_in_order(c, "relay_order_test", 300);
	freeReplyObject(test_redis_command(c, "DEL relay_order_test"));
	la_redis_relay_free(rr.relay);
	la_store_free(store);
	redisFree(c);
}

/* Redis goes away mid-stream: everything queued is published once it is back, in order. */
Test(redis_relay, retries_while_redis_is_down)
{
	test_redis_private *p = test_redis_private_start();
	const char *url = test_redis_private_url(p);
	la_store *store = test_outbox_store_new();
	relay_runner rr;
	redisContext *c;
	char json[32];
	uint64_t failures;

	cr_assert_eq(la_redis_relay_new(&rr.relay, url, LA_REDIS_STREAMS, store), LA_OK);
	cr_assert_eq(pthread_create(&rr.thread, NULL, relay_main, &rr), 0);
	for (int i = 0; i < 30; i++) {
		snprintf(json, sizeof(json), "{\"id\":\"%d\"}", i);
		test_outbox_store_push(store, "line_allocated", json);
		if (i == 9) {
			cr_assert(test_wait_until(outbox_empty, store, 5000));
			test_redis_private_stop(p); /* data is not saved: keep a copy below */
		}
		test_sleep_ms(10);
	}
	test_sleep_ms(300);
	cr_assert_eq(test_outbox_store_pending(store), 20, "queued while Redis is down");
	test_redis_private_restart(p);
	cr_assert(test_wait_until(outbox_empty, store, 5000), "published once Redis is back");
	la_redis_relay_stop(rr.relay);
	pthread_join(rr.thread, NULL);
	la_redis_relay_stats(rr.relay, NULL, &failures);
	cr_assert_gt(failures, 0);
	/* the restarted server is empty: it holds exactly the 20 queued, in order */
	c = test_redis_connect(url);
	{
		redisReply *r = test_redis_command(c, "XRANGE line_allocated - +");

		cr_assert_eq(r->elements, 20);
		for (int i = 0; i < 20; i++) {
			snprintf(json, sizeof(json), "{\"id\":\"%d\"}", i + 10);
			cr_assert_str_eq(r->element[i]->element[1]->element[3]->str, json);
		}
		freeReplyObject(r);
	}
	redisFree(c);
	la_redis_relay_free(rr.relay);
	la_store_free(store);
	test_redis_private_remove(p);
}

/* The crash-test delay holds a message between commit and publish; stop cuts it short. */
Test(redis_relay, test_delay_holds_messages_and_stop_cuts_it_short)
{
	la_store *store = test_outbox_store_new();
	relay_runner rr;
	struct timespec t0, t1;

	/* no other thread runs yet: the environment is read by la_redis_relay_new */
	setenv("ALLOCATION_TEST_RELAY_DELAY_MS", "10000", 1); // NOLINT(concurrency-mt-unsafe)
	cr_assert_eq(la_redis_relay_new(&rr.relay, test_redis_url(), LA_REDIS_PUBSUB, store),
	             LA_OK);
	unsetenv("ALLOCATION_TEST_RELAY_DELAY_MS"); // NOLINT(concurrency-mt-unsafe)
	test_outbox_store_push(store, "relay_delay_test", "{\"id\":\"1\"}");
	cr_assert_eq(pthread_create(&rr.thread, NULL, relay_main, &rr), 0);
	test_sleep_ms(300);
	cr_assert_eq(test_outbox_store_pending(store), 1, "still inside the delay");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	la_redis_relay_stop(rr.relay);
	pthread_join(rr.thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000);
	cr_assert_eq(test_outbox_store_pending(store), 1, "left queued for the next run");
	la_redis_relay_free(rr.relay);
	la_store_free(store);
}

Test(redis_relay, flush_keeps_messages_queued_when_redis_is_down)
{
	la_store *store = test_outbox_store_new(), *memory = NULL;
	la_redis_relay *relay = NULL;
	size_t sent = 99;

	cr_assert_eq(la_redis_relay_new(&relay, "redis://127.0.0.1:1", LA_REDIS_PUBSUB, store),
	             LA_OK);
	test_outbox_store_push(store, "line_allocated", "{\"id\":\"1\"}");
	cr_assert_eq(la_redis_relay_flush(relay, &sent), LA_EIO);
	cr_assert_eq(sent, 0);
	cr_assert_eq(test_outbox_store_pending(store), 1);
	la_redis_relay_free(relay);

	cr_assert_eq(la_memory_store_new(&memory), LA_OK);
	cr_assert_eq(la_redis_relay_new(&relay, test_redis_url(), LA_REDIS_PUBSUB, memory),
	             LA_EUNSUPPORTED);
	cr_assert_null(relay);
	la_store_free(memory);
	la_store_free(store);
}

Test(redis_relay, flush_publishes_to_subscribers)
{
	const char *url = test_redis_url();
	redisContext *sub = test_redis_connect(url);
	la_store *store = test_outbox_store_new();
	la_redis_relay *relay = NULL;
	size_t sent = 0;
	char *got;

	freeReplyObject(test_redis_command(sub, "SUBSCRIBE relay_flush_test"));
	cr_assert_eq(la_redis_relay_new(&relay, url, LA_REDIS_PUBSUB, store), LA_OK);
	test_outbox_store_push(store, "relay_flush_test", "{\"id\":\"a\"}");
	test_outbox_store_push(store, "relay_flush_test", "{\"id\":\"b\"}");
	cr_assert_eq(la_redis_relay_flush(relay, &sent), LA_OK, "%s", la_error_last());
	cr_assert_eq(sent, 2);
	got = test_redis_next_message(sub, 3000);
	cr_assert_str_eq(got, "{\"id\":\"a\"}");
	free(got);
	got = test_redis_next_message(sub, 3000);
	cr_assert_str_eq(got, "{\"id\":\"b\"}");
	free(got);
	la_redis_relay_free(relay);
	la_store_free(store);
	redisFree(sub);
}
