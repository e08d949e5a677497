/*
 * Group commit (la_bus_handle_many) on whatever store
 * tests/support/store_factory.h opens: linked unchanged with the memory,
 * SQLite, CSV and PostgreSQL factories.
 *
 * The property: a stream of random commands handled one by one, and the
 * same stream cut into random batches, give every command the same result
 * (status, batch, error message) and leave the same state (dashboard,
 * allocations of every order) and the same notifications in the same order.
 */
#include "store_factory.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a world: a store, a bus, what the notifications port received ---- */

typedef struct world {
	la_store *store;
	la_bus *bus;
	char *notes; /* every notification, one per line, in order */
	size_t notes_len, notes_cap;
} world;

static int record_note(const char *destination, const char *message, void *payload)
{
	world *w = payload;
	size_t need = w->notes_len + strlen(destination) + strlen(message) + 3;
	if (need > w->notes_cap) {
		w->notes_cap = need * 2;
		w->notes = realloc(w->notes, w->notes_cap);
		cr_assert_not_null(w->notes);
	}
	w->notes_len += (size_t)sprintf(w->notes + w->notes_len, "%s:%s\n", destination, message);
	return LA_OK;
}

static void world_open(world *w)
{
	memset(w, 0, sizeof *w);
	cr_assert_eq(test_store_open(&w->store), LA_OK, "%s", la_error_last());
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.notify = record_note;
	opts.notify_payload = w;
	cr_assert_eq(la_bus_new(&w->bus, w->store, &opts), LA_OK);
	/* Allocated events become notifications too, so their order is seen. */
	cr_assert_eq(la_bus_set_route(w->bus, LA_EVT_ALLOCATED, "allocated"), LA_OK);
}

static void world_close(world *w)
{
	la_bus_free(w->bus);
	la_store_free(w->store);
	free(w->notes);
}

/* ---- commands ---- */

static la_message *create_batch(const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_create_batch(&m, ref, sku, qty, eta), LA_OK);
	return m;
}

static la_message *allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_allocate(&m, orderid, sku, qty), LA_OK);
	return m;
}

static la_message *deallocate(const char *orderid, const char *sku)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_deallocate(&m, orderid, sku), LA_OK);
	return m;
}

static la_message *change_quantity(const char *ref, int64_t qty)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_change_batch_quantity(&m, ref, qty), LA_OK);
	return m;
}

static la_message *cancel(const char *ref)
{
	la_message *m = NULL;
	cr_assert_eq(la_command_cancel_batch(&m, ref), LA_OK);
	return m;
}

static void free_all(la_message **m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		la_message_free(m[i]);
}

/* The state as text: every dashboard row, then the allocations of orders
 * o0..o(orders-1). Equal texts, equal states. */
static char *state_text(la_store *store, int orders)
{
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	out[0] = '\0';
#define APPEND(...)                                                                                \
	do {                                                                                       \
		int n_ = snprintf(out + len, cap - len, __VA_ARGS__);                              \
		cr_assert(n_ >= 0 && (size_t)n_ < cap - len, "state text too long");               \
		len += (size_t)n_;                                                                 \
	} while (0)
	const char *after = NULL;
	char *cursor = NULL;
	do {
		la_batch_page *page = NULL;
		cr_assert_eq(la_view_batches(&page, store, NULL, 50, after), LA_OK, "%s",
		             la_error_last());
		for (size_t i = 0; i < la_batch_page_count(page); i++)
			APPEND("%s %s %s %lld/%lld/%lld\n", la_batch_page_ref(page, i),
			       la_batch_page_sku(page, i),
			       la_batch_page_eta(page, i) ? la_batch_page_eta(page, i) : "-",
			       (long long)la_batch_page_purchased(page, i),
			       (long long)la_batch_page_allocated(page, i),
			       (long long)la_batch_page_lines(page, i));
		free(cursor);
		cursor = la_batch_page_next(page) ? strdup(la_batch_page_next(page)) : NULL;
		after = cursor;
		la_batch_page_free(page);
	} while (after);
	for (int o = 0; o < orders; o++) {
		char orderid[16];
		snprintf(orderid, sizeof orderid, "o%d", o);
		la_allocation_list *list = NULL;
		cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK);
		for (size_t i = 0; i < la_allocation_list_count(list); i++)
			APPEND("%s: %s@%s\n", orderid, la_allocation_list_sku(list, i),
			       la_allocation_list_batchref(list, i));
		la_allocation_list_free(list);
	}
