/* Support code for the Redis adapter's C tests (see the header). */
#define _POSIX_C_SOURCE 200809L
#include "redis_test_support.h"

#include <allocation/sys/ports.h>

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#ifndef REDIS_SERVER_SCRIPT
#error "REDIS_SERVER_SCRIPT must name tests/support/redis_server.sh"
#endif

void test_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int test_wait_until(int (*cond)(void *), void *arg, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		if (cond(arg))
			return 1;
		test_sleep_ms(10);
	}
	return cond(arg);
}

static void read_url(char *buf, size_t size, const char *dir)
{
	char path[1024], port[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/port", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f, "no Redis port file %s: is the redis_server fixture running?", path);
	cr_assert_not_null(fgets(port, sizeof(port), f));
	(void)fclose(f); /* read only */
	port[strcspn(port, "\n")] = '\0';
	snprintf(buf, size, "redis://127.0.0.1:%s", port);
}

const char *test_redis_url(void)
{
	static char url[128];
	const char *dir = getenv("ALLOCATION_TEST_REDIS_DIR");

	cr_assert_not_null(dir, "ALLOCATION_TEST_REDIS_DIR is not set (run through ctest)");
	read_url(url, sizeof(url), dir);
	return url;
}

struct test_redis_private {
	char dir[256];
	char url[128];
};

static void run_script_args(const char *verb, const char *dir, const char *args)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' %s '%s' %s >/dev/null", REDIS_SERVER_SCRIPT, verb, dir,
	         args);
	cr_assert_eq(system(cmd), 0, "%s failed", cmd);
}

static void run_script(const char *verb, const char *dir)
{
	run_script_args(verb, dir, "");
}

test_redis_private *test_redis_private_start_args(const char *args)
{
	test_redis_private *p = calloc(1, sizeof(*p));

	cr_assert_not_null(p);
	snprintf(p->dir, sizeof(p->dir), "/tmp/la-redis-test-XXXXXX");
	cr_assert_not_null(mkdtemp(p->dir));
	run_script_args("start", p->dir, args);
	read_url(p->url, sizeof(p->url), p->dir);
	return p;
}

test_redis_private *test_redis_private_start(void)
{
	return test_redis_private_start_args("");
}

const char *test_redis_private_url(const test_redis_private *p)
{
	return p->url;
}

void test_redis_private_stop(test_redis_private *p)
{
	run_script("stop", p->dir);
}

void test_redis_private_restart(test_redis_private *p)
{
	run_script("start", p->dir);
}

void test_redis_private_remove(test_redis_private *p)
{
	char cmd[600];

	if (!p)
		return;
	run_script("stop", p->dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	cr_assert_eq(system(cmd), 0);
	free(p);
}

redisContext *test_redis_connect(const char *url)
{
	const char *prefix = "redis://127.0.0.1:";
	int port = 0;
	redisContext *c;
	struct timeval tv = {5, 0};

	cr_assert_eq(strncmp(url, prefix, strlen(prefix)), 0, "url %s", url);
	port = (int)strtol(url + strlen(prefix), NULL, 10);
	cr_assert(port > 0, "url %s", url);
	c = redisConnectWithTimeout("127.0.0.1", port, tv);
	cr_assert(c && !c->err, "cannot connect to %s: %s", url, c ? c->errstr : "?");
	redisSetTimeout(c, tv);
	return c;
}

redisReply *test_redis_command(redisContext *c, const char *fmt, ...)
{
	va_list ap;
	redisReply *reply;

	va_start(ap, fmt);
	reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	cr_assert_not_null(reply, "Redis command %s failed: %s", fmt, c->errstr);
	return reply;
}

void test_redis_flush(const char *url)
{
	redisContext *c = test_redis_connect(url);

	freeReplyObject(test_redis_command(c, "FLUSHALL"));
	redisFree(c);
}

int test_redis_wait_subscribers(redisContext *c, const char *channel, long long n, int ms)
{
	for (int waited = 0; waited <= ms; waited += 10) {
		redisReply *r = test_redis_command(c, "PUBSUB NUMSUB %s", channel);
		long long count =
		    r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1]->integer : 0;

		freeReplyObject(r);
		if (count >= n)
			return 1;
		test_sleep_ms(10);
	}
	return 0;
}

