/*
 * The bus against a scripted store port (sys/ports.h): how it drives units of
 * work — one end per begin, retries of commit conflicts, other failures
 * returned at once, events only from committed work — and la_store_new's
 * checks. The fake keeps whole products in memory and can fail on demand.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake {
	la_product *products[32];
	size_t count;
	int in_uow;
	int begins, ends, commits, rollbacks, closes, violations;
	int begin_error;     /* begin fails with this (0: succeeds) */
	int get_error;       /* get fails with this (0: normal) */
	int commit_error;    /* code of scripted commit failures */
	int commit_failures; /* how many commits fail next */
	int view_error;      /* the read-model calls fail with this */
} fake;

static fake f;

static void drop_unsaved_new(void)
{
	size_t kept = 0;
	for (size_t i = 0; i < f.count; i++) {
		la_product_revert_changes(f.products[i]);
		if (la_product_is_new(f.products[i]))
			la_product_free(f.products[i]);
		else
			f.products[kept++] = f.products[i];
	}
	f.count = kept;
}

static int fake_begin(void *state)
{
	if (f.in_uow)
		f.violations++;
	if (f.begin_error)
		return la_error_set(f.begin_error, "scripted begin failure");
	f.begins++;
	f.in_uow = 1;
	return LA_OK;
}

static int fake_commit(void *state)
{
	if (!f.in_uow)
		f.violations++;
	f.commits++;
	if (f.commit_failures > 0) {
		f.commit_failures--;
		drop_unsaved_new(); /* a failed commit has rolled back */
		return la_error_set(f.commit_error, "scripted commit failure");
	}
	for (size_t i = 0; i < f.count; i++)
		la_product_changes_saved(f.products[i]);
	return LA_OK;
}

static void fake_rollback(void *state)
{
	if (!f.in_uow)
		f.violations++;
	f.rollbacks++;
	drop_unsaved_new();
}

static void fake_end(void *state)
{
	if (!f.in_uow)
		f.violations++;
	f.ends++;
	f.in_uow = 0;
}

static int fake_add(la_product *p, void *state)
{
	if (!f.in_uow)
		f.violations++;
	cr_assert_lt(f.count, 32);
	f.products[f.count++] = p;
	return LA_OK;
}

static int fake_get(la_product **out, const char *sku, void *state)
{
	if (!f.in_uow)
		f.violations++;
	if (f.get_error)
		return la_error_set(f.get_error, "scripted get failure");
	for (size_t i = 0; i < f.count; i++) {
		if (strcmp(la_product_sku(f.products[i]), sku) == 0) {
			*out = f.products[i];
			return LA_OK;
		}
	}
	return LA_ENOTFOUND;
}

static int fake_get_by_batchref(la_product **out, const char *ref, void *state)
{
	if (!f.in_uow)
		f.violations++;
	for (size_t i = 0; i < f.count; i++) {
		if (la_product_find_batch(f.products[i], ref)) {
			*out = f.products[i];
			return LA_OK;
		}
	}
	return LA_ENOTFOUND;
}

static int fake_load(la_product *p, const char *key, void *state)
{
	if (!f.in_uow)
		f.violations++;
	return LA_OK; /* whole products live here */
}

static int fake_allocations(la_allocation_list *into, const char *orderid, void *state)
{
	if (f.view_error)
		return la_error_set(f.view_error, "scripted view failure");
	for (size_t i = 0; i < f.count; i++) {
		const la_batch *b = la_product_find_line(f.products[i], orderid);
		if (b) {
			int rc = la_allocation_list_append(into, la_product_sku(f.products[i]),
			                                   la_batch_reference(b));
			if (rc != LA_OK)
				return rc;
		}
	}
	return LA_OK;
}

static int fake_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                        void *state)
{
	return f.view_error ? la_error_set(f.view_error, "scripted view failure") : LA_OK;
}

static void fake_close(void *state)
{
	f.closes++;
	for (size_t i = 0; i < f.count; i++)
		la_product_free(f.products[i]);
	f.count = 0;
}

static const la_store_port fake_port = {
    .version = LA_STORE_PORT_VERSION,
    .name = "fake",
    .begin = fake_begin,
    .commit = fake_commit,
    .rollback = fake_rollback,
    .end = fake_end,
    .add = fake_add,
    .get = fake_get,
    .get_by_batchref = fake_get_by_batchref,
    .load_line = fake_load,
    .load_batch_lines = fake_load,
    .allocations = fake_allocations,
    .batches = fake_batches,
    .relay_outbox = NULL,
    .close = fake_close,
};

static la_store *store;
static la_bus *bus;
static int published;

static int on_publish(const char *channel, const char *json, void *payload)
{
	published++;
	return LA_OK;
}

