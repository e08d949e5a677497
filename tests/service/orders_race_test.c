/*
 * Whole orders and holds under concurrency (issue 13), on whatever store
 * tests/support/store_factory.h opens: each thread has its own connection
 * (test_store_reopen), or shares the store where there is no second one
 * (memory: its units of work are serialised by the store).
 *
 * 1. Four threads place whole orders over overlapping skus, each order
 *    naming its skus in another order: no deadlock and no failure, every
 *    order all or nothing, no sku oversold, the dashboard equal to the lines.
 * 2. ExpireHolds races Confirm and Allocate over held stock, holds ending
 *    one second apart as the expirer's clock moves: each held line ends
 *    confirmed or expired, never both, and the figures equal the lines.
 */
#include "store_factory.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define T0 1000000 /* the test clock: holds are taken at T0 */

static int64_t test_clock(void *payload)
{
	(void)payload;
	return T0;
}

struct conn {
	la_store *store; /* NULL: shares the first one */
	la_bus *bus;
};

static la_store *first;

static void conn_open(struct conn *c, int own)
{
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.clock = test_clock;
	opts.max_retries = 1000; /* the point is correctness, not giving up */
	c->store = NULL;
	if (own) {
		int rc = test_store_reopen(&c->store, first);
		cr_assert(rc == LA_OK || rc == LA_EUNSUPPORTED, "%s", la_error_last());
	}
	cr_assert_eq(la_bus_new(&c->bus, c->store ? c->store : first, &opts), LA_OK, "%s",
	             la_error_last());
}

static void conn_close(struct conn *c)
{
	la_bus_free(c->bus);
	la_store_free(c->store);
}

/* run(bus, la_command_x(&m, ...), &m): *m is read after the constructor ran. */
static int run(la_bus *bus, int built, la_message **m)
{
	cr_assert_eq(built, LA_OK, "%s", la_error_last());
	int rc = la_bus_handle(bus, *m);
	la_message_free(*m);
	*m = NULL;
	return rc;
}

static void create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty)
{
	la_message *m;
	int rc = run(bus, la_command_create_batch(&m, ref, sku, qty, NULL), &m);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
}

/* The dashboard row of ref. */
static void figures(const char *ref, int64_t *allocated, int64_t *held, int64_t *purchased)
{
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, first, ref), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	*allocated = la_batch_page_allocated(page, 0);
	*held = la_batch_page_held(page, 0);
	*purchased = la_batch_page_purchased(page, 0);
	la_batch_page_free(page);
}

static size_t rows_of(const char *orderid, int *status_out)
{
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, first, orderid), LA_OK, "%s", la_error_last());
	size_t n = la_allocation_list_count(list);
	if (status_out)
		*status_out = n ? la_allocation_list_status(list, 0) : 0;
	la_allocation_list_free(list);
	return n;
}

/* ---- 1. whole orders ---- */

#define SKUS       4
#define THREADS    4
#define ORDERS     30 /* per thread */
#define SKU_STOCK  100
#define ORDER_SKUS 3

static const char *const sku_names[SKUS] = {"RACE-A", "RACE-B", "RACE-C", "RACE-D"};

struct placer {
	struct conn conn;
	int index;
	int outcome[ORDERS]; /* LA_OUTCOME_* */
	int failed;
	char error[256];
};

/* Order i of thread t: three of the four skus, named in an order that
 * differs between threads, qty 1 to 3. */
static void order_lines(int t, int i, const char **skus, int64_t *qtys)
{
	for (int k = 0; k < ORDER_SKUS; k++) {
		int s = (t + i + (t % 2 ? ORDER_SKUS - 1 - k : k)) % SKUS;
		skus[k] = sku_names[s];
		qtys[k] = 1 + (t + i + k) % 3;
	}
}

static void *place_orders(void *arg)
{
	struct placer *p = arg;
	for (int i = 0; i < ORDERS; i++) {
		char orderid[32];
		const char *skus[ORDER_SKUS];
		int64_t qtys[ORDER_SKUS];
		(void)snprintf(orderid, sizeof orderid, "t%d-o%d", p->index, i);
		order_lines(p->index, i, skus, qtys);
		la_message *m = NULL;
		int rc = la_command_allocate_order(&m, orderid, skus, qtys, ORDER_SKUS, 0);
		if (rc == LA_OK)
			rc = la_bus_handle(p->conn.bus, m);
		la_message_free(m);
		if (rc != LA_OK) {
			p->failed++;
			(void)snprintf(p->error, sizeof p->error, "%s", la_error_last());
			continue;
		}
		p->outcome[i] = la_bus_result_outcome(p->conn.bus, 0);
	}
	return NULL;
}