char *test_redis_next_message(redisContext *subscriber, int ms)
{
	for (;;) {
		void *r = NULL;
		char *payload = NULL;
		redisReply *reply;

		if (redisGetReplyFromReader(subscriber, &r) != REDIS_OK)
			return NULL;
		if (!r) {
			struct pollfd fd = {subscriber->fd, POLLIN, 0};

			if (poll(&fd, 1, ms) <= 0 || redisBufferRead(subscriber) != REDIS_OK)
				return NULL;
			continue;
		}
		reply = r;
		if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
		    strcmp(reply->element[0]->str, "message") == 0)
			payload = strdup(reply->element[2]->str);
		freeReplyObject(reply);
		if (payload)
			return payload;
	}
}

/* ---- the outbox-only store ---- */

typedef struct fake_msg {
	char *channel, *json;
} fake_msg;

typedef struct fake_outbox {
	pthread_mutex_t lock;
	fake_msg *items;
	size_t head, count, cap;
} fake_outbox;

static int unsupported(void)
{
	return la_error_set(LA_EUNSUPPORTED, "the test outbox store only has an outbox");
}
static int f_begin(void *s)
{
	(void)s;
	return unsupported();
}
static void f_void(void *s)
{
	(void)s;
}
static int f_add(la_product *p, void *s)
{
	(void)s;
	la_product_free(p);
	return unsupported();
}
static int f_get(la_product **out, const char *k, void *s)
{
	(void)out, (void)k, (void)s;
	return unsupported();
}
static int f_load(la_product *p, const char *k, void *s)
{
	(void)p, (void)k, (void)s;
	return unsupported();
}
static int f_allocations(la_allocation_list *l, const char *o, void *s)
{
	(void)l, (void)o, (void)s;
	return unsupported();
}
static int f_batches(la_batch_page *p, const char *sku, size_t limit, const char *after, void *s)
{
	(void)p, (void)sku, (void)limit, (void)after, (void)s;
	return unsupported();
}

static int f_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload, void *state)
{
	fake_outbox *o = state;
	int rc = LA_OK;

	*out_sent = 0;
	pthread_mutex_lock(&o->lock);
	while (o->head < o->count && (max == 0 || *out_sent < max)) {
		fake_msg *m = &o->items[o->head];

		/* publish outside the lock, like a store that copies rows first */
		pthread_mutex_unlock(&o->lock);
		rc = publish(m->channel, m->json, payload);
		pthread_mutex_lock(&o->lock);
		if (rc != LA_OK)
			break;
		o->head++;
		(*out_sent)++;
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

static void f_close(void *state)
{
	fake_outbox *o = state;

	for (size_t i = 0; i < o->count; i++) {
		free(o->items[i].channel);
		free(o->items[i].json);
	}
	free(o->items);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

static const la_store_port fake_port = {
    .version = LA_STORE_PORT_VERSION,
    .name = "test-outbox",
    .begin = f_begin,
    .commit = f_begin,
    .rollback = f_void,
    .end = f_void,
    .add = f_add,
    .get = f_get,
    .get_by_batchref = f_get,
    .load_line = f_load,
    .load_batch_lines = f_load,
    .allocations = f_allocations,
    .batches = f_batches,
    .relay_outbox = f_relay,
    .close = f_close,
};

/* Which state belongs to which store (a store's state is not reachable through its handle). */
static struct {
	la_store *store;
	fake_outbox *outbox;
} fakes[16];

la_store *test_outbox_store_new(void)
{
	fake_outbox *o = calloc(1, sizeof(*o));
	la_store *store = NULL;
	size_t i = 0;

	cr_assert_not_null(o);
	pthread_mutex_init(&o->lock, NULL);
	cr_assert_eq(la_store_new(&store, &fake_port, o), LA_OK, "%s", la_error_last());
	while (i < 16 && fakes[i].store)
		i++;
	cr_assert_lt(i, 16);
	fakes[i].store = store;
	fakes[i].outbox = o;
	return store;
}

static fake_outbox *outbox_of(la_store *store)
{
	for (size_t i = 0; i < 16; i++)
		if (fakes[i].store == store)
			return fakes[i].outbox;
	cr_assert_fail("not a test outbox store");
	return NULL;
}

void test_outbox_store_push(la_store *store, const char *channel, const char *json)
{
	fake_outbox *o = outbox_of(store);

	pthread_mutex_lock(&o->lock);
	if (o->count == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->items = realloc(o->items, o->cap * sizeof(*o->items));
		cr_assert_not_null(o->items);
	}
	o->items[o->count].channel = strdup(channel);
	o->items[o->count].json = strdup(json);
	o->count++;
	pthread_mutex_unlock(&o->lock);
}

size_t test_outbox_store_pending(la_store *store)
{
	fake_outbox *o = outbox_of(store);
	size_t n;

	pthread_mutex_lock(&o->lock);
	n = o->count - o->head;
	pthread_mutex_unlock(&o->lock);
	return n;
}
