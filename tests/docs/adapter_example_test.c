/*
 * The worked adapter example of docs/adapters.md (examples/adapter), run
 * through la_bus_handle: allocation order, out of stock, idempotency,
 * reallocation after a quantity change and a cancellation, deallocation,
 * both read models, the outbox, a second connection, and two threads racing
 * on one product (the optimistic version check). After each scenario the
 * rows themselves are checked: each batch row's stored figures equal what
 * its line rows say, so the deltas written at commit add up.
 */
#include "array_db.h"
#include "array_store.h"

#include <allocation/allocation.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static array_db *db;
static la_store *store;
static la_bus *bus;
static char notified[8][300];
static int notify_count;

static int record_notification(const char *destination, const char *message, void *payload)
{
	if (notify_count < 8)
		snprintf(notified[notify_count++], sizeof notified[0], "%s: %s", destination,
		         message);
	return LA_OK;
}

static void open_store(unsigned int flags)
{
	cr_assert_eq(array_db_new(&db), LA_OK, "%s", la_error_last());
	cr_assert_eq(array_store_open(&store, db, flags), LA_OK, "%s", la_error_last());
	la_bus_options opts;
	cr_assert_eq(la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION), LA_OK);
	opts.notify = record_notification;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());
	notify_count = 0;
}

static void setup(void)
{
	open_store(0);
}

/* Every batch row's allocated quantity and line count match its line rows. */
static void check_rows(void)
{
	for (size_t i = 0; i < db->batches.count; i++) {
		const batch_row *b = table_at(&db->batches, i);
		int64_t qty = 0, lines = 0;
		for (size_t k = 0; k < db->lines.count; k++) {
			const line_row *line = table_at(&db->lines, k);
			if (strcmp(line->batchref, b->ref) == 0) {
				qty += line->qty;
				lines++;
			}
		}
		cr_expect_eq(b->allocated, qty, "batch row %s: allocated %lld, lines say %lld",
		             b->ref, (long long)b->allocated, (long long)qty);
		cr_expect_eq(b->lines, lines, "batch row %s: %lld lines, line rows %lld", b->ref,
		             (long long)b->lines, (long long)lines);
	}
}

static void teardown(void)
{
	if (db)
		check_rows();
	la_bus_free(bus);
	la_store_free(store);
	array_db_free(db);
	bus = NULL;
	store = NULL;
	db = NULL;
}

TestSuite(adapter_example, .init = setup, .fini = teardown);

static int handle(int made, la_message *m)
{
	cr_assert_eq(made, LA_OK, "command not made: %s", la_error_last());
	int rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

static void add_batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	int made = la_command_create_batch(&m, ref, sku, qty, eta);
	cr_assert_eq(handle(made, m), LA_OK, "add batch %s: %s", ref, la_error_last());
}

/* Allocate; returns the batch ref ("" when out of stock), asserting LA_OK. */
static const char *allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int made = la_command_allocate(&m, orderid, sku, qty);
	cr_assert_eq(handle(made, m), LA_OK, "allocate %s: %s", orderid, la_error_last());
	const char *ref = la_bus_result_batchref(bus);
	return ref ? ref : "";
}

static int change_quantity(const char *ref, int64_t qty)
{
	la_message *m = NULL;
	int made = la_command_change_batch_quantity(&m, ref, qty);
	return handle(made, m);
}

/* The allocations view of orderid as "sku:batchref sku:batchref". */
static char *allocations_of(const char *orderid)
{
	static char text[512];
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	text[0] = '\0';
	for (size_t i = 0; i < la_allocation_list_count(list); i++)
		snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s:%s", i ? " " : "",
		         la_allocation_list_sku(list, i), la_allocation_list_batchref(list, i));
	la_allocation_list_free(list);
	return text;
}

/* One dashboard row as "ref purchased/allocated/available/lines". */
static char *dashboard_row(const char *ref)
{
	static char text[128];
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, LA_BATCH_PAGE_MAX, NULL), LA_OK);
	snprintf(text, sizeof text, "%s missing", ref);
	for (size_t i = 0; i < la_batch_page_count(page); i++) {
		if (strcmp(la_batch_page_ref(page, i), ref) == 0)
			snprintf(text, sizeof text, "%s %lld/%lld/%lld/%lld", ref,
			         (long long)la_batch_page_purchased(page, i),
			         (long long)la_batch_page_allocated(page, i),
			         (long long)la_batch_page_available(page, i),
			         (long long)la_batch_page_lines(page, i));
	}
	la_batch_page_free(page);
	return text;
}