static void setup(void)
{
	memset(&f, 0, sizeof f);
	published = 0;
	cr_assert_eq(la_store_new(&store, &fake_port, &f), LA_OK, "%s", la_error_last());
	la_bus_options opts;
	cr_assert_eq(la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION), LA_OK);
	opts.max_retries = 3;
	opts.retry_delay_us = 1;
	opts.publish = on_publish;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_OK, "%s", la_error_last());
}

static void teardown(void)
{
	la_bus_free(bus);
	la_store_free(store);
}

TestSuite(bus_port, .init = setup, .fini = teardown);

static int run(la_message *m, int rc)
{
	cr_assert_eq(rc, LA_OK, "constructor: %s", la_error_last());
	rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

static int create(const char *ref, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int rc = la_command_create_batch(&m, ref, sku, qty, NULL);
	return run(m, rc);
}

static int allocate(const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int rc = la_command_allocate(&m, orderid, sku, qty);
	return run(m, rc);
}

static uint64_t retries(void)
{
	uint64_t n = 0;
	la_bus_stats(bus, NULL, NULL, &n, NULL);
	return n;
}

/* Every unit of work begun was ended, with no call outside one. */
static void expect_balanced(void)
{
	cr_assert_eq(f.violations, 0, "port called outside a unit of work");
	cr_assert_eq(f.ends, f.begins, "%d begins, %d ends", f.begins, f.ends);
	cr_assert_not(f.in_uow);
}

Test(bus_port, options_defaults)
{
	la_bus_options opts;
	memset(&opts, 0xAB, sizeof opts);
	cr_assert_eq(la_bus_options_init(&opts, LA_BUS_OPTIONS_VERSION), LA_OK);
	cr_assert_eq(opts.version, LA_BUS_OPTIONS_VERSION);
	cr_assert_eq(opts.max_retries, 10);
	cr_assert_eq(opts.retry_delay_us, 200);
	cr_assert_null(opts.notify);
	cr_assert_null(opts.publish);
	cr_assert_null(opts.notify_payload);
	cr_assert_null(opts.publish_payload);
	cr_assert_neq(la_bus_options_init(NULL, LA_BUS_OPTIONS_VERSION), LA_OK);
	cr_assert_neq(la_bus_options_init(&opts, 0), LA_OK);
}

Test(bus_port, store_handle_basics)
{
	cr_assert_str_eq(la_store_adapter(store), "fake");
	cr_assert_eq(la_bus_store(bus), store);
	cr_assert_not(la_store_has_outbox(store));
	size_t sent = 99;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, on_publish, NULL), LA_EUNSUPPORTED);
	cr_assert_eq(sent, 0);
}

Test(bus_port, commit_conflicts_are_retried)
{
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	f.commit_error = LA_ECONFLICT;
	f.commit_failures = 2;
	int begins = f.begins;
	cr_assert_eq(allocate("o1", "SKU", 4), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(la_bus_result_batchref(bus), "b1");
	cr_assert_eq(f.begins - begins, 3);
	cr_assert_eq(retries(), 2);
	/* Only the committed attempt's Allocated event reached the handlers. */
	cr_assert_eq(published, 1);
	const la_batch *b = la_product_find_batch(f.products[0], "b1");
	cr_assert_eq(la_batch_allocated_quantity(b), 4);
	cr_assert_eq(la_batch_line_count(b), 1);
	expect_balanced();
}

Test(bus_port, new_product_survives_a_retried_commit)
{
	f.commit_error = LA_ECONFLICT;
	f.commit_failures = 1;
	cr_assert_eq(create("b1", "SKU", 10), LA_OK, "%s", la_error_last());
	cr_assert_eq(f.count, 1);
	cr_assert_eq(la_product_batch_count(f.products[0]), 1);
	cr_assert_eq(retries(), 1);
	expect_balanced();
}

Test(bus_port, gives_up_after_max_retries)
{
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	int64_t version = la_product_version(f.products[0]);
	f.commit_error = LA_ECONFLICT;
	f.commit_failures = 100;
	int begins = f.begins;
	cr_assert_eq(allocate("o1", "SKU", 4), LA_ECONFLICT);
	cr_assert_eq(f.begins - begins, 4, "1 attempt + 3 retries");
	cr_assert_eq(retries(), 3);
	cr_assert_eq(published, 0);
	cr_assert_eq(la_product_version(f.products[0]), version);
	expect_balanced();
}

Test(bus_port, other_commit_failures_are_returned_at_once)
{
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	f.commit_error = LA_EDB;
	f.commit_failures = 1;
	int begins = f.begins;
	cr_assert_eq(allocate("o1", "SKU", 4), LA_EDB);
	cr_assert_str_eq(la_error_last(), "scripted commit failure");
	cr_assert_eq(f.begins - begins, 1);
	cr_assert_eq(retries(), 0);
	cr_assert_eq(published, 0);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(f.products[0], "b1")), 0);
	expect_balanced();
	/* And the next command works. */
	cr_assert_eq(allocate("o1", "SKU", 4), LA_OK);
	cr_assert_eq(published, 1);
}

