/*
 * The CSV store's port operations one by one, as the bus drives them: the
 * identity map, lazy loading, a line deallocated in the unit of work not
 * coming back, add owning its product, commit writing deltas and refusing a
 * duplicate, rollback leaving memory and files alone. The store's source is
 * included so its static operations can be called.
 */
#include "../../adapters/csv/csv_store.c" // NOLINT(bugprone-suspicious-include): its static functions are tested

#include <criterion/criterion.h>

#include "csv_test_support.h"

static char *folder;
static la_store *store;
static csv_store *st;

#define BATCHES     "ref,sku,qty,eta\nb1,LAMP,100,\nb2,LAMP,100,2011-01-02\n"
#define ALLOCATIONS "orderid,sku,qty,batchref\no1,LAMP,2,b1\no2,LAMP,3,b1\n"

static void setup(void)
{
	folder = csv_test_folder();
	csv_test_write(folder, "batches.csv", BATCHES);
	csv_test_write(folder, "allocations.csv", ALLOCATIONS);
	cr_assert_eq(csv_store_create(&store, &st, folder), LA_OK, "%s", la_error_last());
	cr_assert_eq(csv_begin(st), LA_OK);
}

static void teardown(void)
{
	la_store_free(store); /* ends an open unit of work */
	csv_test_remove_folder(folder);
}

TestSuite(csv_port, .init = setup, .fini = teardown);

static void expect_files_untouched(void)
{
	char *b = csv_test_read(folder, "batches.csv", NULL);
	char *a = csv_test_read(folder, "allocations.csv", NULL);
	cr_expect_str_eq(b, BATCHES);
	cr_expect_str_eq(a, ALLOCATIONS);
	free(b);
	free(a);
}

Test(csv_port, identity_map)
{
	la_product *p, *q, *r;
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	cr_assert_eq(csv_get(&q, "LAMP", st), LA_OK);
	cr_assert_eq(csv_get_by_batchref(&r, "b2", st), LA_OK);
	cr_expect_eq(p, q);
	cr_expect_eq(p, r);
	cr_expect_eq(csv_get(&q, "NOPE", st), LA_ENOTFOUND);
	cr_expect_eq(csv_get_by_batchref(&q, "b9", st), LA_ENOTFOUND);
}

Test(csv_port, batches_come_with_their_figures_and_lines_only_on_demand)
{
	la_product *p;
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	const la_batch *b1 = la_product_find_batch(p, "b1");
	cr_assert_not_null(b1);
	cr_expect_eq(la_batch_allocated_quantity(b1), 5);
	cr_expect_eq(la_batch_line_count(b1), 2);
	cr_expect_null(la_product_find_line(p, "o1"), "lines are not loaded by get");
	cr_assert_eq(csv_load_line(p, "o1", st), LA_OK);
	cr_expect_eq(la_product_find_line(p, "o1"), b1);
	cr_expect_null(la_product_find_line(p, "o2"));
	cr_assert_eq(csv_load_line(p, "unknown", st), LA_OK);
	cr_assert_eq(csv_load_batch_lines(p, "b1", st), LA_OK);
	cr_expect_eq(la_product_find_line(p, "o2"), b1);
}

Test(csv_port, a_line_deallocated_in_the_unit_of_work_does_not_come_back)
{
	la_product *p;
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	cr_assert_eq(csv_load_line(p, "o1", st), LA_OK);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK);
	cr_assert_eq(csv_load_line(p, "o1", st), LA_OK);
	cr_expect_null(la_product_find_line(p, "o1"));
	cr_assert_eq(csv_load_batch_lines(p, "b1", st), LA_OK);
	cr_expect_null(la_product_find_line(p, "o1"));
	cr_expect_not_null(la_product_find_line(p, "o2"));
	cr_assert_eq(csv_store_commit(st), LA_OK, "%s", la_error_last());
	char *a = csv_test_read(folder, "allocations.csv", NULL);
	cr_expect_str_eq(a, "orderid,sku,qty,batchref\r\no2,LAMP,3,b1\r\n");
	free(a);
}

Test(csv_port, commit_writes_the_deltas_and_only_the_changed_file)
{
	la_product *p;
	const char *ref;
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	cr_assert_eq(csv_load_line(p, "o3", st), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o3", 98), LA_OK);
	cr_expect_str_eq(ref, "b2");
	cr_assert_eq(csv_store_commit(st), LA_OK, "%s", la_error_last());
	cr_expect_eq(la_product_change_count(p), 0, "changes saved");
	char *b = csv_test_read(folder, "batches.csv", NULL);
	char *a = csv_test_read(folder, "allocations.csv", NULL);
	cr_expect_str_eq(b, BATCHES, "batches.csv untouched by an allocation");
	cr_expect_str_eq(a, "orderid,sku,qty,batchref\r\no1,LAMP,2,b1\r\no2,LAMP,3,b1\r\n"
	                    "o3,LAMP,98,b2\r\n");
	free(a);
	free(b);
	/* the new line is the most recent of the product */
	long i = csv_data_find_line(&st->data, "o3", "LAMP");
	cr_assert_geq(i, 0);
	cr_expect_gt(st->data.lines[i].sequence, st->data.lines[1].sequence);
}

Test(csv_port, add_owns_the_product_and_a_duplicate_is_refused_at_commit)
{
	la_product *p;
	cr_assert_eq(la_product_new(&p, "LAMP"), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b3", 5, NULL), LA_OK);
	cr_assert_eq(csv_add(p, st), LA_OK); /* the store owns it now */
	cr_expect_eq(csv_store_commit(st), LA_ECONFLICT);
	expect_files_untouched();

	la_product *n;
	csv_rollback(st);
	csv_end(st);
	cr_assert_eq(csv_begin(st), LA_OK);
	cr_assert_eq(la_product_new(&n, "SOFA"), LA_OK);
	cr_assert_eq(la_product_add_batch(n, "s1", 7, "2012-12-12"), LA_OK);
	cr_assert_eq(csv_add(n, st), LA_OK);
	cr_assert_eq(csv_store_commit(st), LA_OK, "%s", la_error_last());
	char *b = csv_test_read(folder, "batches.csv", NULL);
	cr_expect_str_eq(b, "ref,sku,qty,eta\r\nb1,LAMP,100,\r\nb2,LAMP,100,2011-01-02\r\n"
	                    "s1,SOFA,7,2012-12-12\r\n");
	free(b);
}

Test(csv_port, rollback_leaves_memory_and_files_alone)
{
	la_product *p;
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	cr_assert_eq(la_product_change_batch_quantity(p, "b2", 1), LA_OK);
	cr_assert_eq(la_product_cancel_batch(p, "b2"), LA_OK);
	csv_rollback(st);
	cr_expect_not_null(la_product_sku(p), "products live until end");
	csv_end(st);
	expect_files_untouched();
	cr_assert_eq(csv_begin(st), LA_OK);
	cr_assert_eq(csv_get(&p, "LAMP", st), LA_OK);
	cr_expect_eq(la_batch_purchased_quantity(la_product_find_batch(p, "b2")), 100);
}
