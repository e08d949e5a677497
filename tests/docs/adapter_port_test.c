/*
 * The worked adapter example driven through its port operations one by one,
 * as the bus drives them, for the contract points a bus scenario cannot
 * reach in isolation: the identity map, lazy loading, a line deallocated in
 * the unit of work not coming back, ownership by add, the optimistic check
 * at commit and a failed commit leaving nothing behind, and a snapshot that
 * changed while loading. The adapter's source is included so its static
 * operations can be called.
 */
#include "../../examples/adapter/array_store.c" // NOLINT(bugprone-suspicious-include): its static functions are tested

#include <criterion/criterion.h>

static array_db *db;
static la_store *store;
static connection *conn, *other;

/* A database with LAMP: b1 (in stock, 100) holding o1 (2) and o2 (3), b2 (eta, 100). */
static void setup(void)
{
	cr_assert_eq(array_db_new(&db), LA_OK);
	cr_assert_eq(array_store_open(&store, db, 0), LA_OK);
	la_bus *bus;
	cr_assert_eq(la_bus_new(&bus, store, NULL), LA_OK);
	la_message *m;
	cr_assert_eq(la_command_create_batch(&m, "b1", "LAMP", 100, NULL), LA_OK);
	cr_assert_eq(la_bus_handle(bus, m), LA_OK);
	la_message_free(m);
	cr_assert_eq(la_command_create_batch(&m, "b2", "LAMP", 100, "2011-01-02"), LA_OK);
	cr_assert_eq(la_bus_handle(bus, m), LA_OK);
	la_message_free(m);
	const char *orders[] = {"o1", "o2"};
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(la_command_allocate(&m, orders[i], "LAMP", 2 + i), LA_OK);
		cr_assert_eq(la_bus_handle(bus, m), LA_OK);
		la_message_free(m);
	}
	la_bus_free(bus);
	la_store_free(store);
	store = NULL;
	conn = calloc(1, sizeof *conn);
	other = calloc(1, sizeof *other);
	cr_assert(conn && other);
	conn->db = other->db = db;
	cr_assert_eq(array_begin(conn), LA_OK);
}

static void teardown(void)
{
	array_close(conn);
	array_close(other);
	array_db_free(db);
}

TestSuite(adapter_port, .init = setup, .fini = teardown);

static batch_row *row_of(const char *ref)
{
	batch_row *b = db_batch(db, ref);
	cr_assert_not_null(b, "no batch row %s", ref);
	return b;
}

Test(adapter_port, get_loads_batches_with_stored_figures_and_no_lines)
{
	la_product *p = NULL;
	cr_assert_eq(array_get(&p, "LAMP", conn), LA_OK, "%s", la_error_last());
	cr_expect_eq(la_product_version(p), 4);
	cr_assert_eq(la_product_batch_count(p), 2);
	const la_batch *b1 = la_product_find_batch(p, "b1");
	cr_expect_eq(la_batch_allocated_quantity(b1), 5);
	cr_expect_eq(la_batch_line_count(b1), 2);
	cr_expect_null(la_product_find_line(p, "o1"), "get must not load lines");
	cr_expect_eq(array_get(&p, "NOPE", conn), LA_ENOTFOUND);
}

Test(adapter_port, one_object_per_product_per_unit_of_work)
{
	la_product *a = NULL, *b = NULL;
	cr_assert_eq(array_get(&a, "LAMP", conn), LA_OK);
	cr_assert_eq(array_get_by_batchref(&b, "b2", conn), LA_OK);
	cr_expect_eq(a, b);
	cr_expect_eq(conn->product_count, 1);
}

Test(adapter_port, lines_are_loaded_one_or_one_batch_at_a_time)
{
	la_product *p = NULL;
	cr_assert_eq(array_get(&p, "LAMP", conn), LA_OK);
	cr_assert_eq(array_load_line(p, "o1", conn), LA_OK, "%s", la_error_last());
	cr_expect_str_eq(la_batch_reference(la_product_find_line(p, "o1")), "b1");
	cr_expect_null(la_product_find_line(p, "o2"), "load_line loads one line");
	cr_expect_eq(array_load_line(p, "o9", conn), LA_OK, "unknown line: nothing to load");
	cr_assert_eq(array_load_batch_lines(p, "b1", conn), LA_OK, "%s", la_error_last());
	cr_expect_not_null(la_product_find_line(p, "o2"));
	/* with every line of b1 known, it may now lose lines */
	cr_expect_eq(la_product_change_batch_quantity(p, "b1", 2), LA_OK, "%s", la_error_last());
}

Test(adapter_port, a_line_deallocated_in_the_unit_of_work_is_not_loaded_again)
{
	la_product *p = NULL;
	cr_assert_eq(array_get(&p, "LAMP", conn), LA_OK);
	cr_assert_eq(array_load_line(p, "o1", conn), LA_OK);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(array_load_line(p, "o1", conn), LA_OK);
	cr_assert_eq(array_load_batch_lines(p, "b1", conn), LA_OK, "%s", la_error_last());
	cr_expect_null(la_product_find_line(p, "o1"));
	cr_expect_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 3);
	cr_assert_eq(array_commit(conn), LA_OK, "%s", la_error_last());
	cr_expect_eq(row_of("b1")->allocated, 3);
	cr_expect_eq(row_of("b1")->lines, 1);
	cr_expect_null(db_line(db, "LAMP", "o1"));
}

