/*
 * Several connections on one database: the first product of a unit of work
 * is locked up front (the second writer waits), every other one is guarded
 * by the optimistic check under real concurrency. Races are made
 * deterministic with a lock held by the test: while it holds allocations in
 * EXCLUSIVE mode, every commit stops at its first write to that table, after
 * the units of work have read the product; the test waits until the
 * backends are seen waiting, then lets go.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <allocation/postgres.h>

#include "pg_test.h"

struct worker {
	la_bus *bus;
	const char *orderid;
	int rc;
	char error[512];
	char batchref[64];
	const char *first_sku;  /* allocate_after: the unit of work's first product */
	const char *second_sku; /* and its second (NULL: LAMP) */
};

static void *allocate_one(void *arg)
{
	struct worker *w = arg;
	w->rc = pgt_allocate(w->bus, w->orderid, "LAMP", 1, w->batchref, sizeof w->batchref);
	snprintf(w->error, sizeof w->error, "%s", la_error_last());
	return NULL;
}

/* One unit of work: an allocation of first_sku, then one of second_sku
 * (LAMP by default). The lock taken up front is first_sku's: the second
 * product has only the optimistic check. */
static void *allocate_after(void *arg)
{
	struct worker *w = arg;
	la_message *first = NULL, *lamp = NULL;
	cr_assert_eq(la_command_allocate(&first, w->orderid, w->first_sku, 1), LA_OK);
	cr_assert_eq(
	    la_command_allocate(&lamp, w->orderid, w->second_sku ? w->second_sku : "LAMP", 1),
	    LA_OK);
	const la_message *commands[2] = {first, lamp};
	w->rc = la_bus_handle_many(w->bus, commands, 2);
	snprintf(w->error, sizeof w->error, "%s", la_error_last());
	const char *ref = w->rc == LA_OK ? la_bus_result_batchref_at(w->bus, 1) : NULL;
	snprintf(w->batchref, sizeof w->batchref, "%s", ref ? ref : "");
	la_message_free(first);
	la_message_free(lamp);
	return NULL;
}

/* The product locks (advisory, class 19522) the backends of a and b hold
 * or wait for, as condition says. */
static long long product_locks(PGconn *ctl, la_store *a, la_store *b, const char *condition)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid)"
	         " WHERE l.locktype = 'advisory' AND l.classid = 19522 AND %s"
	         " AND s.application_name IN ('%s', '%s')",
	         condition, test_pg_app_name(a), test_pg_app_name(b));
	return test_pg_value(ctl, sql);
}

/* LAMP's batch b1 and a batch of each racer's own first sku. */
static void create_batches(la_bus *bus)
{
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	pgt_create_batch(bus, "ka", "KEY-A", 10, NULL);
	pgt_create_batch(bus, "kb", "KEY-B", 10, NULL);
}

/* A connection holding allocations locked until pgt_release. */
static PGconn *hold_allocations(la_store *store)
{
	PGconn *ctl = test_pg_connect(store);
	cr_assert_not_null(ctl);
	cr_assert_eq(test_pg_exec(ctl, "BEGIN; LOCK TABLE allocations IN EXCLUSIVE MODE"), 0);
	return ctl;
}

