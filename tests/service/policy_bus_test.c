/*
 * Allocation policies through the bus (la_bus_options.policy), on whatever
 * store tests/support/store_factory.h opens: a promise date reaches the
 * policy, a bad answer fails the command and the store keeps nothing of it.
 */
#include "bus_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static la_store *store;
static la_bus *bus;

static void open_bus(const la_policy *policy)
{
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.policy = policy;
	test_bus_open(&store, &bus, &opts);
}

static void close_bus(void)
{
	test_bus_close(store, bus);
}

static int run(la_message *cmd)
{
	return test_bus_run(bus, cmd);
}

static void batch(const char *ref, int64_t qty, const char *eta)
{
	la_message *m;
	cr_assert_eq(la_command_create_batch(&m, ref, "LAMP", qty, eta), LA_OK);
	cr_assert_eq(run(m), LA_OK, "%s", la_error_last());
}

static int allocate(const char *orderid, int64_t qty, const char *promise)
{
	la_message *m;
	cr_assert_eq(la_command_allocate_with(&m, orderid, "LAMP", qty, 0, promise), LA_OK, "%s",
	             la_error_last());
	return run(m);
}

/* The batch orderid's line is on in the read model, or "" when none. */
static const char *batch_of(const char *orderid)
{
	static char ref[64];
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, store, orderid), LA_OK, "%s", la_error_last());
	ref[0] = '\0';
	if (la_allocation_list_count(list) == 1)
		(void)snprintf(ref, sizeof ref, "%s", la_allocation_list_batchref(list, 0));
	la_allocation_list_free(list);
	return ref;
}

static int64_t available(const char *ref)
{
	la_batch_page *page;
	cr_assert_eq(la_view_batch(&page, store, ref), LA_OK, "%s", la_error_last());
	int64_t n = la_batch_page_available(page, 0);
	la_batch_page_free(page);
	return n;
}

Test(policy_bus, latest_in_time_reads_the_promise_of_an_allocate)
{
	open_bus(la_policy_builtin("latest-in-time"));
	batch("stock", 10, NULL);
	batch("march", 10, "2030-03-01");
	batch("june", 10, "2030-06-01");
	cr_assert_eq(allocate("o-promised", 4, "2030-04-01"), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-promised"), "march");
	cr_assert_eq(allocate("o-urgent", 4, NULL), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-urgent"), "stock");
	close_bus();
}

Test(policy_bus, book_ignores_the_promise)
{
	open_bus(NULL);
	batch("stock", 10, NULL);
	batch("march", 10, "2030-03-01");
	cr_assert_eq(allocate("o-promised", 4, "2030-04-01"), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-promised"), "stock");
	close_bus();
}

/* Answers the index in its payload, whatever the batches. */
static int choose_fixed(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                        const char *promise, void *payload)
{
	(void)p, (void)orderid, (void)qty, (void)promise;
	*out = *(const size_t *)payload;
	return LA_OK;
}

Test(policy_bus, a_policy_that_would_oversell_fails_the_command_and_nothing_is_stored)
{
	size_t index = 0;
	la_policy planted = {LA_POLICY_VERSION, "planted-oversell", choose_fixed, &index};
	open_bus(&planted);
	batch("big", 10, "2030-01-01");
	batch("small", 2, NULL);
	index = 0; /* "small" is in stock: first in preference order */
	cr_assert_eq(allocate("o-big", 3, NULL), LA_EUSER);
	cr_assert(strstr(la_error_last(), "planted-oversell"), "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-big"), "");
	cr_assert_eq(available("small"), 2);
	cr_assert_eq(available("big"), 10);
	index = 7;
	cr_assert_eq(allocate("o-big", 3, NULL), LA_EUSER);
	cr_assert(strstr(la_error_last(), "out of range"), "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-big"), "");
	index = 1; /* "big": room, accepted */
	cr_assert_eq(allocate("o-big", 3, NULL), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(batch_of("o-big"), "big");
	close_bus();
}

Test(policy_bus, a_malformed_policy_is_refused_by_la_bus_new)
{
	cr_assert_eq(test_store_open(&store), LA_OK, "%s", la_error_last());
	la_policy empty = {LA_POLICY_VERSION, "no-rule", NULL, NULL};
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.policy = &empty;
	bus = NULL;
	cr_assert_eq(la_bus_new(&bus, store, &opts), LA_EINVAL);
	cr_assert_null(bus);
	cr_assert(strstr(la_error_last(), "no-rule"), "%s", la_error_last());
	la_store_free(store);
}