Test(adapter_port, add_owns_the_product_even_when_it_refuses_it)
{
	la_product *dup = NULL;
	cr_assert_eq(la_product_new(&dup, "LAMP"), LA_OK);
	/* refused and freed by the store: a leak checker sees no leak */
	cr_expect_eq(array_add(dup, conn), LA_ECONFLICT);
	cr_expect_eq(conn->product_count, 0);
	la_product *fresh = NULL;
	cr_assert_eq(la_product_new(&fresh, "DESK"), LA_OK);
	cr_assert_eq(array_add(fresh, conn), LA_OK);
	cr_assert_eq(la_product_add_batch(fresh, "d1", 5, NULL), LA_OK);
	la_product *again = NULL;
	cr_expect_eq(array_get_by_batchref(&again, "d1", conn), LA_OK,
	             "a batch added since begin is found");
	cr_expect_eq(again, fresh);
	cr_assert_eq(array_commit(conn), LA_OK, "%s", la_error_last());
	cr_expect_not_null(db_product(db, "DESK"));
	cr_expect_eq(row_of("d1")->purchased, 5);
}

Test(adapter_port, commit_writes_the_change_log_as_deltas)
{
	la_product *p = NULL;
	cr_assert_eq(array_get(&p, "LAMP", conn), LA_OK);
	cr_assert_eq(array_load_line(p, "o3", conn), LA_OK);
	const char *ref = NULL;
	cr_assert_eq(la_product_allocate(&ref, p, "o3", 10), LA_OK);
	cr_assert_eq(array_commit(conn), LA_OK, "%s", la_error_last());
	cr_expect_eq(la_product_change_count(p), 0, "the log is cleared once saved");
	cr_expect_eq(la_product_saved_version(p), 5);
	cr_expect_eq(db_product(db, "LAMP")->version, 5);
	cr_expect_eq(row_of("b1")->allocated, 15);
	cr_expect_eq(row_of("b1")->lines, 3);
	line_row *line = db_line(db, "LAMP", "o3");
	cr_assert_not_null(line);
	cr_expect_eq(line->sequence, 5, "a line's sequence is the version it was allocated at");
}

Test(adapter_port, a_stale_version_conflicts_and_the_commit_leaves_nothing)
{
	la_product *mine = NULL, *theirs = NULL;
	const char *ref = NULL;
	cr_assert_eq(array_get(&mine, "LAMP", conn), LA_OK);
	cr_assert_eq(array_begin(other), LA_OK);
	cr_assert_eq(array_get(&theirs, "LAMP", other), LA_OK);
	/* the other connection commits first */
	cr_assert_eq(la_product_allocate(&ref, theirs, "o4", 1), LA_OK);
	cr_assert_eq(array_commit(other), LA_OK, "%s", la_error_last());
	array_end(other);

	cr_assert_eq(la_product_allocate(&ref, mine, "o5", 1), LA_OK);
	cr_assert_eq(la_product_add_batch(mine, "b3", 7, NULL), LA_OK);
	cr_expect_eq(array_commit(conn), LA_ECONFLICT);
	cr_expect(strstr(la_error_last(), "changed meanwhile") != NULL, "%s", la_error_last());
	/* rolled back: nothing of mine in the rows, my product reverted */
	cr_expect_null(db_line(db, "LAMP", "o5"));
	cr_expect_null(db_batch(db, "b3"));
	cr_expect_eq(db_product(db, "LAMP")->version, 5);
	cr_expect_eq(la_product_change_count(mine), 0);
	cr_expect_eq(la_product_version(mine), 4);
	cr_expect_null(la_product_find_batch(mine, "b3"));
}

Test(adapter_port, lines_of_a_changed_snapshot_ask_for_a_retry)
{
	la_product *mine = NULL, *theirs = NULL;
	const char *ref = NULL;
	cr_assert_eq(array_get(&mine, "LAMP", conn), LA_OK);
	cr_assert_eq(array_begin(other), LA_OK);
	cr_assert_eq(array_get(&theirs, "LAMP", other), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, theirs, "o4", 1), LA_OK);
	cr_assert_eq(array_commit(other), LA_OK);
	array_end(other);
	cr_expect_eq(array_load_line(mine, "o1", conn), LA_ECONFLICT);
	cr_expect_eq(array_load_batch_lines(mine, "b1", conn), LA_ECONFLICT);
}

Test(adapter_port, rollback_reverts_and_end_releases)
{
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(array_get(&p, "LAMP", conn), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o6", 1), LA_OK);
	array_rollback(conn);
	cr_expect_eq(la_product_version(p), 4);
	cr_expect_null(la_product_find_line(p, "o6"));
	array_end(conn);
	cr_expect_eq(conn->product_count, 0);
	cr_expect_null(db_line(db, "LAMP", "o6"));
	cr_expect_eq(array_begin(conn), LA_OK, "a new unit of work may begin");
	cr_expect_eq(array_begin(conn), LA_ESTATE, "but not two at once");
}