Test(postgres_concurrency, two_connections_allocating_at_once_one_conflicts)
{
	la_bus_options no_retry = LA_BUS_OPTIONS_INIT;
	no_retry.max_retries = 0;
	la_store *a, *b;
	la_bus *bus_a, *bus_b;
	pgt_open(&a, &bus_a, LA_STORE_OUTBOX, &no_retry);
	pgt_reopen(&b, &bus_b, a, LA_STORE_OUTBOX, &no_retry);
	create_batches(bus_a);
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products WHERE sku = 'LAMP'"), 1);

	PGconn *ctl = hold_allocations(a);
	struct worker wa = {bus_a, "o1", -100, "", "", "KEY-A", NULL},
	              wb = {bus_b, "o2", -100, "", "", "KEY-B", NULL};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, allocate_after, &wa);
	pthread_create(&tb, NULL, allocate_after, &wb);
	/* one waits for the table, the other for the first's product row */
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 2);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	PQfinish(ctl);

	int ok = (wa.rc == LA_OK) + (wb.rc == LA_OK);
	int conflicts = (wa.rc == LA_ECONFLICT) + (wb.rc == LA_ECONFLICT);
	cr_assert_eq(ok, 1, "a: %d %s; b: %d %s", wa.rc, wa.error, wb.rc, wb.error);
	cr_assert_eq(conflicts, 1, "a: %d %s; b: %d %s", wa.rc, wa.error, wb.rc, wb.error);
	const char *loser = wa.rc == LA_ECONFLICT ? wa.error : wb.error;
	cr_assert(strstr(loser, "40001"), "%s", loser);
	cr_log_info("loser: %s", loser);
	cr_assert_str_eq(wa.rc == LA_OK ? wa.batchref : wb.batchref, "b1");
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products WHERE sku = 'LAMP'"), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations WHERE sku = 'LAMP'"), 1);
	/* nothing of the loser's unit of work, its own sku's line neither */
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations"), 2);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches WHERE ref = 'b1'"), 1);
	/* only the winner's events reached the outbox */
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM outbox"), 2);
	pgt_check_invariants(a);
	pgt_close(b, bus_b);
	pgt_close(a, bus_a);
}

/* Two units of work on the same two products, loaded in opposite orders:
 * their commits lock the product rows in sku order, so the second waits for
 * the first and then fails its version check (40001), where taking them in
 * the order loaded deadlocked (40P01, and only after deadlock_timeout). The
 * test holds KEY-A's row until both commits are seen waiting: a first in
 * line for it, b (loaded KEY-B first) behind it. */
Test(postgres_concurrency, units_on_the_same_skus_lock_them_in_sku_order)
{
	la_bus_options no_retry = LA_BUS_OPTIONS_INIT;
	no_retry.max_retries = 0;
	la_store *a, *b;
	la_bus *bus_a, *bus_b;
	pgt_open(&a, &bus_a, 0, &no_retry);
	pgt_reopen(&b, &bus_b, a, 0, &no_retry);
	create_batches(bus_a);
	PGconn *ctl = test_pg_connect(a);
	cr_assert_not_null(ctl);
	cr_assert_eq(
	    test_pg_exec(ctl, "BEGIN; SELECT 1 FROM products WHERE sku = 'KEY-A' FOR UPDATE"), 0);
	struct worker wa = {bus_a, "o1", -100, "", "", "KEY-A", "KEY-B"},
	              wb = {bus_b, "o2", -100, "", "", "KEY-B", "KEY-A"};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, allocate_after, &wa);
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 1);
	pthread_create(&tb, NULL, allocate_after, &wb);
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 2);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	PQfinish(ctl);
	cr_assert_eq(wa.rc, LA_OK, "a: %d %s", wa.rc, wa.error);
	cr_assert_eq(wb.rc, LA_ECONFLICT, "b: %d %s", wb.rc, wb.error);
	cr_assert(strstr(wb.error, "40001") && !strstr(wb.error, "40P01"), "%s", wb.error);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations"), 2);
	pgt_check_invariants(a);
	pgt_close(b, bus_b);
	pgt_close(a, bus_a);
}

Test(postgres_concurrency, with_retries_both_concurrent_allocations_succeed)
{
	la_store *a, *b;
	la_bus *bus_a, *bus_b;
	pgt_open(&a, &bus_a, 0, NULL);
	pgt_reopen(&b, &bus_b, a, 0, NULL);
	create_batches(bus_a);
	PGconn *ctl = hold_allocations(a);
	struct worker wa = {bus_a, "o1", -100, "", "", "KEY-A", NULL},
	              wb = {bus_b, "o2", -100, "", "", "KEY-B", NULL};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, allocate_after, &wa);
	pthread_create(&tb, NULL, allocate_after, &wb);
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 2);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	PQfinish(ctl);
	cr_assert_eq(wa.rc, LA_OK, "%s", wa.error);
	cr_assert_eq(wb.rc, LA_OK, "%s", wb.error);
	uint64_t retries_a = 0, retries_b = 0;
	la_bus_stats(bus_a, NULL, NULL, &retries_a, NULL);
	la_bus_stats(bus_b, NULL, NULL, &retries_b, NULL);
	cr_assert_eq(retries_a + retries_b, 1);
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products WHERE sku = 'LAMP'"), 3);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches WHERE ref = 'b1'"), 2);
	pgt_check_invariants(a);
	pgt_close(b, bus_b);
	pgt_close(a, bus_a);
}