#undef APPEND
	return out;
}

/* ---- deterministic tests ---- */

static world w;

static void setup(void)
{
	world_open(&w);
}

static void teardown(void)
{
	world_close(&w);
}

TestSuite(batch, .init = setup, .fini = teardown, .timeout = 120);

Test(batch, each_command_gets_the_result_it_would_have_alone)
{
	la_message *m[] = {
	    create_batch("b1", "LAMP", 10, NULL),
	    allocate("o1", "LAMP", 4),
	    allocate("o2", "NO-SUCH-SKU", 1),
	    allocate("o1", "LAMP", 5), /* another qty for the same line: a conflict */
	    allocate("o3", "LAMP", 100),
	    allocate("o4", "LAMP", 6),
	    deallocate("o9", "LAMP"),
	};
	size_t n = sizeof m / sizeof *m;
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, n), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(la_bus_result_count(w.bus), n);
	int expect[] = {LA_OK, LA_OK, LA_ENOTFOUND, LA_ECONFLICT, LA_OK, LA_OK, LA_ENOTFOUND};
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(la_bus_result_status(w.bus, i), expect[i], "command %zu: %s", i,
		             la_bus_result_error(w.bus, i));
	cr_assert_str_eq(la_bus_result_batchref_at(w.bus, 1), "b1");
	cr_assert_null(la_bus_result_batchref_at(w.bus, 4), "out of stock");
	cr_assert_str_eq(la_bus_result_batchref_at(w.bus, 5), "b1");
	cr_assert_null(la_bus_result_batchref_at(w.bus, 0));
	cr_assert_str_eq(la_bus_result_error(w.bus, 2), "Invalid sku NO-SUCH-SKU");
	cr_assert_str_eq(la_bus_result_error(w.bus, 1), "");
	cr_assert_null(la_bus_result_error(w.bus, n));
	cr_assert_eq(la_bus_result_status(w.bus, n), LA_EINVAL);
	cr_assert_null(la_bus_result_batchref(w.bus), "many results: use the _at accessors");
	char *text = state_text(w.store, 10);
	cr_assert_str_eq(text, "b1 LAMP - 10/10/2\no1: LAMP@b1\no4: LAMP@b1\n");
	free(text);
	cr_assert_str_eq(w.notes, "allocated:Allocated order o1 LAMP x4 to batch b1\n"
	                          "stock@made.com:Out of stock for LAMP\n"
	                          "allocated:Allocated order o4 LAMP x6 to batch b1\n");
	free_all(m, n);
}

Test(batch, a_failed_command_is_undone_without_undoing_the_others)
{
	la_message *m[] = {
	    create_batch("b1", "LAMP", 10, NULL),
	    create_batch("b2", "LAMP", 10, "2011-01-02"),
	    allocate("o1", "LAMP", 6),
	    create_batch("b1", "LAMP", 99, NULL), /* the same ref, other values */
	    change_quantity("nope", 1),
	    change_quantity("b1", 5), /* o1 moves to b2 at once */
	    allocate("o2", "LAMP", 5),
	    cancel("b2"), /* o1 goes back where it fits, or out of stock */
	};
	size_t n = sizeof m / sizeof *m;
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, n), LA_OK);
	cr_assert_eq(la_bus_result_status(w.bus, 3), LA_ECONFLICT);
	cr_assert_eq(la_bus_result_status(w.bus, 4), LA_ENOTFOUND);
	cr_assert_str_eq(la_bus_result_error(w.bus, 4), "Invalid batch reference nope");
	cr_assert_str_eq(la_bus_result_batchref_at(w.bus, 6), "b1", "%s",
	                 la_bus_result_error(w.bus, 6));
	char *text = state_text(w.store, 3);
	cr_assert_str_eq(text, "b1 LAMP - 5/5/1\no2: LAMP@b1\n");
	free(text);
	free_all(m, n);
}