Test(adapter_example, prefers_in_stock_then_earlier_eta)
{
	add_batch("slow", "CLOCK", 100, "2011-01-03");
	add_batch("speedy", "CLOCK", 100, "2011-01-02");
	add_batch("in-stock", "CLOCK", 100, NULL);
	cr_expect_str_eq(allocate("o1", "CLOCK", 10), "in-stock");
	cr_expect_str_eq(allocate("o2", "CLOCK", 95), "speedy");
	cr_expect_str_eq(allocate("o3", "CLOCK", 96), "slow");
	cr_expect_str_eq(dashboard_row("in-stock"), "in-stock 100/10/90/1");
	cr_expect_str_eq(allocations_of("o2"), "CLOCK:speedy");
}

Test(adapter_example, out_of_stock_is_an_outcome_with_a_notification)
{
	add_batch("b1", "SMALL-FORK", 10, NULL);
	cr_expect_str_eq(allocate("o1", "SMALL-FORK", 10), "b1");
	cr_expect_str_eq(allocate("o2", "SMALL-FORK", 1), "");
	cr_assert_eq(notify_count, 1);
	cr_expect_str_eq(notified[0], "stock@made.com: Out of stock for SMALL-FORK");
	cr_expect_str_eq(allocations_of("o2"), "");
	cr_expect_str_eq(dashboard_row("b1"), "b1 10/10/0/1");
}

Test(adapter_example, unknown_sku_and_batch_are_errors)
{
	la_message *m = NULL;
	int made = la_command_allocate(&m, "o1", "NONEXISTENTSKU", 10);
	cr_expect_eq(handle(made, m), LA_ENOTFOUND);
	cr_expect_str_eq(la_error_last(), "Invalid sku NONEXISTENTSKU");
	cr_expect_eq(change_quantity("nope", 5), LA_ENOTFOUND);
	cr_expect_str_eq(la_error_last(), "Invalid batch reference nope");
}

Test(adapter_example, allocation_is_idempotent_per_order_and_sku)
{
	add_batch("b1", "LAMP", 10, NULL);
	add_batch("b2", "LAMP", 10, NULL);
	cr_expect_str_eq(allocate("o1", "LAMP", 6), "b1");
	/* a redelivered command: same batch, nothing written twice */
	cr_expect_str_eq(allocate("o1", "LAMP", 6), "b1");
	cr_expect_str_eq(dashboard_row("b1"), "b1 10/6/4/1");
	la_message *m = NULL;
	int made = la_command_allocate(&m, "o1", "LAMP", 7);
	cr_expect_eq(handle(made, m), LA_ECONFLICT, "%s", la_error_last());
	/* the failed command left nothing behind */
	cr_expect_str_eq(dashboard_row("b1"), "b1 10/6/4/1");
	cr_expect_str_eq(dashboard_row("b2"), "b2 10/0/10/0");
	cr_expect_str_eq(allocations_of("o1"), "LAMP:b1");
}

Test(adapter_example, change_quantity_reallocates_most_recent_lines)
{
	/* the book's scenario: two batches of 50, two orders of 20, batch1 → 25 */
	add_batch("batch1", "INDIFFERENT-TABLE", 50, NULL);
	add_batch("batch2", "INDIFFERENT-TABLE", 50, "2011-01-02");
	cr_expect_str_eq(allocate("order1", "INDIFFERENT-TABLE", 20), "batch1");
	cr_expect_str_eq(allocate("order2", "INDIFFERENT-TABLE", 20), "batch1");
	cr_assert_eq(change_quantity("batch1", 25), LA_OK, "%s", la_error_last());
	cr_expect_str_eq(dashboard_row("batch1"), "batch1 25/20/5/1");
	cr_expect_str_eq(dashboard_row("batch2"), "batch2 50/20/30/1");
	cr_expect_str_eq(allocations_of("order1"), "INDIFFERENT-TABLE:batch1");
	cr_expect_str_eq(allocations_of("order2"), "INDIFFERENT-TABLE:batch2");
	/* raising it again loads no lines and moves none back */
	cr_assert_eq(change_quantity("batch1", 60), LA_OK, "%s", la_error_last());
	cr_expect_str_eq(dashboard_row("batch1"), "batch1 60/20/40/1");
}

Test(adapter_example, cancel_batch_reallocates_each_line)
{
	add_batch("boat", "SOFA", 10, NULL);
	add_batch("truck", "SOFA", 10, "2011-01-05");
	cr_expect_str_eq(allocate("o1", "SOFA", 3), "boat");
	cr_expect_str_eq(allocate("o2", "SOFA", 4), "boat");
	la_message *m = NULL;
	int made = la_command_cancel_batch(&m, "boat");
	cr_assert_eq(handle(made, m), LA_OK, "%s", la_error_last());
	cr_expect_str_eq(dashboard_row("boat"), "boat missing");
	cr_expect_str_eq(dashboard_row("truck"), "truck 10/7/3/2");
	cr_expect_str_eq(allocations_of("o1"), "SOFA:truck");
	cr_expect_str_eq(allocations_of("o2"), "SOFA:truck");
}