Test(bus_port, repository_failure_is_not_an_unknown_sku)
{
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	f.get_error = LA_EDB;
	int commits = f.commits;
	cr_assert_eq(allocate("o1", "SKU", 4), LA_EDB);
	cr_assert_str_eq(la_error_last(), "scripted get failure");
	cr_assert_eq(f.commits, commits);
	expect_balanced();
}

Test(bus_port, begin_failure_is_returned_without_end)
{
	f.begin_error = LA_EIO;
	cr_assert_eq(create("b1", "SKU", 10), LA_EIO);
	cr_assert_eq(f.begins, 0);
	cr_assert_eq(f.ends, 0);
	f.begin_error = 0;
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	expect_balanced();
}

Test(bus_port, failed_commands_roll_back)
{
	cr_assert_eq(create("b1", "SKU", 10), LA_OK);
	cr_assert_eq(allocate("o1", "SKU", 4), LA_OK);
	int rollbacks = f.rollbacks;
	cr_assert_eq(allocate("o1", "NOPE", 4), LA_ENOTFOUND);
	cr_assert_eq(allocate("o1", "SKU", 5), LA_ECONFLICT);
	la_message *m = NULL;
	int rc = la_command_deallocate(&m, "o2", "SKU");
	cr_assert_eq(run(m, rc), LA_ENOTFOUND);
	cr_assert_geq(f.rollbacks - rollbacks, 3, "a failed command was not rolled back");
	expect_balanced();
}

Test(bus_port, view_failures_propagate)
{
	f.view_error = LA_EDB;
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_EDB);
	cr_assert_null(list);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, store, NULL, 5, NULL), LA_EDB);
	cr_assert_null(page);
}

static int must_not_be_called(la_batch_page *into, const char *ref, void *state)
{
	cr_assert_fail("a version 1 port has no batch operation: it must not be read");
	return LA_OK;
}

Test(bus_port, a_version_1_port_still_works_and_lacks_the_later_operations)
{
	/* An adapter built against version 1 hands a shorter struct; what lies
	 * after its last member is not its own, so the store must not read it. */
	la_store_port port = fake_port;
	port.version = 1;
	port.batch = must_not_be_called;
	la_store *s = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batch(&page, s, "b1"), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "fake"), "%s", la_error_last());
	cr_assert_eq(la_view_batches(&page, s, NULL, 0, NULL), LA_OK, "%s", la_error_last());
	la_batch_page_free(page);
	la_store_free(s); /* closes f, which the fixture's store shares: closing twice is fine */
}

static int fake_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload,
                      void *state)
{
	*out_sent = 0;
	return LA_OK;
}

static int fake_outbox_status(size_t *out_pending, double *out_oldest_age_seconds, void *state)
{
	*out_pending = 4;
	*out_oldest_age_seconds = 2.5;
	return LA_OK;
}

static int status_must_not_be_called(size_t *out_pending, double *out_age, void *state)
{
	cr_assert_fail("a version 2 port has no outbox_status operation: it must not be read");
	return LA_OK;
}

Test(bus_port, the_outbox_status_comes_from_the_port_of_version_3)
{
	la_store_port port = fake_port;
	port.relay_outbox = fake_relay;
	port.outbox_status = fake_outbox_status;
	la_store *s = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	size_t pending = 0;
	double age = 0;
	cr_assert_eq(la_store_outbox_status(s, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 4);
	cr_assert_eq(age, 2.5);
	la_store_free(s);

	/* An adapter built against version 2 ends before outbox_status. */
	port.version = 2;
	port.outbox_status = status_must_not_be_called;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	pending = 9;
	cr_assert_eq(la_store_outbox_status(s, &pending, &age), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "fake"), "%s", la_error_last());
	cr_assert_eq(pending, 0);
	la_store_free(s);
}

/* The prefetch of a version 5 port: what it was asked, and how often. */
static struct {
	int calls, error, load_line_calls;
	size_t count;
	char pairs[8][32]; /* "sku/orderid" */
} pf;

static int fake_prefetch(const char *const *skus, const char *const *orderids, size_t count,
                         void *state)
{
	if (!f.in_uow)
		f.violations++;
	pf.calls++;
	pf.count = count;
	for (size_t i = 0; i < count && i < 8; i++)
		(void)snprintf(pf.pairs[i], sizeof pf.pairs[i], "%s/%s", skus[i], orderids[i]);
	return pf.error ? la_error_set(pf.error, "scripted prefetch failure") : LA_OK;
}