Test(batch, the_same_order_twice_in_one_batch_is_idempotent)
{
	la_message *m[] = {create_batch("b1", "LAMP", 10, NULL), allocate("o1", "LAMP", 3),
	                   allocate("o1", "LAMP", 3), deallocate("o1", "LAMP"),
	                   allocate("o1", "LAMP", 4)};
	size_t n = sizeof m / sizeof *m;
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, n), LA_OK);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(la_bus_result_status(w.bus, i), LA_OK, "%zu: %s", i,
		             la_bus_result_error(w.bus, i));
	char *text = state_text(w.store, 2);
	cr_assert_str_eq(text, "b1 LAMP - 10/4/1\no1: LAMP@b1\n");
	free(text);
	free_all(m, n);
}

Test(batch, events_and_bad_arguments)
{
	la_message *event = NULL;
	cr_assert_eq(la_event_out_of_stock(&event, "LAMP"), LA_OK);
	la_message *m[] = {create_batch("b1", "LAMP", 10, NULL), event};
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, 2), LA_OK);
	cr_assert_eq(la_bus_result_status(w.bus, 0), LA_OK);
	cr_assert_eq(la_bus_result_status(w.bus, 1), LA_EINVAL);
	cr_assert(strstr(la_bus_result_error(w.bus, 1), "not a command"), "%s",
	          la_bus_result_error(w.bus, 1));
	cr_assert_eq(la_bus_handle_many(w.bus, NULL, 0), LA_OK);
	cr_assert_eq(la_bus_result_count(w.bus), 0);
	cr_assert_eq(la_bus_handle_many(w.bus, NULL, 1), LA_EINVAL);
	cr_assert_eq(la_bus_handle_many(NULL, (const la_message *const *)m, 1), LA_EINVAL);
	la_message *holes[] = {m[0], NULL};
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)holes, 2), LA_EINVAL);
	free_all(m, 2);
}

static int nested_status;

static int call_handle_many(la_bus *bus, const la_message *event, void *payload)
{
	const la_message *none[1] = {event};
	nested_status = la_bus_handle_many(bus, none, 1);
	return LA_OK;
}

Test(batch, not_from_an_event_handler)
{
	cr_assert_eq(la_bus_subscribe(w.bus, LA_EVT_ALLOCATED, call_handle_many, NULL), LA_OK);
	la_message *m[] = {create_batch("b1", "LAMP", 10, NULL), allocate("o1", "LAMP", 1)};
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, 2), LA_OK);
	cr_assert_eq(nested_status, LA_ESTATE);
	free_all(m, 2);
}

/* ---- the property ---- */

typedef struct rng {
	uint64_t state;
} rng;

static unsigned pick(rng *r, unsigned n)
{
	r->state = r->state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((r->state >> 33) % n);
}

#define ORDERS 24

static la_message *random_command(rng *r)
{
	static const char *const skus[] = {"CHAIR", "LAMP", "TABLE", "NO-SUCH"};
	static const char *const etas[] = {NULL, NULL, "2011-01-01", "2011-01-02", "2011-01-03"};
	char ref[16], orderid[16];
	snprintf(ref, sizeof ref, "b%u", pick(r, 12));
	snprintf(orderid, sizeof orderid, "o%u", pick(r, ORDERS));
	const char *sku = skus[pick(r, 4)];
	switch (pick(r, 10)) {
	case 0:
	case 1:
		/* a known sku most of the time; a reused ref with other values conflicts */
		return create_batch(ref, skus[pick(r, 3)], (int64_t)pick(r, 40), etas[pick(r, 5)]);
	case 2:
		return deallocate(orderid, sku);
	case 3:
		return change_quantity(ref, (int64_t)pick(r, 30));
	case 4:
		return cancel(ref);
	default:
		return allocate(orderid, sku, 1 + (int64_t)pick(r, 12));
	}
}

typedef struct outcome {
	int status;
	char batchref[256];
	char error[1024];
} outcome;