Test(adapter_example, deallocate_updates_the_read_model)
{
	add_batch("b1", "RUG", 10, NULL);
	cr_expect_str_eq(allocate("o1", "RUG", 4), "b1");
	la_message *m = NULL;
	int made = la_command_deallocate(&m, "o1", "RUG");
	cr_assert_eq(handle(made, m), LA_OK, "%s", la_error_last());
	cr_expect_str_eq(allocations_of("o1"), "");
	cr_expect_str_eq(dashboard_row("b1"), "b1 10/0/10/0");
	m = NULL;
	made = la_command_deallocate(&m, "o1", "RUG");
	cr_expect_eq(handle(made, m), LA_ENOTFOUND);
}

Test(adapter_example, allocations_view_keeps_allocation_order)
{
	add_batch("t1", "TABLE", 10, NULL);
	add_batch("c1", "CHAIR", 10, NULL);
	add_batch("l1", "LAMP", 10, NULL);
	allocate("o1", "TABLE", 1);
	allocate("o1", "CHAIR", 1);
	allocate("o1", "LAMP", 1);
	allocate("o2", "LAMP", 1);
	cr_expect_str_eq(allocations_of("o1"), "TABLE:t1 CHAIR:c1 LAMP:l1");
	cr_expect_str_eq(allocations_of("unknown"), "");
}

Test(adapter_example, dashboard_pages_in_sku_then_preference_order)
{
	add_batch("b-late", "B-SKU", 5, "2011-02-01");
	add_batch("b-stock", "B-SKU", 5, NULL);
	add_batch("a-2", "A-SKU", 5, "2011-01-01");
	add_batch("a-1", "A-SKU", 5, "2011-01-01");
	add_batch("b-early", "B-SKU", 5, "2011-01-15");
	const char *expected[] = {"a-2", "a-1", "b-stock", "b-early", "b-late"};
	size_t seen = 0, pages = 0;
	char *cursor = NULL;
	do {
		la_batch_page *page = NULL;
		cr_assert_eq(la_view_batches(&page, store, NULL, 2, cursor), LA_OK, "%s",
		             la_error_last());
		for (size_t i = 0; i < la_batch_page_count(page) && seen < 5; i++)
			cr_expect_str_eq(la_batch_page_ref(page, i), expected[seen++]);
		free(cursor);
		cursor = la_batch_page_next(page) ? strdup(la_batch_page_next(page)) : NULL;
		la_batch_page_free(page);
		pages++;
	} while (cursor && pages < 10);
	cr_expect_eq(seen, 5);
	cr_expect_eq(pages, 3, "5 rows in pages of 2 is 3 pages, got %zu", pages);

	la_batch_page *only_b = NULL;
	cr_assert_eq(la_view_batches(&only_b, store, "B-SKU", 0, NULL), LA_OK);
	cr_expect_eq(la_batch_page_count(only_b), 3);
	cr_expect_null(la_batch_page_next(only_b));
	la_batch_page_free(only_b);
}

Test(adapter_example, a_second_connection_sees_committed_rows)
{
	add_batch("b1", "MIRROR", 10, NULL);
	allocate("o1", "MIRROR", 2);
	la_store *other = NULL;
	la_bus *other_bus = NULL;
	cr_assert_eq(array_store_open(&other, db, 0), LA_OK);
	cr_assert_eq(la_bus_new(&other_bus, other, NULL), LA_OK);
	la_message *m = NULL;
	cr_assert_eq(la_command_allocate(&m, "o2", "MIRROR", 3), LA_OK);
	cr_expect_eq(la_bus_handle(other_bus, m), LA_OK, "%s", la_error_last());
	la_message_free(m);
	cr_expect_str_eq(la_bus_result_batchref(other_bus), "b1");
	/* and the first connection, reloading from the rows, sees that */
	cr_expect_str_eq(dashboard_row("b1"), "b1 10/5/5/2");
	cr_expect_str_eq(allocate("o3", "MIRROR", 5), "b1");
	cr_expect_str_eq(allocate("o4", "MIRROR", 1), "");
	la_bus_free(other_bus);
	la_store_free(other);
}

/* ---- the outbox ---- */

static char published[8][300];
static int publish_count, publish_fail_after = -1;

static int record_publish(const char *channel, const char *json, void *payload)
{
	if (publish_fail_after >= 0 && publish_count >= publish_fail_after)
		return LA_EIO; /* the broker is down */
	if (publish_count < 8)
		snprintf(published[publish_count++], sizeof published[0], "%s %s", channel, json);
	return LA_OK;
}