/* The same race on a unit of work's first product: locked before the
 * snapshot, so the second connection waits for the first's commit and reads
 * it; no conflict, no retry needed (none allowed). */
Test(postgres_concurrency, two_connections_on_one_sku_wait_for_its_lock_instead_of_conflicting)
{
	la_bus_options no_retry = LA_BUS_OPTIONS_INIT;
	no_retry.max_retries = 0;
	la_store *a, *b;
	la_bus *bus_a, *bus_b;
	pgt_open(&a, &bus_a, LA_STORE_OUTBOX, &no_retry);
	pgt_reopen(&b, &bus_b, a, LA_STORE_OUTBOX, &no_retry);
	pgt_create_batch(bus_a, "b1", "LAMP", 10, NULL);
	PGconn *ctl = hold_allocations(a);
	struct worker wa = {bus_a, "o1", -100, "", "", NULL, NULL},
	              wb = {bus_b, "o2", -100, "", "", NULL, NULL};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, allocate_one, &wa);
	pthread_create(&tb, NULL, allocate_one, &wb);
	/* one waits for the table, the other for the product's lock */
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 2);
	cr_assert_eq(product_locks(ctl, a, b, "NOT granted"), 1);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	PQfinish(ctl);
	cr_assert_eq(wa.rc, LA_OK, "%s", wa.error);
	cr_assert_eq(wb.rc, LA_OK, "%s", wb.error);
	cr_assert_str_eq(wa.batchref, "b1");
	cr_assert_str_eq(wb.batchref, "b1");
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products"), 3);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches"), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM outbox"), 2);
	/* both units of work are over: the lock is let go (the unlock travels
	 * after the commit's answer, so give it a moment) */
	PGconn *look = test_pg_connect(a);
	long long held = 1;
	for (int i = 0; i < 500 && held; i++) { /* 5 s */
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
		held = product_locks(look, a, b, "true");
	}
	PQfinish(look);
	cr_assert_eq(held, 0);
	pgt_check_invariants(a);
	pgt_close(b, bus_b);
	pgt_close(a, bus_a);
}

struct creator {
	la_bus *bus;
	const char *ref;
	int rc;
	char error[512];
	const char *first_sku; /* the unit of work's first (locked) product */
};

/* One unit of work: a batch of first_sku's (locked up front), then one of
 * NEW-SKU (only the store's own checks guard it). */
static void *create_one(void *arg)
{
	struct creator *c = arg;
	la_message *first = NULL, *msg = NULL;
	char ref[64];
	snprintf(ref, sizeof ref, "%s-first", c->ref);
	cr_assert_eq(la_command_create_batch(&first, ref, c->first_sku, 5, NULL), LA_OK);
	cr_assert_eq(la_command_create_batch(&msg, c->ref, "NEW-SKU", 5, NULL), LA_OK);
	const la_message *commands[2] = {first, msg};
	c->rc = la_bus_handle_many(c->bus, commands, 2);
	snprintf(c->error, sizeof c->error, "%s", la_error_last());
	la_message_free(first);
	la_message_free(msg);
	return NULL;
}