Test(orders_race, four_threads_place_whole_orders_over_overlapping_skus)
{
	cr_assert_eq(test_store_open(&first), LA_OK, "%s", la_error_last());
	struct conn setup;
	conn_open(&setup, 0);
	for (int s = 0; s < SKUS; s++) {
		char ref[32];
		(void)snprintf(ref, sizeof ref, "batch-%d", s);
		create_batch(setup.bus, ref, sku_names[s], SKU_STOCK);
	}
	static struct placer placers[THREADS];
	pthread_t threads[THREADS];
	for (int t = 0; t < THREADS; t++) {
		memset(&placers[t], 0, sizeof placers[t]);
		placers[t].index = t;
		conn_open(&placers[t].conn, 1);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, place_orders, &placers[t]);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);

	int64_t wanted[SKUS] = {0};
	int placed = 0, short_orders = 0;
	for (int t = 0; t < THREADS; t++) {
		cr_expect_eq(placers[t].failed, 0, "thread %d: %s", t, placers[t].error);
		for (int i = 0; i < ORDERS; i++) {
			char orderid[32];
			const char *skus[ORDER_SKUS];
			int64_t qtys[ORDER_SKUS];
			(void)snprintf(orderid, sizeof orderid, "t%d-o%d", t, i);
			order_lines(t, i, skus, qtys);
			size_t rows = rows_of(orderid, NULL);
			if (placers[t].outcome[i] == LA_OUTCOME_ALLOCATED) {
				placed++;
				cr_assert_eq(rows, ORDER_SKUS, "%s: a partial order", orderid);
				for (int k = 0; k < ORDER_SKUS; k++)
					for (int s = 0; s < SKUS; s++)
						wanted[s] += strcmp(skus[k], sku_names[s]) == 0
						                 ? qtys[k]
						                 : 0;
			} else {
				cr_assert_eq(placers[t].outcome[i], LA_OUTCOME_OUT_OF_STOCK, "%s",
				             orderid);
				short_orders++;
				cr_assert_eq(rows, 0, "%s was short yet kept %zu lines", orderid,
				             rows);
			}
		}
	}
	cr_log_info("%s: %d orders placed, %d short", test_store_name(), placed, short_orders);
	cr_assert(placed > 0 && short_orders > 0, "the stock must run out during the race");
	for (int s = 0; s < SKUS; s++) {
		char ref[32];
		int64_t allocated, held, purchased;
		(void)snprintf(ref, sizeof ref, "batch-%d", s);
		figures(ref, &allocated, &held, &purchased);
		cr_assert_eq(allocated, wanted[s], "%s: the dashboard differs from the orders",
		             sku_names[s]);
		cr_assert(allocated <= purchased, "%s oversold", sku_names[s]);
		cr_assert_eq(held, 0);
	}
	for (int t = 0; t < THREADS; t++)
		conn_close(&placers[t].conn);
	conn_close(&setup);
	la_store_free(first);
}

/* ---- 2. expiry racing confirmation and allocation ---- */

#define HOLDS      40 /* held orders of 2 units: all the stock */
#define NEWCOMERS  60 /* permanent one-unit orders racing for freed stock */
#define HOLD_STOCK ((int64_t)2 * HOLDS)

struct racer {
	struct conn conn;
	int role; /* 0 confirm, 1 expire, 2 and 3 allocate */
	int rc[NEWCOMERS > HOLDS ? NEWCOMERS : HOLDS];
	int got[NEWCOMERS];
	int failed;
	char error[256];
};

static pthread_barrier_t start_line;

