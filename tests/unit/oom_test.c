/*
 * Out-of-memory sweep: make the N-th allocation the library performs fail,
 * for N = 1, 2, ... until a whole scenario (memory store + bus: batches,
 * allocations, deallocation, quantity change, cancellation, views) runs
 * without reaching it. Every step returns LA_OK or LA_ENOMEM, nothing
 * crashes, and when everything is freed no block is left live.
 */
#include <allocation/allocation.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The counting allocator. Criterion runs each test in its own process, so
 * process-wide state is private to the test. */
static uint64_t calls;          /* malloc/realloc calls since the run started */
static uint64_t fail_at;        /* the call that fails (0: none) */
static int fired;               /* the failure happened in this run */
static int64_t live;            /* blocks allocated and not freed */
static uint64_t scenario_calls; /* calls up to the consistency check */

static int should_fail(void)
{
	if (++calls == fail_at) {
		fired = 1;
		return 1;
	}
	return 0;
}

static void *counting_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	void *p = malloc(size);
	if (p)
		live++;
	return p;
}

static void *counting_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	void *p = realloc(ptr, size ? size : 1);
	if (p && !ptr)
		live++;
	return p;
}

static void counting_free(void *ptr)
{
	if (ptr)
		live--;
	free(ptr);
}

/* A step's status: LA_OK or LA_ENOMEM before the failure fired; afterwards
 * (with memory back) ordinary outcomes of a store that lost one change. */
static int check(int rc, const char *step)
{
	if (rc == LA_ENOMEM) {
		cr_assert(fired, "%s: LA_ENOMEM but no allocation failed (N=%llu)", step,
		          (unsigned long long)fail_at);
		return rc;
	}
	if (rc == LA_OK)
		return rc;
	cr_assert(fired && (rc == LA_ENOTFOUND || rc == LA_ECONFLICT),
	          "%s: %s (%s) with the failure at allocation %llu%s", step, la_strerror(rc),
	          la_error_last(), (unsigned long long)fail_at, fired ? " (already fired)" : "");
	return rc;
}

static int handle(la_bus *bus, la_message *m, int rc, const char *step)
{
	if (rc != LA_OK) {
		cr_assert_null(m, "%s: message made despite %s", step, la_strerror(rc));
		return check(rc, step);
	}
	rc = la_bus_handle(bus, m);
	la_message_free(m);
	return check(rc, step);
}

static int create(la_bus *bus, const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	int rc = la_command_create_batch(&m, ref, sku, qty, eta);
	return handle(bus, m, rc, ref);
}

static int allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int rc = la_command_allocate(&m, orderid, sku, qty);
	return handle(bus, m, rc, orderid);
}

static int read_views(la_store *store)
{
	la_allocation_list *list = NULL;
	int rc = check(la_view_allocations(&list, store, "o1"), "view allocations");
	cr_assert(rc == LA_OK || list == NULL);
	la_allocation_list_free(list);
	la_batch_page *page = NULL;
	rc = check(la_view_batches(&page, store, NULL, 2, NULL), "view batches");
	if (rc == LA_OK && la_batch_page_next(page)) {
		la_batch_page *next = NULL;
		check(la_view_batches(&next, store, NULL, 2, la_batch_page_next(page)),
		      "view batches page 2");
		la_batch_page_free(next);
	}
	la_batch_page_free(page);
	return rc;
}

static int notified(const char *destination, const char *message, void *payload)
{
	(*(int *)payload)++;
	return LA_OK;
}

static int published(const char *channel, const char *json, void *payload)
{
	(*(int *)payload)++;
	return LA_OK;
}

/* On o1's Allocated, allocate a bonus line re-entrantly (queued by the bus). */
static int bonus_handler(la_bus *bus, const la_message *event, void *payload)
{
	if (strcmp(la_message_orderid(event), "o1") != 0)
		return LA_OK;
	la_message *m = NULL;
	int rc = la_command_allocate(&m, "bonus", la_message_sku(event), 1);
	if (rc == LA_OK)
		rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

/* Every line the scenario may allocate: (orderid, sku) → qty. */
static const struct line {
	const char *orderid, *sku;
	int64_t qty;
} lines[] = {{"o1", "CHAIR", 20}, {"o2", "CHAIR", 20},   {"o3", "CHAIR", 15},  {"o1", "TABLE", 5},
             {"o3", "TABLE", 1},  {"bonus", "CHAIR", 1}, {"bonus", "TABLE", 1}};
#define LINES (sizeof lines / sizeof lines[0])

/* The read model and the batch figures agree, whatever failed on the way:
 * per batch, the lines the allocations view puts on it add up to its
 * allocated quantity and line count. Runs with the allocator disarmed. */
static void check_consistent(la_store *store)
{
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 0, NULL), LA_OK);
	size_t n = la_batch_page_count(page);
	int64_t qty[16] = {0}, count[16] = {0};
	cr_assert_leq(n, 16);
	for (size_t l = 0; l < LINES; l++) {
		la_allocation_list *list = NULL;
		cr_assert_eq(la_view_allocations(&list, store, lines[l].orderid), LA_OK);
		for (size_t r = 0; r < la_allocation_list_count(list); r++) {
			if (strcmp(la_allocation_list_sku(list, r), lines[l].sku) != 0)
				continue;
			size_t b = 0;
			while (b < n && strcmp(la_batch_page_ref(page, b),
			                       la_allocation_list_batchref(list, r)) != 0)
				b++;
			cr_assert_lt(b, n, "%s is allocated to a batch not on the dashboard",
			             lines[l].orderid);
			qty[b] += lines[l].qty;
			count[b]++;
		}
		la_allocation_list_free(list);
	}
	for (size_t b = 0; b < n; b++) {
		const char *ref = la_batch_page_ref(page, b);
		int64_t purchased = la_batch_page_purchased(page, b);
		int64_t allocated = la_batch_page_allocated(page, b);
		cr_assert_eq(allocated, qty[b], "N=%llu: %s allocated %lld, read model says %lld",
		             (unsigned long long)fail_at, ref, (long long)allocated,
		             (long long)qty[b]);
		cr_assert_eq(la_batch_page_lines(page, b), count[b], "N=%llu: %s lines",
		             (unsigned long long)fail_at, ref);
		cr_assert_eq(la_batch_page_available(page, b), purchased - allocated);
		cr_assert_geq(purchased - allocated, 0, "N=%llu: %s over-allocated",
		              (unsigned long long)fail_at, ref);
	}
	la_batch_page_free(page);
}

