/*
 * The unit of work on a real SQLite file: commit persists (across reopen),
 * ending without commit and an error inside both roll back, commit writes
 * only the deltas, and the version check refuses a stale product.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sqlite_store.h"
#include "sqlite_test_support.h"

static struct sq_store *open_state(const char *path)
{
	struct sq_store *state = NULL;
	cr_assert_eq(sq_store_open(&state, path, 0), LA_OK, "%s", la_error_last());
	return state;
}

static void close_state(struct sq_store *state)
{
	sq_uow_end(state);
	sq_store_close(state);
}

/* A stored product LAMP with one in-stock batch b1 of qty. */
static const char *lamp_file(const char *name, int64_t qty)
{
	const char *path = sqlt_path(name);
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlt_create_batch(bus, "b1", "LAMP", qty, NULL);
	la_bus_free(bus);
	la_store_free(store);
	return path;
}

Test(sqlite_unit_of_work, commit_persists_across_reopen)
{
	const char *path = sqlt_path("commit");
	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(la_product_new(&p, "CHAIR"), LA_OK);
	cr_assert_eq(sq_repo_add(p, state), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "c1", 20, "2011-04-01"), LA_OK);
	const char *ref = NULL;
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 5), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_product_change_count(p), 0, "commit marks the changes saved");
	close_state(state);

	la_store *store;
	cr_assert_eq(la_sqlite_store_open(&store, path, 0), LA_OK, "%s", la_error_last());
	la_allocation_list *list = NULL;
	cr_assert_eq(la_view_allocations(&list, store, "o1"), LA_OK);
	cr_assert_eq(la_allocation_list_count(list), 1);
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "c1");
	la_allocation_list_free(list);
	la_store_free(store);

	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT version_number FROM products WHERE sku = 'CHAIR'"), 2);
	cr_assert_eq(sqlt_int(db, "SELECT allocated FROM batches WHERE ref = 'c1'"), 5);
	sqlite3_close(db);
	sqlt_check_invariants(path);
}

Test(sqlite_unit_of_work, ending_without_commit_rolls_back)
{
	const char *path = lamp_file("uncommitted", 10);
	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 3), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b2", 5, NULL), LA_OK);
	sq_uow_end(state);
	/* a new unit of work sees the stored state, not the dropped one */
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_version(p), 1);
	cr_assert_eq(la_product_batch_count(p), 1);
	close_state(state);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT allocated FROM batches WHERE ref = 'b1'"), 0);
	sqlite3_close(db);
}

Test(sqlite_unit_of_work, explicit_rollback_discards_everything)
{
	const char *path = sqlt_path("rollback");
	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(la_product_new(&p, "RUG"), LA_OK);
	cr_assert_eq(sq_repo_add(p, state), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "r1", 20, NULL), LA_OK);
	sq_uow_rollback(state);
	close_state(state);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM products"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM batches"), 0);
	sqlite3_close(db);
}

Test(sqlite_unit_of_work, an_error_inside_rolls_back_every_change)
{
	const char *path = lamp_file("error", 10);
	struct sq_store *state = open_state(path);
	la_product *lamp = NULL, *desk = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&lamp, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, lamp, "o1", 3), LA_OK);
	/* a second product reusing batch ref b1: the commit must fail as a whole */
	cr_assert_eq(la_product_new(&desk, "DESK"), LA_OK);
	cr_assert_eq(sq_repo_add(desk, state), LA_OK);
	cr_assert_eq(la_product_add_batch(desk, "b1", 5, NULL), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_ECONFLICT);
	cr_assert(strstr(la_error_last(), "b1") != NULL, "message: %s", la_error_last());
	sq_uow_end(state);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM products WHERE sku = 'DESK'"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT version_number FROM products WHERE sku = 'LAMP'"), 1);
	sqlite3_close(db);
	/* and the store works on */
	cr_assert_eq(sq_uow_begin(state), LA_OK, "%s", la_error_last());
	cr_assert_eq(sq_repo_get(&lamp, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, lamp, "o1", 3), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	close_state(state);
	sqlt_check_invariants(path);
}

Test(sqlite_unit_of_work, a_stale_version_conflicts)
{
	const char *path = lamp_file("stale", 10);
	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 3), LA_OK);
	/* someone moved the version on since the product was loaded */
	cr_assert_eq(sqlite3_exec(state->db,
	                          "UPDATE products SET version_number = version_number + 1", NULL,
	                          NULL, NULL),
	             SQLITE_OK);
	cr_assert_eq(sq_uow_commit(state), LA_ECONFLICT);
	cr_assert(strstr(la_error_last(), "LAMP") != NULL, "message: %s", la_error_last());
	close_state(state);
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 0);
	cr_assert_eq(sqlt_int(db, "SELECT version_number FROM products"), 1);
	sqlite3_close(db);
}