Test(adapter_example_outbox, relays_allocated_events_after_commit, .fini = teardown)
{
	open_store(LA_STORE_OUTBOX);
	cr_assert(la_store_has_outbox(store));
	add_batch("b1", "VASE", 10, NULL);
	allocate("o1", "VASE", 2);
	allocate("o2", "VASE", 20); /* out of stock: nothing for the outbox */
	allocate("o3", "VASE", 3);

	publish_count = 0;
	publish_fail_after = 1; /* the broker takes one message, then fails */
	size_t sent = 0;
	cr_expect_eq(la_store_relay_outbox(&sent, store, 0, record_publish, NULL), LA_EIO);
	cr_expect_eq(sent, 1);
	publish_fail_after = -1; /* back up: the rest is still queued */
	cr_expect_eq(la_store_relay_outbox(&sent, store, 0, record_publish, NULL), LA_OK);
	cr_expect_eq(sent, 1);
	cr_assert_eq(publish_count, 2);
	cr_expect_str_eq(published[0], "line_allocated {\"id\":\"array-1\",\"orderid\":\"o1\","
	                               "\"sku\":\"VASE\",\"qty\":2,\"batchref\":\"b1\"}");
	cr_expect_str_eq(published[1], "line_allocated {\"id\":\"array-2\",\"orderid\":\"o3\","
	                               "\"sku\":\"VASE\",\"qty\":3,\"batchref\":\"b1\"}");
	cr_expect_eq(la_store_relay_outbox(&sent, store, 0, record_publish, NULL), LA_OK);
	cr_expect_eq(sent, 0);
}

Test(adapter_example, without_outbox_the_relay_is_unsupported)
{
	size_t sent = 7;
	cr_expect_not(la_store_has_outbox(store));
	cr_expect_eq(la_store_relay_outbox(&sent, store, 0, record_publish, NULL), LA_EUNSUPPORTED);
	cr_expect_eq(sent, 0);
}

/* ---- two connections racing on one product ---- */

#define RACERS      2
#define ORDERS_EACH 1000
#define STOCK       1500

typedef struct racer {
	int id;
	int allocated, out_of_stock, failed;
	uint64_t retries;
} racer;

static pthread_barrier_t start_line;

static void *race(void *arg)
{
	racer *r = arg;
	pthread_barrier_wait(&start_line);
	la_store *connection = NULL;
	la_bus *own_bus = NULL;
	la_bus_options opts;
	la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION);
	opts.max_retries = 1000;
	opts.retry_delay_us = 10;
	if (array_store_open(&connection, db, 0) != LA_OK ||
	    la_bus_new(&own_bus, connection, &opts) != LA_OK) {
		r->failed = ORDERS_EACH;
		la_store_free(connection);
		return NULL;
	}
	for (int i = 0; i < ORDERS_EACH; i++) {
		char orderid[32];
		snprintf(orderid, sizeof orderid, "racer%d-%d", r->id, i);
		la_message *m = NULL;
		if (la_command_allocate(&m, orderid, "RACE", 1) != LA_OK ||
		    la_bus_handle(own_bus, m) != LA_OK)
			r->failed++;
		else if (la_bus_result_batchref(own_bus))
			r->allocated++;
		else
			r->out_of_stock++;
		la_message_free(m);
	}
	la_bus_stats(own_bus, NULL, NULL, &r->retries, NULL);
	la_bus_free(own_bus);
	la_store_free(connection);
	return NULL;
}

Test(adapter_example, racing_connections_never_over_allocate)
{
	add_batch("only", "RACE", STOCK, NULL);
	pthread_t threads[RACERS];
	racer racers[RACERS] = {{0}};
	cr_assert_eq(pthread_barrier_init(&start_line, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++) {
		racers[i].id = i;
		cr_assert_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
	}
	int allocated = 0, out_of_stock = 0;
	uint64_t retries = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		cr_expect_eq(racers[i].failed, 0, "racer %d: %d commands failed", i,
		             racers[i].failed);
		allocated += racers[i].allocated;
		out_of_stock += racers[i].out_of_stock;
		retries += racers[i].retries;
	}
	pthread_barrier_destroy(&start_line);
	cr_log_info("%d allocated, %d out of stock, %llu retries after conflicts", allocated,
	            out_of_stock, (unsigned long long)retries);
	/* each allocation was checked against the stock as committed */
	cr_expect_eq(allocated, STOCK);
	cr_expect_eq(out_of_stock, RACERS * ORDERS_EACH - STOCK);
	cr_expect_str_eq(dashboard_row("only"), "only 1500/1500/0/1500");
	const product_row *row = db_product(db, "RACE");
	cr_assert_not_null(row);
	cr_expect_eq(row->version, 1 + STOCK, "version %lld: one bump per change",
	             (long long)row->version);
}