Test(postgres_concurrency, a_product_created_concurrently_conflicts_then_retries)
{
	/* both find no product NEW-SKU and insert it: the second insert waits for
	 * the first, then violates the primary key → conflict → retry adds its
	 * batch to the product the first created. */
	la_store *a, *b;
	la_bus *bus_a, *bus_b;
	pgt_open(&a, &bus_a, 0, NULL);
	pgt_reopen(&b, &bus_b, a, 0, NULL);
	PGconn *ctl = test_pg_connect(a);
	cr_assert_eq(test_pg_exec(ctl, "BEGIN; LOCK TABLE batches IN EXCLUSIVE MODE"), 0);
	struct creator ca = {bus_a, "ba", -100, "", "KEY-A"}, cb = {bus_b, "bb", -100, "", "KEY-B"};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, create_one, &ca);
	pthread_create(&tb, NULL, create_one, &cb);
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), test_pg_app_name(b), 2);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	PQfinish(ctl);
	cr_assert_eq(ca.rc, LA_OK, "%s", ca.error);
	cr_assert_eq(cb.rc, LA_OK, "%s", cb.error);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM batches WHERE sku = 'NEW-SKU'"), 2);
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products WHERE sku = 'NEW-SKU'"), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM batches"), 4);
	uint64_t retries_a = 0, retries_b = 0;
	la_bus_stats(bus_a, NULL, NULL, &retries_a, NULL);
	la_bus_stats(bus_b, NULL, NULL, &retries_b, NULL);
	cr_assert_eq(retries_a + retries_b, 1);
	pgt_close(b, bus_b);
	pgt_close(a, bus_a);
}

Test(postgres_concurrency, a_backend_terminated_mid_unit_of_work_leaves_nothing_partial)
{
	la_store *a;
	la_bus *bus;
	pgt_open(&a, &bus, LA_STORE_OUTBOX, NULL);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	PGconn *ctl = hold_allocations(a);
	struct worker w = {bus, "o1", -100, "", "", NULL, NULL};
	pthread_t t;
	pthread_create(&t, NULL, allocate_one, &w);
	/* its commit has bumped the version and waits to insert the line */
	pgt_wait_for_lock_waiters(ctl, test_pg_app_name(a), NULL, 1);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	         " WHERE application_name = '%s'",
	         test_pg_app_name(a));
	cr_assert_eq(test_pg_value(ctl, sql), 1);
	cr_assert_eq(test_pg_exec(ctl, "COMMIT"), 0);
	pthread_join(t, NULL);
	PQfinish(ctl);
	cr_assert_eq(w.rc, LA_EDB, "%d %s", w.rc, w.error);
	cr_assert(strstr(w.error, "terminating connection due to administrator command"), "%s",
	          w.error);
	/* the server refused a write before COMMIT: the outcome is known */
	cr_assert(!strstr(w.error, "unknown"), "%s", w.error);
	cr_log_info("terminated: %s", w.error);
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products"), 1);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations"), 0);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches"), 0);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM outbox"), 0);
	/* the next command reconnects */
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, ref, sizeof ref), LA_OK, "%s",
	             la_error_last());
	cr_assert_str_eq(ref, "b1");
	cr_assert_eq(pgt_value(a, "SELECT version_number FROM products"), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM outbox"), 1);
	pgt_check_invariants(a);
	pgt_close(a, bus);
}

/*
 * The connection lost after COMMIT was sent and before its answer came: the
 * proxy lets the server commit and answer, then drops the connection. The
 * client cannot know: LA_EDB saying the outcome is unknown (not "nothing
 * changed"), the bus does not retry on its own, and the caller's retry is
 * safe because Allocate is idempotent per (orderid, sku).
 */