static void keep_outcome(outcome *o, la_bus *bus, size_t index)
{
	o->status = la_bus_result_status(bus, index);
	const char *ref = la_bus_result_batchref_at(bus, index);
	snprintf(o->batchref, sizeof o->batchref, "%s", ref ? ref : "");
	snprintf(o->error, sizeof o->error, "%s", la_bus_result_error(bus, index));
}

/* A pull source over a stream: from next to end, in chunks of 0 to 3 (0:
 * "nothing waiting", so the bus commits and the rest goes in the next call). */
typedef struct source {
	la_message **stream;
	size_t next, end;
	rng *r;
	size_t calls;
} source;

static size_t pull_chunk(void *payload, const la_message **out, size_t room)
{
	source *src = payload;
	src->calls++;
	size_t n = pick(src->r, 4);
	if (n > room)
		n = room;
	if (n > src->end - src->next)
		n = src->end - src->next;
	for (size_t i = 0; i < n; i++)
		out[i] = src->stream[src->next++];
	return n;
}

/* Handle stream[at..at + n) in one call; how many the bus took. pulled: the
 * call starts with some and pulls the others (la_bus_handle_pull), into an
 * array with room for n; else la_bus_handle_many of them all. */
static size_t handle_cut(la_bus *bus, la_message **stream, size_t at, size_t n, rng *r, int pulled)
{
	if (!pulled) {
		cr_assert_eq(la_bus_handle_many(bus, (const la_message *const *)stream + at, n),
		             LA_OK, "batch at %zu: %s", at, la_error_last());
		return n;
	}
	const la_message *slots[64];
	cr_assert(n <= 64);
	size_t start = pick(r, (unsigned)n + 1); /* 0 too: the bus pulls first */
	for (size_t i = 0; i < start; i++)
		slots[i] = stream[at + i];
	source src = {stream, at + start, at + n, r, 0};
	size_t taken = start;
	cr_assert_eq(la_bus_handle_pull(bus, slots, &taken, n, pull_chunk, &src), LA_OK,
	             "batch at %zu: %s", at, la_error_last());
	cr_assert_eq(taken, src.next - at, "the bus took %zu, the source gave %zu", taken,
	             src.next - at);
	cr_assert_eq(la_bus_result_count(bus), taken);
	for (size_t i = 0; i < taken; i++)
		cr_assert_eq(slots[i], stream[at + i]);
	return taken;
}

static void check_stream(uint64_t seed, size_t count, unsigned max_batch, int pulled)
{
	rng r = {seed};
	la_message **stream = calloc(count, sizeof *stream);
	outcome *alone = calloc(count, sizeof *alone), *batched = calloc(count, sizeof *batched);
	cr_assert(stream && alone && batched);
	for (size_t i = 0; i < count; i++)
		stream[i] = random_command(&r);

	world one, many;
	world_open(&one);
	world_open(&many);
	for (size_t i = 0; i < count; i++) {
		int rc = la_bus_handle(one.bus, stream[i]);
		cr_assert_eq(la_bus_result_count(one.bus), 1);
		keep_outcome(&alone[i], one.bus, 0);
		cr_assert_eq(rc, alone[i].status);
	}
	size_t batches = 0;
	for (size_t at = 0; at < count; batches++) {
		size_t n = 1 + pick(&r, max_batch);
		if (n > count - at)
			n = count - at;
		n = handle_cut(many.bus, stream, at, n, &r, pulled);
		for (size_t i = 0; i < n; i++)
			keep_outcome(&batched[at + i], many.bus, i);
		at += n;
	}
	for (size_t i = 0; i < count; i++) {
		cr_assert_eq(batched[i].status, alone[i].status,
		             "seed %llu, %s #%zu: %d alone (%s), %d in a batch (%s)",
		             (unsigned long long)seed, la_message_name(stream[i]), i,
		             alone[i].status, alone[i].error, batched[i].status, batched[i].error);
		cr_assert_str_eq(batched[i].batchref, alone[i].batchref,
		                 "seed %llu, %s #%zu: to '%s' alone, to '%s' in a batch",
		                 (unsigned long long)seed, la_message_name(stream[i]), i,
		                 alone[i].batchref, batched[i].batchref);
		cr_assert_str_eq(batched[i].error, alone[i].error, "seed %llu, #%zu",
		                 (unsigned long long)seed, i);
	}
	char *a = state_text(one.store, ORDERS), *b = state_text(many.store, ORDERS);
	if (strcmp(a, b) != 0)
		cr_log_error("one by one:\n%s\nin batches:\n%s", a, b);
	cr_assert_str_eq(b, a, "seed %llu: the states differ", (unsigned long long)seed);
	cr_assert_str_eq(many.notes ? many.notes : "", one.notes ? one.notes : "",
	                 "seed %llu: the notifications differ", (unsigned long long)seed);
	cr_log_info("%s, seed %llu: %zu commands in %zu batches%s, same results and state",
	            test_store_name(), (unsigned long long)seed, count, batches,
	            pulled ? " (pulled)" : "");
	free(a);
	free(b);
	world_close(&one);
	world_close(&many);
	free_all(stream, count);
	free(stream);
	free(alone);
	free(batched);
}