Test(sqlite_unit_of_work, a_new_product_that_exists_conflicts)
{
	const char *path = lamp_file("duplicate", 10);
	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(la_product_new(&p, "LAMP"), LA_OK);
	cr_assert_eq(sq_repo_add(p, state), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b9", 5, NULL), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_ECONFLICT);
	close_state(state);
}

Test(sqlite_unit_of_work, a_writer_waiting_past_the_busy_timeout_conflicts)
{
	const char *path = lamp_file("busy", 10);
	struct sq_store *a = open_state(path), *b = open_state(path);
	sqlite3_busy_timeout(b->db, 50);
	cr_assert_eq(sq_uow_begin(a), LA_OK);
	cr_assert_eq(sq_uow_begin(b), LA_ECONFLICT);
	cr_assert(strstr(la_error_last(), "busy") != NULL, "message: %s", la_error_last());
	sq_uow_end(a);
	cr_assert_eq(sq_uow_begin(b), LA_OK, "%s", la_error_last());
	close_state(a);
	close_state(b);
}

Test(sqlite_unit_of_work, commit_writes_only_the_deltas)
{
	const char *path = sqlt_path("deltas");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	char ref[16], order[16];
	for (int i = 0; i < 30; i++) {
		snprintf(ref, sizeof ref, "b%02d", i);
		sqlt_create_batch(bus, ref, "LAMP", 10, i ? "2011-02-01" : NULL);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(order, sizeof order, "o%03d", i);
		cr_assert_eq(sqlt_allocate(bus, order, "LAMP", 1, NULL, 0), LA_OK);
	}
	la_bus_free(bus);
	la_store_free(store);

	struct sq_store *state = open_state(path);
	la_product *p = NULL;
	const char *chosen = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(sq_repo_load_line(p, "new", state), LA_OK);
	cr_assert_eq(la_product_allocate(&chosen, p, "new", 1), LA_OK);
	int before = sqlite3_total_changes(state->db);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	/* one line inserted, one batch row updated, one version bumped, one
	 * order-history row */
	cr_assert_eq(sqlite3_total_changes(state->db) - before, 4);
	close_state(state);
	sqlt_check_invariants(path);
}

/* Allocate orders o<first>..o<last> of LAMP in the open unit of work. */
static void allocate_range(la_product *lamp, int first, int last)
{
	char order[16];
	const char *ref = NULL;
	for (int i = first; i <= last; i++) {
		snprintf(order, sizeof order, "o%02d", i);
		cr_assert_eq(la_product_allocate(&ref, lamp, order, 1), LA_OK, "%s",
		             la_error_last());
	}
}

/* Rows of the commit go 32 per statement (insert_rows.c): with 70 lines
 * and a deallocation among them, rowids (positions) still follow the order
 * of the changes, in allocations and in the order history. */
Test(sqlite_unit_of_work, many_rows_in_one_commit_keep_the_order_of_the_changes)
{
	const char *path = lamp_file("many", 1000);
	struct sq_store *state = open_state(path);
	la_product *lamp = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&lamp, "LAMP", state), LA_OK);
	allocate_range(lamp, 0, 39);
	cr_assert_eq(la_product_deallocate(lamp, "o05"), LA_OK, "%s", la_error_last());
	allocate_range(lamp, 40, 69);
	cr_assert_eq(la_product_allocate(&ref, lamp, "o05", 1), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	close_state(state);

	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 70);
	/* o05 last (allocated again after o69), the others in number order */
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM (SELECT orderid,"
	                          " row_number() OVER (ORDER BY rowid) AS n FROM allocations)"
	                          " WHERE orderid <> CASE WHEN n = 70 THEN 'o05'"
	                          " ELSE printf('o%02d', n - 1 + (n > 5)) END"),
	             0);
	/* history: o00..o39 allocated, o05 deallocated, o40..o69 allocated, o05 allocated */
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM order_history"), 72);
	cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM (SELECT orderid, event,"
	                          " row_number() OVER (ORDER BY position) AS n FROM order_history)"
	                          " WHERE orderid || ' ' || event IS NOT CASE"
	                          " WHEN n <= 40 THEN printf('o%02d 101', n - 1)"
	                          " WHEN n = 41 THEN 'o05 102'"
	                          " WHEN n <= 71 THEN printf('o%02d 101', n - 2)"
	                          " ELSE 'o05 101' END"),
	             0);
	sqlite3_close(db);
	sqlt_check_invariants(path);
}

/* A line stored behind the model's back conflicts as a single insert
 * would, whether its row is in a 32-row statement or in the rest: the
 * message names it and nothing of the commit is stored. */
Test(sqlite_unit_of_work, a_stored_line_conflicts_in_a_many_row_statement_or_alone)
{
	const int stored[] = {10, 35}; /* in the first 32 rows, in the 8 after */
	for (size_t k = 0; k < sizeof stored / sizeof *stored; k++) {
		char name[16], sql[160], expected[64];
		snprintf(name, sizeof name, "conflict%zu", k);
		const char *path = lamp_file(name, 1000);
		sqlite3 *db = sqlt_raw(path);
		snprintf(sql, sizeof sql,
		         "INSERT INTO allocations(orderid, sku, batchref, qty, sequence)"
		         " VALUES('o%02d', 'LAMP', 'b1', 1, 1)",
		         stored[k]);
		cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
		struct sq_store *state = open_state(path);
		la_product *lamp = NULL;
		cr_assert_eq(sq_uow_begin(state), LA_OK);
		cr_assert_eq(sq_repo_get(&lamp, "LAMP", state), LA_OK);
		allocate_range(lamp, 0, 39); /* lines not loaded: the model does not know */
		cr_assert_eq(sq_uow_commit(state), LA_ECONFLICT);
		snprintf(expected, sizeof expected, "Order line o%02d LAMP is already allocated",
		         stored[k]);
		cr_assert_str_eq(la_error_last(), expected);
		sq_uow_end(state);
		cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 1);
		cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM order_history"), 0);
		cr_assert_eq(sqlt_int(db, "SELECT version_number FROM products WHERE sku = 'LAMP'"),
		             1);
		/* and the store works on */
		const char *ref = NULL;
		cr_assert_eq(sq_uow_begin(state), LA_OK, "%s", la_error_last());
		cr_assert_eq(sq_repo_get(&lamp, "LAMP", state), LA_OK);
		cr_assert_eq(la_product_allocate(&ref, lamp, "o99", 1), LA_OK);
		cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
		close_state(state);
		cr_assert_eq(sqlt_int(db, "SELECT count(*) FROM allocations"), 2);
		sqlite3_close(db);
	}
}
