/* Allocation policies (policy.h): the built-ins by name, "latest-in-time",
 * and every check of a policy's answer, each with a planted bad policy that
 * must be refused with LA_EUSER naming it while the product stays as it was. */
#include "helpers.h"

#include <allocation/policy.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* A policy that answers whatever index its payload holds. */
static int choose_fixed(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                        const char *promise, void *payload)
{
	(void)p, (void)orderid, (void)qty, (void)promise;
	*out = *(const size_t *)payload;
	return LA_OK;
}

/* A policy that fails with a message of its own. */
static int choose_failing(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                          const char *promise, void *payload)
{
	(void)out, (void)p, (void)orderid, (void)qty, (void)promise, (void)payload;
	return la_error_set(LA_EINVAL, "warehouse rules not loaded");
}

/* A policy that answers the index of its payload's batch in *that* batch's
 * own product: a batch of another sku, as a careless policy might keep it. */
struct other_batch {
	const la_product *product;
	const char *ref;
};
static int choose_other_sku(size_t *out, const la_product *p, const char *orderid, int64_t qty,
                            const char *promise, void *payload)
{
	(void)p, (void)orderid, (void)qty, (void)promise;
	const struct other_batch *o = payload;
	for (size_t i = 0; i < la_product_batch_count(o->product); i++)
		if (strcmp(la_batch_reference(la_product_batch_at(o->product, i)), o->ref) == 0)
			*out = i;
	return LA_OK;
}

/* Allocate orderid with policy and promise: the status, *ref set. */
static int allocate_with(const char **ref, la_product *p, const char *orderid, int64_t qty,
                         const la_policy *policy, const char *promise)
{
	la_allocation_options opts = LA_ALLOCATION_OPTIONS_INIT;
	opts.policy = policy;
	opts.promise = promise;
	*ref = "(unset)";
	return la_product_allocate_with(ref, p, orderid, qty, &opts);
}

/* The planted policy is refused with LA_EUSER, a message naming it and
 * containing `words`, and the product is exactly as before. */
static void assert_refused(la_product *p, const la_policy *policy, int64_t qty, const char *words)
{
	char *before = test_product_snapshot(p, NULL);
	const char *ref;
	cr_assert_eq(allocate_with(&ref, p, "o-planted", qty, policy, NULL), LA_EUSER);
	cr_assert(strstr(la_error_last(), policy->name), "message: %s", la_error_last());
	cr_assert(strstr(la_error_last(), words), "message: %s", la_error_last());
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);
}

Test(policy, built_ins_are_found_by_name)
{
	const la_policy *book = la_policy_builtin("book");
	const la_policy *latest = la_policy_builtin("latest-in-time");
	cr_assert_not_null(book);
	cr_assert_not_null(latest);
	cr_assert_str_eq(book->name, "book");
	cr_assert_str_eq(latest->name, "latest-in-time");
	cr_assert_eq(book->version, LA_POLICY_VERSION);
	cr_assert_null(la_policy_builtin("fifo"));
	cr_assert_null(la_policy_builtin(NULL));
}

Test(policy, init_fills_the_defaults_and_refuses_unknown_versions)
{
	la_policy policy;
	memset(&policy, 0xab, sizeof policy);
	cr_assert_eq(la_policy_init(&policy, LA_POLICY_VERSION), LA_OK);
	cr_assert_eq(policy.version, LA_POLICY_VERSION);
	cr_assert_null(policy.name);
	cr_assert_null(policy.choose);
	cr_assert_null(policy.payload);
	cr_assert_eq(la_policy_init(&policy, LA_POLICY_VERSION + 1), LA_EUNSUPPORTED);
	cr_assert_eq(la_policy_init(NULL, LA_POLICY_VERSION), LA_EUNSUPPORTED);
}

