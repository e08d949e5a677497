/*
 * Helpers for the Redis adapter's tests: the shared throwaway server of the
 * ctest fixture `redis_server`, private servers a test may stop and restart,
 * raw hiredis connections to look at what was published, and a fake store
 * whose only port is a thread-safe outbox.
 */
#ifndef TEST_REDIS_SUPPORT_H
#define TEST_REDIS_SUPPORT_H

#include <allocation/allocation.h>
#include <hiredis/hiredis.h>

/* URL of the fixture's server (ALLOCATION_TEST_REDIS_DIR), e.g. redis://127.0.0.1:PORT. */
const char *test_redis_url(void);

/* A private server in a new temporary directory: start, stop, start again on
 * the same port. test_redis_private_url is valid until _remove. */
typedef struct test_redis_private test_redis_private;
test_redis_private *test_redis_private_start(void);
/* The same with extra redis-server arguments, e.g. "--requirepass x". */
test_redis_private *test_redis_private_start_args(const char *args);
const char *test_redis_private_url(const test_redis_private *p);
void test_redis_private_stop(test_redis_private *p);
void test_redis_private_restart(test_redis_private *p);
void test_redis_private_remove(test_redis_private *p);

/* A TCP proxy to the server at upstream_url (redis://127.0.0.1:PORT) that
 * answers `<command> <key> ...` itself with reply (raw RESP) and passes every
 * other command through (redis_proxy.c). */
typedef struct test_redis_proxy test_redis_proxy;
test_redis_proxy *test_redis_proxy_start(const char *upstream_url, const char *command,
                                         const char *key, const char *reply);
const char *test_redis_proxy_url(const test_redis_proxy *x);
/* Client connections accepted so far, and commands answered with reply. */
int test_redis_proxy_connections(test_redis_proxy *x);
int test_redis_proxy_intercepted(test_redis_proxy *x);
void test_redis_proxy_stop(test_redis_proxy *x);

/* A plain hiredis connection to url (asserts). */
redisContext *test_redis_connect(const char *url);
/* Run a command built like printf; asserts the connection works. */
redisReply *test_redis_command(redisContext *c, const char *fmt, ...);
/* FLUSHALL on url. */
void test_redis_flush(const char *url);
/* Wait up to ms for at least n subscribers on channel. Non-zero when there. */
int test_redis_wait_subscribers(redisContext *c, const char *channel, long long n, int ms);
/* Wait up to ms for the next pub/sub message; its payload (free()) or NULL. */
char *test_redis_next_message(redisContext *subscriber, int ms);

/* Sleep ms milliseconds. */
void test_sleep_ms(int ms);
/* Poll cond(arg) every 10 ms for up to ms; non-zero once it held. */
int test_wait_until(int (*cond)(void *), void *arg, int ms);

/* A store with nothing but an outbox (publish order = enqueue order). */
la_store *test_outbox_store_new(void);
/* Queue json for channel (thread-safe). */
void test_outbox_store_push(la_store *store, const char *channel, const char *json);
/* Messages still queued (thread-safe). */
size_t test_outbox_store_pending(la_store *store);

#endif
