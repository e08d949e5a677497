/*
 * Pending reallocations (docs/reliability.md) through the bus, on whatever
 * store tests/support/store_factory.h opens. The crash between the commit
 * of a cancellation and the forgetting of its pending records is simulated
 * by a store that wraps the factory's and fails the unit of work that only
 * forgets them (tests/sqlite/realloc_crash_test.c kills real processes).
 */
#include "store_factory.h"

#include "../../lib/service/store_internal.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* ---- the wrapping store ---- */

#define MAX_HANDED 64

typedef struct wrapper {
	la_store *inner;
	int fail_forget; /* the unit of work that only forgets records fails */
	int forgets_failed;
	la_product *handed[MAX_HANDED];
	size_t handed_count;
} wrapper;

static int hand(wrapper *w, int rc, la_product *p)
{
	if (rc == LA_OK && w->handed_count < MAX_HANDED)
		w->handed[w->handed_count++] = p;
	return rc;
}

#define INNER(w) (w)->inner->port
#define STATE(w) (w)->inner->state

static int w_begin(void *s)
{
	wrapper *w = s;
	w->handed_count = 0;
	return INNER(w)->begin(STATE(w));
}

/* Non-zero when the unit of work changes nothing but forgets records. */
static int only_forgets(const wrapper *w)
{
	size_t forgets = 0;
	for (size_t i = 0; i < w->handed_count; i++) {
		for (size_t k = 0; k < la_product_change_count(w->handed[i]); k++) {
			la_change c;
			cr_assert_eq(la_product_change_at(&c, w->handed[i], k), LA_OK);
			if (c.kind != LA_CHANGE_REALLOCATION_DONE)
				return 0;
			forgets++;
		}
	}
	return forgets > 0;
}

static int w_commit(void *s)
{
	wrapper *w = s;
	if (w->fail_forget && only_forgets(w)) {
		INNER(w)->rollback(STATE(w));
		w->forgets_failed++;
		return la_error_set(LA_EIO, "simulated crash before the records are forgotten");
	}
	return INNER(w)->commit(STATE(w));
}

static void w_rollback(void *s)
{
	wrapper *w = s;
	INNER(w)->rollback(STATE(w));
}

static void w_end(void *s)
{
	wrapper *w = s;
	w->handed_count = 0;
	INNER(w)->end(STATE(w));
}

static int w_add(la_product *p, void *s)
{
	wrapper *w = s;
	return hand(w, INNER(w)->add(p, STATE(w)), p);
}

static int w_get(la_product **out, const char *sku, void *s)
{
	wrapper *w = s;
	int rc = INNER(w)->get(out, sku, STATE(w));
	return hand(w, rc, rc == LA_OK ? *out : NULL);
}

static int w_get_by_batchref(la_product **out, const char *ref, void *s)
{
	wrapper *w = s;
	int rc = INNER(w)->get_by_batchref(out, ref, STATE(w));
	return hand(w, rc, rc == LA_OK ? *out : NULL);
}

static int w_load_line(la_product *p, const char *orderid, void *s)
{
	wrapper *w = s;
	return INNER(w)->load_line(p, orderid, STATE(w));
}

static int w_load_batch_lines(la_product *p, const char *ref, void *s)
{
	wrapper *w = s;
	return INNER(w)->load_batch_lines(p, ref, STATE(w));
}

static int w_allocations(la_allocation_list *into, const char *orderid, void *s)
{
	wrapper *w = s;
	return INNER(w)->allocations(into, orderid, STATE(w));
}

static int w_batches(la_batch_page *into, const char *sku, size_t limit, const char *after, void *s)
{
	wrapper *w = s;
	return INNER(w)->batches(into, sku, limit, after, STATE(w));
}

static int w_batch(la_batch_page *into, const char *ref, void *s)
{
	wrapper *w = s;
	return INNER(w)->batch(into, ref, STATE(w));
}

static int w_pending(la_order_line_list *into, size_t max, void *s)
{
	wrapper *w = s;
	return INNER(w)->pending_reallocations(into, max, STATE(w));
}

static void w_close(void *s)
{
	(void)s; /* the test closes the inner store itself */
}

static const la_store_port wrapper_port = {
    .version = LA_STORE_PORT_VERSION,
    .name = "wrapper",
    .begin = w_begin,
    .commit = w_commit,
    .rollback = w_rollback,
    .end = w_end,
    .add = w_add,
    .get = w_get,
    .get_by_batchref = w_get_by_batchref,
    .load_line = w_load_line,
    .load_batch_lines = w_load_batch_lines,
    .allocations = w_allocations,
    .batches = w_batches,
    .close = w_close,
    .batch = w_batch,
    .pending_reallocations = w_pending,
};