static void *race(void *arg)
{
	struct racer *r = arg;
	la_message *m = NULL;
	char orderid[32];
	pthread_barrier_wait(&start_line);
	if (r->role == 0) { /* confirm every other held order */
		for (int i = 0; i < HOLDS; i += 2) {
			(void)snprintf(orderid, sizeof orderid, "held-%d", i);
			r->rc[i] = run(r->conn.bus, la_command_confirm(&m, orderid), &m);
			if (r->rc[i] != LA_OK && r->rc[i] != LA_ENOTFOUND) {
				r->failed++;
				(void)snprintf(r->error, sizeof r->error, "%s", la_error_last());
			}
		}
	} else if (r->role == 1) { /* hold i ends at T0 + 1 + i: the clock moves on */
		for (int step = 1; step <= HOLDS; step++) {
			int rc = run(r->conn.bus, la_command_expire_holds(&m, T0 + step), &m);
			if (rc != LA_OK) {
				r->failed++;
				(void)snprintf(r->error, sizeof r->error, "%s", la_error_last());
			}
		}
	} else {
		for (int i = r->role - 2; i < NEWCOMERS; i += 2) {
			(void)snprintf(orderid, sizeof orderid, "new-%d", i);
			int rc = run(r->conn.bus,
			             la_command_allocate_with(&m, orderid, "HELD", 1, 0, NULL), &m);
			if (rc != LA_OK) {
				r->failed++;
				(void)snprintf(r->error, sizeof r->error, "%s", la_error_last());
			} else {
				r->got[i] =
				    la_bus_result_outcome(r->conn.bus, 0) == LA_OUTCOME_ALLOCATED;
			}
		}
	}
	return NULL;
}

Test(orders_race, expiry_races_confirmation_and_allocation)
{
	cr_assert_eq(test_store_open(&first), LA_OK, "%s", la_error_last());
	struct conn setup;
	conn_open(&setup, 0);
	create_batch(setup.bus, "held-batch", "HELD", HOLD_STOCK);
	for (int i = 0; i < HOLDS; i++) {
		char orderid[32];
		la_message *m;
		(void)snprintf(orderid, sizeof orderid, "held-%d", i);
		int rc = run(setup.bus,
		             la_command_allocate_with(&m, orderid, "HELD", 2, 1 + i, NULL), &m);
		cr_assert_eq(rc, LA_OK, "%s", la_error_last());
	}
	int64_t allocated, held, purchased;
	figures("held-batch", &allocated, &held, &purchased);
	cr_assert_eq(held, HOLD_STOCK, "every unit is held before the race");

	static struct racer racers[4];
	pthread_t threads[4];
	for (int t = 0; t < 4; t++) {
		memset(&racers[t], 0, sizeof racers[t]);
		racers[t].role = t;
		conn_open(&racers[t].conn, 1);
	}
	pthread_barrier_init(&start_line, NULL, 4);
	for (int t = 0; t < 4; t++)
		pthread_create(&threads[t], NULL, race, &racers[t]);
	for (int t = 0; t < 4; t++) {
		pthread_join(threads[t], NULL);
		cr_expect_eq(racers[t].failed, 0, "racer %d: %s", t, racers[t].error);
	}
	pthread_barrier_destroy(&start_line);
	/* what the race left unexpired ends now */
	la_message *m;
	cr_assert_eq(run(setup.bus, la_command_expire_holds(&m, T0 + HOLDS + 1), &m), LA_OK, "%s",
	             la_error_last());

	int64_t lines = 0;
	int confirmed = 0, expired = 0, newcomers = 0;
	for (int i = 0; i < HOLDS; i++) {
		char orderid[32];
		int status = 0;
		(void)snprintf(orderid, sizeof orderid, "held-%d", i);
		size_t rows = rows_of(orderid, &status);
		int confirm_won = i % 2 == 0 && racers[0].rc[i] == LA_OK;
		if (confirm_won) {
			cr_assert_eq(rows, 1, "%s was confirmed, then lost", orderid);
			cr_assert_eq(status, LA_LINE_ALLOCATED, "%s confirmed yet %d", orderid,
			             status);
			confirmed++;
			lines += 2;
		} else {
			cr_assert_eq(rows, 0, "%s should have expired", orderid);
			expired++;
		}
	}
	for (int i = 0; i < NEWCOMERS; i++) {
		char orderid[32];
		int status = 0;
		(void)snprintf(orderid, sizeof orderid, "new-%d", i);
		int got = racers[2 + i % 2].got[i];
		cr_assert_eq(rows_of(orderid, &status), (size_t)got, "%s", orderid);
		if (got) {
			cr_assert_eq(status, LA_LINE_ALLOCATED);
			newcomers++;
			lines++;
		}
	}
	cr_log_info("%s: %d confirmed, %d expired, %d newcomers placed", test_store_name(),
	            confirmed, expired, newcomers);
	figures("held-batch", &allocated, &held, &purchased);
	cr_assert_eq(held, 0, "no hold is left");
	cr_assert_eq(allocated, lines, "the dashboard differs from the lines");
	cr_assert(allocated <= purchased, "oversold");
	for (int t = 0; t < 4; t++)
		conn_close(&racers[t].conn);
	conn_close(&setup);
	la_store_free(first);
}
