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