/* ---- the bus over it ---- */

static wrapper wrapped;
static la_store *inner, *store;
static la_bus *bus;
static int out_of_stock_sent;

static int count_notice(const char *destination, const char *text, void *payload)
{
	(void)destination;
	(void)payload;
	if (strncmp(text, "Out of stock for ", 17) == 0)
		out_of_stock_sent++;
	return LA_OK;
}

static void open_bus_on(la_store *s, unsigned int flags)
{
	inner = s;
	memset(&wrapped, 0, sizeof wrapped);
	wrapped.inner = inner;
	cr_assert_not_null(inner->port->pending_reallocations, "%s keeps no pending records",
	                   test_store_name());
	cr_assert_eq(la_store_new(&store, &wrapper_port, &wrapped), LA_OK, "%s", la_error_last());
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.notify = count_notice;
	opts.flags = flags;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());
}

static void open_bus(unsigned int flags)
{
	la_store *s;
	out_of_stock_sent = 0;
	cr_assert_eq(test_store_open(&s), LA_OK, "%s", la_error_last());
	open_bus_on(s, flags);
}

static void close_bus(void)
{
	la_bus_free(bus);
	la_store_free(store);
	la_store_free(inner);
}

/* The process "restarts": a new connection to the same data where the
 * adapter has one (else the same store), a new bus. */
static void restart(void)
{
	la_store *again = NULL;
	la_bus_free(bus);
	la_store_free(store);
	if (test_store_reopen(&again, inner) == LA_OK) {
		la_store_free(inner);
		open_bus_on(again, 0);
	} else {
		open_bus_on(inner, 0);
	}
}

static void run(la_message *cmd)
{
	cr_assert_not_null(cmd);
	int rc = la_bus_handle(bus, cmd);
	la_message_free(cmd);
	cr_assert_eq(rc, LA_OK, "%s", la_error_last());
}

static void batch(const char *ref, const char *sku, int64_t qty)
{
	la_message *m;
	cr_assert_eq(la_command_create_batch(&m, ref, sku, qty, NULL), LA_OK);
	run(m);
}

static void allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m;
	cr_assert_eq(la_command_allocate(&m, orderid, sku, qty), LA_OK);
	run(m);
}

static void cancel(const char *ref)
{
	la_message *m;
	cr_assert_eq(la_command_cancel_batch(&m, ref), LA_OK);
	run(m);
}

/* The status of orderid's line of sku (0: none); its batch into ref ("" when none). */
static int batch_of(char ref[64], const char *orderid, const char *sku)
{
	la_allocation_list *list;
	int status = 0;
	ref[0] = '\0';
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	for (size_t i = 0; i < la_allocation_list_count(list); i++)
		if (strcmp(la_allocation_list_sku(list, i), sku) == 0) {
			status = la_allocation_list_status(list, i);
			const char *b = la_allocation_list_batchref(list, i);
			(void)snprintf(ref, 64, "%s", b ? b : "");
		}
	la_allocation_list_free(list);
	return status;
}

static size_t finish(void)
{
	size_t finished = 99;
	cr_assert_eq(la_bus_finish_reallocations(bus, &finished), LA_OK, "%s", la_error_last());
	return finished;
}

TestSuite(reallocations, .init = NULL, .fini = close_bus);

Test(reallocations, a_line_that_found_no_room_leaves_no_record_once_notified)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	cr_assert_eq(out_of_stock_sent, 1);
	cr_assert_eq(finish(), 0, "the record was forgotten after its OutOfStock");
	cr_assert_eq(out_of_stock_sent, 1, "nothing sent twice");
}