static void command(la_bus *bus, int kind, const char *a, const char *b, int64_t qty)
{
	la_message *m = NULL;
	int rc;
	switch (kind) {
	case LA_CMD_DEALLOCATE:
		rc = la_command_deallocate(&m, a, b);
		break;
	case LA_CMD_CHANGE_BATCH_QUANTITY:
		rc = la_command_change_batch_quantity(&m, a, qty);
		break;
	case LA_CMD_CANCEL_BATCH:
		rc = la_command_cancel_batch(&m, a);
		break;
	default:
		rc = la_event_out_of_stock(&m, a);
	}
	handle(bus, m, rc, a);
}

/* One whole scenario; stops early only when the store or bus cannot be made. */
static void scenario(void)
{
	int notes = 0, pubs = 0;
	la_store *store = NULL;
	if (check(la_memory_store_new(&store), "store") != LA_OK) {
		cr_assert_null(store);
		return;
	}
	la_bus_options opts;
	cr_assert_eq(la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION), LA_OK);
	opts.notify = notified;
	opts.notify_payload = &notes;
	opts.publish = published;
	opts.publish_payload = &pubs;
	la_bus *bus = NULL;
	if (check(la_bus_new(&bus, store, &opts), "bus") != LA_OK) {
		cr_assert_null(bus);
		la_store_free(store);
		return;
	}
	check(la_bus_set_route(bus, LA_EVT_ALLOCATED, "sales@made.com"), "route");
	check(la_bus_subscribe(bus, LA_EVT_ALLOCATED, bonus_handler, NULL), "subscribe");

	create(bus, "b1", "CHAIR", 50, NULL);
	create(bus, "b2", "CHAIR", 50, "2011-01-02");
	create(bus, "b3", "TABLE", 6, NULL);
	create(bus, "b4", "TABLE", 5, "2011-01-03");
	allocate(bus, "o1", "CHAIR", 20); /* and the bonus line */
	allocate(bus, "o2", "CHAIR", 20);
	allocate(bus, "o1", "TABLE", 5); /* and the bonus line */
	allocate(bus, "o3", "TABLE", 1);
	allocate(bus, "o1", "CHAIR", 20); /* idempotent */
	allocate(bus, "o3", "CHAIR", 15);
	read_views(store);

	command(bus, LA_CMD_CHANGE_BATCH_QUANTITY, "b1", NULL, 25); /* reallocates */
	command(bus, LA_CMD_DEALLOCATE, "o1", "TABLE", 0);
	command(bus, LA_CMD_CANCEL_BATCH, "b2", NULL, 0); /* reallocates, partly out of stock */
	command(bus, LA_CMD_CANCEL_BATCH, "b3", NULL, 0);
	command(bus, LA_EVT_OUT_OF_STOCK, "SOFA", NULL, 0);
	read_views(store);

	uint64_t saved = fail_at;
	scenario_calls = calls;
	fail_at = 0; /* check with memory back */
	check_consistent(store);
	fail_at = saved;
	la_bus_free(bus);
	la_store_free(store);
}

Test(oom, sweep_every_allocation, .timeout = 120)
{
	cr_assert_eq(la_set_allocator(counting_malloc, counting_realloc, counting_free), LA_OK);

	/* A clean run first: the scenario must pass and free everything. */
	calls = fail_at = 0;
	fired = 0;
	scenario();
	cr_assert_not(fired);
	cr_assert_eq(live, 0, "a clean run leaked %lld blocks", (long long)live);
	uint64_t total = scenario_calls;
	cr_log_info("the scenario makes %llu allocations", (unsigned long long)total);
	cr_assert_gt(total, 10, "the library allocated almost nothing (%llu)",
	             (unsigned long long)total);

	uint64_t n;
	for (n = 1;; n++) {
		calls = 0;
		fail_at = n;
		fired = 0;
		live = 0;
		scenario();
		cr_assert_eq(live, 0, "failing allocation %llu leaked %lld blocks",
		             (unsigned long long)n, (long long)live);
		if (!fired)
			break;
		cr_assert_lt(n, 10 * total + 1000, "the sweep does not end");
	}
	cr_assert_eq(n, total + 1, "a run fails only N <= %llu allocations, ended at %llu",
	             (unsigned long long)total, (unsigned long long)n);
	cr_assert_eq(la_set_allocator(NULL, NULL, NULL), LA_OK);

	/* The default allocator works again. */
	la_store *store = NULL;
	cr_assert_eq(la_memory_store_new(&store), LA_OK);
	la_store_free(store);
}