static int counting_load_line(la_product *p, const char *orderid, void *state)
{
	pf.load_line_calls++;
	return fake_load(p, orderid, state);
}

static int prefetch_must_not_be_called(const char *const *skus, const char *const *orderids,
                                       size_t count, void *state)
{
	cr_assert_fail("a version 4 port has no prefetch operation: it must not be read");
	return LA_OK;
}

/* Allocate o1/A, o2/B, o3/A and a CreateBatch in one call on store s. */
static int handle_mixed_batch(la_store *s)
{
	la_bus *b = NULL;
	cr_assert_eq(la_bus_new(&b, s, NULL), LA_OK, "%s", la_error_last());
	la_message *m[5] = {NULL};
	cr_assert_eq(la_command_create_batch(&m[0], "ba", "A", 10, NULL), LA_OK);
	cr_assert_eq(la_command_create_batch(&m[1], "bb", "B", 10, NULL), LA_OK);
	cr_assert_eq(la_bus_handle_many(b, (const la_message *const *)m, 2), LA_OK);
	la_message_free(m[0]);
	la_message_free(m[1]);
	pf.calls = 0;
	pf.load_line_calls = 0;
	cr_assert_eq(la_command_allocate(&m[0], "o1", "A", 1), LA_OK);
	cr_assert_eq(la_command_allocate(&m[1], "o2", "B", 2), LA_OK);
	cr_assert_eq(la_command_create_batch(&m[2], "bc", "C", 5, NULL), LA_OK);
	cr_assert_eq(la_command_allocate(&m[3], "o3", "A", 3), LA_OK);
	int rc = la_bus_handle_many(b, (const la_message *const *)m, 4);
	for (size_t i = 0; i < 4; i++) {
		if (rc == LA_OK)
			cr_assert_eq(la_bus_result_status(b, i), LA_OK, "%zu: %s", i,
			             la_bus_result_error(b, i));
		la_message_free(m[i]);
	}
	la_bus_free(b);
	return rc;
}

Test(bus_port, a_prefetching_port_is_asked_once_per_unit_for_every_line_named)
{
	memset(&pf, 0, sizeof pf);
	la_store_port port = fake_port;
	port.prefetch = fake_prefetch;
	port.load_line = counting_load_line;
	la_store *s = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	cr_assert_eq(handle_mixed_batch(s), LA_OK, "%s", la_error_last());
	cr_assert_eq(pf.calls, 1);
	cr_assert_eq(pf.count, 3);
	cr_assert_str_eq(pf.pairs[0], "A/o1");
	cr_assert_str_eq(pf.pairs[1], "B/o2");
	cr_assert_str_eq(pf.pairs[2], "A/o3");
	cr_assert_eq(pf.load_line_calls, 0, "lines the prefetch loaded were asked for again");
	expect_balanced();
	la_store_free(s);
}

Test(bus_port, a_failed_prefetch_fails_the_unit_of_work)
{
	memset(&pf, 0, sizeof pf);
	la_store_port port = fake_port;
	port.prefetch = fake_prefetch;
	la_store *s = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	pf.error = LA_EDB;
	cr_assert_eq(handle_mixed_batch(s), LA_EDB);
	cr_assert_eq(pf.calls, 1, "a store failure is not retried");
	cr_assert_null(la_product_find_line(f.products[0], "o1"), "nothing was committed");
	expect_balanced();
	la_store_free(s);
}

Test(bus_port, a_version_4_port_is_not_asked_to_prefetch)
{
	memset(&pf, 0, sizeof pf);
	la_store_port port = fake_port;
	port.version = 4;
	port.prefetch = prefetch_must_not_be_called;
	port.load_line = counting_load_line;
	la_store *s = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_OK);
	cr_assert_eq(handle_mixed_batch(s), LA_OK, "%s", la_error_last());
	cr_assert_gt(pf.load_line_calls, 0, "without a prefetch each line is looked up");
	expect_balanced();
	la_store_free(s);
}

Test(bus_port, store_new_checks_the_port)
{
	la_store *s = NULL;
	fake saved = f;
	la_store_port port = fake_port;
	port.version = 0;
	cr_assert_neq(la_store_new(&s, &port, &f), LA_OK);
	cr_assert_null(s);
	port.version = LA_STORE_PORT_VERSION + 1;
	cr_assert_neq(la_store_new(&s, &port, &f), LA_OK);
	port = fake_port;
	port.begin = NULL;
	cr_assert_eq(la_store_new(&s, &port, &f), LA_EINVAL);
	cr_assert_null(s);
	/* Each refusal closed the state it was given. */
	cr_assert_eq(f.closes, saved.closes + 3);
	cr_assert_eq(la_store_new(&s, NULL, NULL), LA_EINVAL);
}