Test(reallocations, a_reallocated_line_leaves_no_record)
{
	open_bus(0);
	batch("b1", "LAMP", 10);
	batch("b2", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	char ref[64];
	batch_of(ref, "o1", "LAMP");
	cr_assert_str_eq(ref, "b2");
	cr_assert_eq(out_of_stock_sent, 0);
	cr_assert_eq(finish(), 0);
}

Test(reallocations, a_record_left_by_a_crash_is_notified_again_on_restart)
{
	open_bus(0);
	wrapped.fail_forget = 1;
	batch("b1", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	cr_assert_eq(wrapped.forgets_failed, 1, "the simulated crash happened");
	cr_assert_eq(out_of_stock_sent, 1);
	restart();
	cr_assert_eq(finish(), 1);
	cr_assert_eq(out_of_stock_sent, 2, "its OutOfStock is handled again");
	cr_assert_eq(finish(), 0, "and the record is gone");
	char ref[64];
	cr_assert_eq(batch_of(ref, "o1", "LAMP"), 0, "the line is not stored");
}

Test(reallocations, a_record_left_by_a_crash_is_allocated_when_stock_came_meanwhile)
{
	open_bus(0);
	wrapped.fail_forget = 1;
	batch("b1", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	cr_assert_eq(wrapped.forgets_failed, 1);
	batch("b2", "LAMP", 10); /* before the restart: nothing reallocates it yet */
	char ref[64];
	cr_assert_eq(batch_of(ref, "o1", "LAMP"), 0);
	restart();
	cr_assert_eq(finish(), 1);
	batch_of(ref, "o1", "LAMP");
	cr_assert_str_eq(ref, "b2");
	cr_assert_eq(out_of_stock_sent, 1, "no second OutOfStock");
	cr_assert_eq(finish(), 0);
}

Test(reallocations, a_record_whose_order_was_allocated_again_is_dropped)
{
	open_bus(0);
	wrapped.fail_forget = 1;
	batch("b1", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	batch("b2", "LAMP", 10);
	allocate("o1", "LAMP", 4); /* the customer ordered again, less */
	restart();
	cr_assert_eq(finish(), 1);
	cr_assert_eq(finish(), 0, "the record is gone");
	cr_assert_eq(out_of_stock_sent, 1);
	char ref[64];
	cr_assert_eq(batch_of(ref, "o1", "LAMP"), LA_LINE_ALLOCATED);
	cr_assert_str_eq(ref, "b2");
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, store, "b2"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_available(page, 0), 6, "the line kept its own qty");
	la_batch_page_free(page);
}

/* A batch of commands (group commit): every line a quantity change and a
 * cancellation leave without room is recorded, and every record finished. */
Test(reallocations, a_batch_of_commands_records_every_line_left_without_room)
{
	open_bus(0);
	wrapped.fail_forget = 1;
	batch("b1", "LAMP", 30);
	batch("b2", "DESK", 20);
	batch("b3", "DESK", 10);
	allocate("o1", "LAMP", 10);
	allocate("o2", "LAMP", 10);
	allocate("o3", "LAMP", 10);
	allocate("o4", "DESK", 10);
	allocate("o5", "DESK", 10);
	la_message *commands[2];
	cr_assert_eq(la_command_change_batch_quantity(&commands[0], "b1", 10), LA_OK);
	cr_assert_eq(la_command_cancel_batch(&commands[1], "b2"), LA_OK);
	cr_assert_eq(la_bus_handle_many(bus, (const la_message *const *)commands, 2), LA_OK, "%s",
	             la_error_last());
	la_message_free(commands[0]);
	la_message_free(commands[1]);
	cr_assert_eq(la_bus_result_status(bus, 0), LA_OK);
	cr_assert_eq(la_bus_result_status(bus, 1), LA_OK);
	/* LAMP: o2, o3 out; DESK: o4 and o5 out, one of them fits b3 */
	cr_assert_eq(out_of_stock_sent, 3);
	cr_assert_eq(wrapped.forgets_failed, 1, "one unit of work forgets them all");
	restart();
	cr_assert_eq(finish(), 3);
	cr_assert_eq(out_of_stock_sent, 6, "each OutOfStock handled again");
	cr_assert_eq(finish(), 0);
	int placed = 0;
	char ref[64];
	const char *lines[][2] = {
	    {"o1", "LAMP"}, {"o2", "LAMP"}, {"o3", "LAMP"}, {"o4", "DESK"}, {"o5", "DESK"}};
	for (size_t i = 0; i < 5; i++) {
		placed += batch_of(ref, lines[i][0], lines[i][1]) == LA_LINE_ALLOCATED;
	}
	cr_assert_eq(placed, 2, "o1 on b1 and one DESK line on b3");
}

Test(reallocations, with_backorders_the_line_waits_and_leaves_no_record)
{
	if (strcmp(test_store_name(), "memory") != 0)
		cr_skip_test("backorders are stored by the memory store only on this branch");
	open_bus(LA_BUS_BACKORDERS);
	wrapped.fail_forget = 1;
	batch("b1", "LAMP", 10);
	allocate("o1", "LAMP", 10);
	cancel("b1");
	cr_assert_eq(wrapped.forgets_failed, 0, "nothing to forget");
	char ref[64];
	cr_assert_eq(batch_of(ref, "o1", "LAMP"), LA_LINE_BACKORDERED);
	cr_assert_str_eq(ref, "");
	cr_assert_eq(finish(), 0);
}

Test(reallocations, finish_refuses_a_null_bus)
{
	size_t finished = 7;
	cr_assert_eq(la_bus_finish_reallocations(NULL, &finished), LA_EINVAL);
	cr_assert_eq(finished, 0);
	open_bus(0); /* for the suite's fini */
}