Test(policy, check_refuses_an_unknown_version_or_no_choose)
{
	la_policy policy = LA_POLICY_INIT;
	policy.name = "half-made";
	cr_assert_eq(la_policy_check(&policy), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "half-made"), "%s", la_error_last());
	policy.choose = choose_failing;
	cr_assert_eq(la_policy_check(&policy), LA_OK);
	policy.version = 99;
	cr_assert_eq(la_policy_check(&policy), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "half-made"), "%s", la_error_last());
	cr_assert_eq(la_policy_check(NULL), LA_OK);
}

/* "book" is the default: the same batches as no policy at all. */
Test(policy, book_is_the_default_rule)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "later", 10, "2030-02-01");
	test_add_batch(p, "sooner", 10, "2030-01-01");
	test_add_batch(p, "stock", 5, NULL);
	const char *ref;
	cr_assert_eq(allocate_with(&ref, p, "o1", 5, la_policy_builtin("book"), "2030-03-01"),
	             LA_OK);
	cr_assert_str_eq(ref, "stock");
	cr_assert_str_eq(test_allocate(p, "o2", 5), "sooner");
	cr_assert_eq(allocate_with(&ref, p, "o3", 6, la_policy_builtin("book"), NULL), LA_OK);
	cr_assert_str_eq(ref, "later");
	la_product_free(p);
}

Test(policy, latest_in_time_takes_the_latest_batch_arriving_by_the_promise)
{
	la_product *p = test_product("LAMP");
	const la_policy *latest = la_policy_builtin("latest-in-time");
	test_add_batch(p, "stock", 10, NULL);
	test_add_batch(p, "june", 10, "2030-06-01");
	test_add_batch(p, "march", 10, "2030-03-01");
	test_add_batch(p, "december", 10, "2030-12-01");
	const char *ref;
	/* promised by July: June is the latest that still arrives in time */
	cr_assert_eq(allocate_with(&ref, p, "o1", 4, latest, "2030-07-01"), LA_OK);
	cr_assert_str_eq(ref, "june");
	/* arriving on the promise date itself is in time */
	cr_assert_eq(allocate_with(&ref, p, "o2", 4, latest, "2030-03-01"), LA_OK);
	cr_assert_str_eq(ref, "march");
	/* June's last 6, then a line June has no room for takes March */
	cr_assert_eq(allocate_with(&ref, p, "o3", 6, latest, "2030-07-01"), LA_OK);
	cr_assert_str_eq(ref, "june");
	cr_assert_eq(allocate_with(&ref, p, "o4", 5, latest, "2030-07-01"), LA_OK);
	cr_assert_str_eq(ref, "march");
	/* promised before any shipment: only stock arrives in time */
	cr_assert_eq(allocate_with(&ref, p, "o5", 3, latest, "2030-01-15"), LA_OK);
	cr_assert_str_eq(ref, "stock");
	cr_assert_eq(la_batch_available_quantity(la_product_find_batch(p, "stock")), 7);
	cr_assert_eq(la_batch_available_quantity(la_product_find_batch(p, "december")), 10);
	la_product_free(p);
}

Test(policy, latest_in_time_without_a_promise_or_in_time_batch_is_the_book)
{
	la_product *p = test_product("LAMP");
	const la_policy *latest = la_policy_builtin("latest-in-time");
	test_add_batch(p, "june", 10, "2030-06-01");
	test_add_batch(p, "march", 10, "2030-03-01");
	const char *ref;
	cr_assert_eq(allocate_with(&ref, p, "o1", 4, latest, NULL), LA_OK);
	cr_assert_str_eq(ref, "march");
	/* nothing arrives by January: the earliest that fits, as the book */
	cr_assert_eq(allocate_with(&ref, p, "o2", 4, latest, "2030-01-01"), LA_OK);
	cr_assert_str_eq(ref, "march");
	/* no room anywhere: out of stock, not an error */
	cr_assert_eq(allocate_with(&ref, p, "o3", 50, latest, "2030-12-01"), LA_OK);
	cr_assert_null(ref);
	la_product_free(p);
}