Test(batch_property, random_streams_in_random_batches_match_one_by_one, .timeout = 300)
{
	const char *env = getenv("LA_BATCH_PROPERTY_SEEDS");
	unsigned seeds = env ? (unsigned)strtoul(env, NULL, 10) : 12;
	for (unsigned s = 1; s <= seeds; s++)
		check_stream(0x5eed0000ull + s, 300, s % 3 == 0 ? 60 : 16, 0);
}

/* The same with la_bus_handle_pull: each batch starts with some commands
 * and takes the others from a source while it runs, in chunks, sometimes
 * stopping early (the rest then starts the next batch). */
Test(batch_property, random_streams_pulled_in_random_batches_match_one_by_one, .timeout = 300)
{
	const char *env = getenv("LA_BATCH_PROPERTY_SEEDS");
	unsigned seeds = env ? (unsigned)strtoul(env, NULL, 10) : 12;
	for (unsigned s = 1; s <= seeds; s++)
		check_stream(0x9011ed00ull + s, 300, s % 3 == 0 ? 60 : 16, 1);
}

/* la_bus_handle_pull's own cases: a start of none, a NULL handed over, the
 * capacity, bad arguments. */
static size_t pull_one_null(void *payload, const la_message **out, size_t room)
{
	int *calls = payload;
	if ((*calls)++ || room == 0)
		return 0;
	out[0] = NULL;
	return 1;
}

Test(batch, pull_edges)
{
	la_message *m[2] = {create_batch("b1", "LAMP", 10, NULL), allocate("o1", "LAMP", 3)};
	rng r = {7};
	source src = {m, 0, 2, &r, 0};
	const la_message *slots[4];
	size_t count = 0;
	/* nothing to start with: the bus asks first, then while it runs */
	while (src.next < 2) {
		count = 0;
		cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 4, pull_chunk, &src), LA_OK);
		cr_assert_eq(la_bus_result_count(w.bus), count);
	}
	cr_assert_str_eq(la_bus_result_batchref_at(w.bus, count - 1), "b1");
	/* a NULL handed over fails alone */
	int calls = 0;
	slots[0] = m[1];
	count = 1;
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 4, pull_one_null, &calls), LA_OK);
	cr_assert_eq(count, 2);
	cr_assert_eq(la_bus_result_status(w.bus, 0), LA_OK);
	cr_assert_eq(la_bus_result_status(w.bus, 1), LA_EINVAL);
	cr_assert_str_eq(la_bus_result_error(w.bus, 1), "command 1 is NULL");
	/* the capacity bounds what is pulled: the source is not asked when full */
	src = (source){m, 0, 2, &r, 0};
	slots[0] = m[1];
	count = 1;
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 1, pull_chunk, &src), LA_OK);
	cr_assert_eq(count, 1);
	cr_assert_eq(src.calls, 0);
	/* without a source it is la_bus_handle_many */
	count = 1;
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 1, NULL, NULL), LA_OK);
	cr_assert_eq(la_bus_result_status(w.bus, 0), LA_OK);
	/* bad arguments change nothing */
	count = 2;
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 1, NULL, NULL), LA_EINVAL);
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, NULL, 1, NULL, NULL), LA_EINVAL);
	cr_assert_eq(la_bus_handle_pull(NULL, slots, &count, 2, NULL, NULL), LA_EINVAL);
	count = 1;
	cr_assert_eq(la_bus_handle_pull(w.bus, NULL, &count, 1, NULL, NULL), LA_EINVAL);
	slots[0] = NULL;
	cr_assert_eq(la_bus_handle_pull(w.bus, slots, &count, 1, NULL, NULL), LA_EINVAL);
	free_all(m, 2);
}