Test(postgres_concurrency, a_connection_lost_during_commit_leaves_the_outcome_unknown)
{
	la_store *a, *via;
	la_bus *bus, *via_bus;
	pgt_open(&a, &bus, LA_STORE_OUTBOX, NULL);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	const char *port = strstr(test_pg_base_conninfo(), "port=");
	cr_assert_not_null(port, "%s", test_pg_base_conninfo());
	struct pg_proxy *proxy = pg_proxy_start((int)strtol(port + 5, NULL, 10));
	char conninfo[700];
	snprintf(conninfo, sizeof conninfo, "%s host=127.0.0.1 port=%d", test_pg_conninfo(a),
	         pg_proxy_port(proxy));
	cr_assert_eq(la_pg_store_open(&via, conninfo, LA_STORE_OUTBOX), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_bus_new(&via_bus, via, NULL), LA_OK);

	pg_proxy_arm(proxy);
	char ref[64];
	cr_assert_eq(pgt_allocate(via_bus, "o1", "LAMP", 2, ref, sizeof ref), LA_EDB);
	cr_assert(strstr(la_error_last(), "the outcome of the commit is unknown"), "%s",
	          la_error_last());
	cr_log_info("lost at commit: %s", la_error_last());
	cr_assert_eq(pg_proxy_drops(proxy), 1);
	uint64_t retries = 1;
	la_bus_stats(via_bus, NULL, NULL, &retries, NULL);
	cr_assert_eq(retries, 0, "the bus ran a commit of unknown outcome again");
	/* it did commit */
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations WHERE orderid = 'o1'"), 1);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches"), 2);

	/* the caller's retry reconnects and finds the line: the same line, once */
	cr_assert_eq(pgt_allocate(via_bus, "o1", "LAMP", 2, ref, sizeof ref), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(pg_proxy_connections(proxy), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM allocations"), 1);
	cr_assert_eq(pgt_value(a, "SELECT allocated FROM batches"), 2);
	cr_assert_eq(pgt_value(a, "SELECT count(*) FROM outbox"), 1);
	pgt_check_invariants(a);
	la_bus_free(via_bus);
	la_store_free(via);
	pg_proxy_stop(proxy);
	pgt_close(a, bus);
}

/* ---- many threads, one sku ---- */

#define THREADS    8
#define PER_THREAD 500
#define STOCK      1000

struct hammer {
	la_store *store;
	la_bus *bus;
	int index;
	int allocated, out_of_stock, failed;
	char error[256];
	unsigned char got[PER_THREAD]; /* 1 when that order was allocated */
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char orderid[32], ref[64];
		snprintf(orderid, sizeof orderid, "t%d-o%d", h->index, i);
		int rc = pgt_allocate(h->bus, orderid, "LAMP", 1, ref, sizeof ref);
		if (rc != LA_OK) {
			h->failed++;
			snprintf(h->error, sizeof h->error, "%s", la_error_last());
		} else if (ref[0]) {
			h->allocated++;
			h->got[i] = 1;
		} else {
			h->out_of_stock++;
		}
	}
	return NULL;
}

Test(postgres_concurrency, eight_connections_never_oversell_one_sku, .timeout = 240)
{
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.max_retries = 1000; /* the point is correctness, not giving up */
	la_store *first;
	la_bus *first_bus;
	pgt_open(&first, &first_bus, 0, &opts);
	pgt_create_batch(first_bus, "b1", "LAMP", STOCK, NULL);
	static struct hammer hs[THREADS];
	pthread_t threads[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&hs[i], 0, sizeof hs[i]);
		hs[i].index = i;
		pgt_reopen(&hs[i].store, &hs[i].bus, first, 0, &opts);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, hammer_run, &hs[i]);
	int allocated = 0, out_of_stock = 0;
	uint64_t retries = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		cr_expect_eq(hs[i].failed, 0, "thread %d: %s", i, hs[i].error);
		allocated += hs[i].allocated;
		out_of_stock += hs[i].out_of_stock;
		uint64_t r = 0;
		la_bus_stats(hs[i].bus, NULL, NULL, &r, NULL);
		retries += r;
	}
	cr_log_info("%d allocated, %d out of stock, %llu retries", allocated, out_of_stock,
	            (unsigned long long)retries);
	cr_assert_eq(allocated, STOCK);
	cr_assert_eq(out_of_stock, THREADS * PER_THREAD - STOCK);
	cr_assert_eq(pgt_value(first, "SELECT allocated FROM batches"), STOCK);
	cr_assert_eq(pgt_value(first, "SELECT line_count FROM batches"), STOCK);
	cr_assert_eq(pgt_value(first, "SELECT count(*) FROM allocations"), STOCK);
	cr_assert_eq(pgt_value(first, "SELECT version_number FROM products"), 1 + STOCK);
	pgt_check_invariants(first);
	/* the read model agrees with what each command was told */
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < PER_THREAD; i++) {
			char orderid[32];
			snprintf(orderid, sizeof orderid, "t%d-o%d", t, i);
			la_allocation_list *list = NULL;
			cr_assert_eq(la_view_allocations(&list, first, orderid), LA_OK);
			cr_assert_eq(la_allocation_list_count(list), hs[t].got[i], "%s", orderid);
			la_allocation_list_free(list);
		}
	for (int i = 0; i < THREADS; i++)
		pgt_close(hs[i].store, hs[i].bus);
	pgt_close(first, first_bus);
}