Test(policy, an_index_out_of_range_is_refused)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 10, NULL);
	test_add_batch(p, "b2", 10, NULL);
	size_t index = 2;
	la_policy policy = {LA_POLICY_VERSION, "planted-range", choose_fixed, &index};
	assert_refused(p, &policy, 1, "out of range");
	la_product_free(p);
}

Test(policy, a_batch_without_room_is_refused)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "big", 10, NULL);
	test_add_batch(p, "small", 3, "2030-01-01");
	size_t index = 1; /* "small", which has 3 */
	la_policy policy = {LA_POLICY_VERSION, "planted-oversell", choose_fixed, &index};
	assert_refused(p, &policy, 4, "small for o-planted, which has 3 available for a line of 4");
	la_product_free(p);
}

/* A batch of another sku cannot be named: the index counts this product's
 * batches, so another product's batch comes out of range. */
Test(policy, a_batch_of_another_sku_is_refused)
{
	la_product *other = test_product("TABLE");
	test_add_batch(other, "t1", 10, NULL);
	test_add_batch(other, "t2", 10, NULL);
	test_add_batch(other, "t3", 10, NULL);
	la_product *p = test_product("LAMP");
	test_add_batch(p, "l1", 10, NULL);
	struct other_batch o = {other, "t3"};
	la_policy policy = {LA_POLICY_VERSION, "planted-other-sku", choose_other_sku, &o};
	assert_refused(p, &policy, 1, "LAMP has 1 batches");
	la_product_free(p);
	la_product_free(other);
}

Test(policy, a_failing_policy_fails_the_command)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 10, NULL);
	la_policy policy = {LA_POLICY_VERSION, "planted-failure", choose_failing, NULL};
	assert_refused(p, &policy, 1, "warehouse rules not loaded");
	la_product_free(p);
}

Test(policy, a_policy_without_choose_or_of_a_later_version_is_refused)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 10, NULL);
	la_policy policy = {LA_POLICY_VERSION, "planted-empty", NULL, NULL};
	assert_refused(p, &policy, 1, "no choose function");
	size_t index = 0;
	la_policy future = {LA_POLICY_VERSION + 1, "planted-future", choose_fixed, &index};
	assert_refused(p, &future, 1, "not supported");
	la_product_free(p);
}

/* A backorder is placed by the same checked rule: a bad answer leaves it
 * waiting and the product unchanged. */
Test(policy, waiting_lines_are_placed_through_the_checks)
{
	la_product *p = test_product("LAMP");
	test_add_batch(p, "b1", 2, NULL);
	la_allocation_options opts = LA_ALLOCATION_OPTIONS_INIT;
	opts.backorder = 1;
	const char *ref;
	cr_assert_eq(la_product_allocate_with(&ref, p, "o-wait", 5, &opts), LA_OK);
	cr_assert_null(ref);
	cr_assert_eq(la_product_waiting_count(p), 1);
	test_add_batch(p, "b2", 3, NULL); /* room for o-wait in neither alone */
	test_add_batch(p, "b3", 9, NULL);
	la_product_clear_events(p);

	size_t index = 1; /* b2: 3 available, the line wants 5 */
	la_policy policy = {LA_POLICY_VERSION, "planted-waiting", choose_fixed, &index};
	opts.policy = &policy;
	char *before = test_product_snapshot(p, NULL);
	size_t placed = 99;
	cr_assert_eq(la_product_fill_waiting(&placed, p, &opts), LA_EUSER);
	cr_assert(strstr(la_error_last(), "planted-waiting"), "%s", la_error_last());
	char *after = test_product_snapshot(p, NULL);
	cr_assert_str_eq(after, before);
	free(before);
	free(after);

	index = 2; /* b3 */
	cr_assert_eq(la_product_fill_waiting(&placed, p, &opts), LA_OK, "%s", la_error_last());
	cr_assert_eq(placed, 1);
	cr_assert_str_eq(la_batch_reference(la_product_find_line(p, "o-wait")), "b3");
	la_product_free(p);
}