/* la_view_batch: one batch's dashboard row by reference (store port v2). */
/* The batch path of a store that ships keys in array parameters
 * (PostgreSQL): quotes, backslashes, braces, commas and the word NULL are
 * keys like any other, found again when the same batch comes back. */
Test(batch, keys_with_quotes_backslashes_and_braces)
{
	const char *skus[2] = {"SKU\"1\\{a,b}", "NULL"};
	const char *orders[4] = {"o\"1", "o\\2", "{o,3}", "NULL"};
	la_message *setup[] = {create_batch("b\"1", skus[0], 100, NULL),
	                       create_batch("b{2}", skus[1], 100, NULL)};
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)setup, 2), LA_OK);
	free_all(setup, 2);
	for (int round = 0; round < 2; round++) { /* the second: every line already there */
		la_message *m[4];
		for (size_t i = 0; i < 4; i++)
			m[i] = allocate(orders[i], skus[i % 2], 1 + (int64_t)i);
		cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, 4), LA_OK,
		             "%s", la_error_last());
		for (size_t i = 0; i < 4; i++) {
			cr_assert_eq(la_bus_result_status(w.bus, i), LA_OK, "round %d, %s: %s",
			             round, orders[i], la_bus_result_error(w.bus, i));
			cr_assert_str_eq(la_bus_result_batchref_at(w.bus, i),
			                 i % 2 ? "b{2}" : "b\"1");
		}
		free_all(m, 4);
	}
	for (size_t i = 0; i < 4; i++) {
		la_allocation_list *list = NULL;
		cr_assert_eq(la_view_allocations(&list, w.store, orders[i]), LA_OK, "%s",
		             la_error_last());
		cr_assert_eq(la_allocation_list_count(list), 1, "%s", orders[i]);
		cr_assert_str_eq(la_allocation_list_batchref(list, 0), i % 2 ? "b{2}" : "b\"1");
		la_allocation_list_free(list);
	}
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batch(&page, w.store, "b{2}"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_allocated(page, 0), 2 + 4, "each line counted once");
	la_batch_page_free(page);
}

Test(batch, one_batch_by_reference)
{
	la_message *m[] = {create_batch("b1", "LAMP", 10, NULL),
	                   create_batch("b2", "LAMP", 20, "2011-01-02"), allocate("o1", "LAMP", 4),
	                   allocate("o2", "LAMP", 8)};
	cr_assert_eq(la_bus_handle_many(w.bus, (const la_message *const *)m, 4), LA_OK);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batch(&page, w.store, "b2"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	cr_assert_str_eq(la_batch_page_ref(page, 0), "b2");
	cr_assert_str_eq(la_batch_page_sku(page, 0), "LAMP");
	cr_assert_str_eq(la_batch_page_eta(page, 0), "2011-01-02");
	cr_assert_eq(la_batch_page_purchased(page, 0), 20);
	cr_assert_eq(la_batch_page_allocated(page, 0), 8);
	cr_assert_eq(la_batch_page_lines(page, 0), 1);
	cr_assert_null(la_batch_page_next(page));
	la_batch_page_free(page);
	cr_assert_eq(la_view_batch(&page, w.store, "nope"), LA_OK);
	cr_assert_eq(la_batch_page_count(page), 0, "no such batch: no row");
	la_batch_page_free(page);
	cr_assert_eq(la_view_batch(&page, w.store, ""), LA_EINVAL);
	cr_assert_eq(la_view_batch(NULL, w.store, "b1"), LA_EINVAL);
	free_all(m, 4);
}
