/*
 * The repository on a real SQLite file, driven through the port functions
 * as the bus drives them: get by sku and by batch ref, the identity map,
 * and lazy loading of lines.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sqlite_store.h"
#include "sqlite_test_support.h"

static struct sq_store *state;

/* A file with batches b1, b2 (sku LAMP) and b3 (sku DESK); o1, o2 on b1. */
static const char *fixture(void)
{
	const char *path = sqlt_path("repository");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlt_create_batch(bus, "b1", "LAMP", 100, NULL);
	sqlt_create_batch(bus, "b2", "LAMP", 100, "2011-01-02");
	sqlt_create_batch(bus, "b3", "DESK", 10, NULL);
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "LAMP", 3, NULL, 0), LA_OK);
	la_bus_free(bus);
	la_store_free(store);
	cr_assert_eq(sq_store_open(&state, path, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(sq_uow_begin(state), LA_OK, "%s", la_error_last());
	return path;
}

static void teardown(void)
{
	if (state) {
		sq_uow_end(state);
		sq_store_close(state);
		state = NULL;
	}
}

TestSuite(sqlite_repository, .fini = teardown);

Test(sqlite_repository, get_by_batchref_returns_the_product_holding_the_batch)
{
	fixture();
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get_by_batchref(&p, "b3", state), LA_OK, "%s", la_error_last());
	cr_assert_str_eq(la_product_sku(p), "DESK");
	cr_assert_not_null(la_product_find_batch(p, "b3"));
	cr_assert_eq(sq_repo_get_by_batchref(&p, "b2", state), LA_OK);
	cr_assert_str_eq(la_product_sku(p), "LAMP");
	cr_assert_eq(la_product_batch_count(p), 2);
	cr_assert_eq(sq_repo_get_by_batchref(&p, "nope", state), LA_ENOTFOUND);
}

Test(sqlite_repository, get_loads_product_and_batches_with_stored_figures)
{
	fixture();
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK, "%s", la_error_last());
	/* two batches and two allocations: version 4 */
	cr_assert_eq(la_product_version(p), 4);
	cr_assert_eq(la_product_saved_version(p), 4);
	cr_assert_eq(la_product_is_new(p), 0);
	const la_batch *b1 = la_product_batch_at(p, 0);
	cr_assert_str_eq(la_batch_reference(b1), "b1");
	cr_assert_eq(la_batch_allocated_quantity(b1), 5);
	cr_assert_eq(la_batch_line_count(b1), 2);
	cr_assert_null(la_batch_eta(b1));
	const la_batch *b2 = la_product_batch_at(p, 1);
	cr_assert_str_eq(la_batch_eta(b2), "2011-01-02");
	cr_assert_eq(la_batch_available_quantity(b2), 100);
	cr_assert_eq(sq_repo_get(&p, "CHAIR", state), LA_ENOTFOUND);
}

Test(sqlite_repository, identity_map_gives_the_same_product_twice)
{
	fixture();
	la_product *a = NULL, *b = NULL, *c = NULL;
	cr_assert_eq(sq_repo_get(&a, "LAMP", state), LA_OK);
	cr_assert_eq(sq_repo_get(&b, "LAMP", state), LA_OK);
	cr_assert_eq(sq_repo_get_by_batchref(&c, "b2", state), LA_OK);
	cr_assert_eq(a, b);
	cr_assert_eq(a, c);
}

Test(sqlite_repository, lines_are_loaded_only_on_request)
{
	fixture();
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_null(la_product_find_line(p, "o1"), "get must not load lines");
	cr_assert_eq(sq_repo_load_line(p, "o1", state), LA_OK, "%s", la_error_last());
	const la_batch *b = la_product_find_line(p, "o1");
	cr_assert_not_null(b);
	cr_assert_str_eq(la_batch_reference(b), "b1");
	cr_assert_null(la_product_find_line(p, "o2"), "load_line loads one line");
	cr_assert_eq(sq_repo_load_line(p, "o9", state), LA_OK, "unknown line: nothing to load");
	cr_assert_null(la_product_find_line(p, "o9"));
	cr_assert_eq(sq_repo_load_batch_lines(p, "b1", state), LA_OK, "%s", la_error_last());
	cr_assert_not_null(la_product_find_line(p, "o2"));
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 5);
}

Test(sqlite_repository, a_line_deallocated_in_the_unit_of_work_is_not_loaded_again)
{
	const char *path = fixture();
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(sq_repo_load_line(p, "o1", state), LA_OK);
	cr_assert_eq(la_product_deallocate(p, "o1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(sq_repo_load_line(p, "o1", state), LA_OK);
	cr_assert_eq(sq_repo_load_batch_lines(p, "b1", state), LA_OK, "%s", la_error_last());
	cr_assert_null(la_product_find_line(p, "o1"));
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 3);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	sqlt_check_invariants(path);
}

Test(sqlite_repository, outside_a_unit_of_work_is_refused)
{
	fixture();
	sq_uow_end(state);
	la_product *p = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_ESTATE);
}

Test(sqlite_repository, another_connections_commit_is_seen_through_the_cache)
{
	const char *path = fixture();
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK); /* cached at version 4 */
	sq_uow_end(state);

	struct sq_store *other = NULL;
	cr_assert_eq(sq_store_open(&other, path, 0), LA_OK);
	cr_assert_eq(sq_uow_begin(other), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", other), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o3", 7), LA_OK);
	cr_assert_eq(la_product_add_batch(p, "b4", 1, "2011-01-01"), LA_OK);
	cr_assert_eq(sq_uow_commit(other), LA_OK, "%s", la_error_last());
	sq_uow_end(other);
	sq_store_close(other);

	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_version(p), 6);
	cr_assert_eq(la_product_batch_count(p), 3);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 12);
	cr_assert_eq(la_batch_line_count(la_product_find_batch(p, "b1")), 3);
}

Test(sqlite_repository, a_rolled_back_change_does_not_reach_the_cache)
{
	fixture();
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o3", 7), LA_OK);
	sq_uow_rollback(state);
	sq_uow_end(state);
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_version(p), 4);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 5);
	/* and a committed one does: the next unit of work builds from it */
	cr_assert_eq(sq_repo_load_line(p, "o3", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o3", 7), LA_OK);
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	sq_uow_end(state);
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_version(p), 5);
	cr_assert_eq(la_batch_allocated_quantity(la_product_find_batch(p, "b1")), 12);
	cr_assert_eq(la_batch_line_count(la_product_find_batch(p, "b1")), 3);
}

/* Rows written by hand: two batches of one sku in one (eta, sequence)
 * place, which the product's sorted batches cannot hold (cancelling one
 * would detach the other). Loading refuses them as the database's fault:
 * LA_EDB, not a conflict the bus would retry, and nothing changes. */
Test(sqlite_repository, two_batches_in_one_eta_and_sequence_are_inconsistent)
{
	const char *path = sqlt_path("twins");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, 0);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	sqlt_create_batch(bus, "b2", "LAMP", 10, NULL);
	la_bus_free(bus);
	la_store_free(store);
	sqlite3 *raw = sqlt_raw(path);
	cr_assert_eq(sqlite3_exec(raw,
	                          "UPDATE batches SET sequence ="
	                          " (SELECT sequence FROM batches WHERE ref = 'b1')"
	                          " WHERE ref = 'b2'",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(raw));

	sqlt_open(&store, &bus, path, 0);
	la_message *m = NULL;
	cr_assert_eq(la_command_cancel_batch(&m, "b2"), LA_OK);
	cr_assert_eq(la_bus_handle(bus, m), LA_EDB, "%s", la_error_last());
	const char *msg = la_error_last();
	cr_assert(strstr(msg, "stored data is inconsistent") && strstr(msg, "b1") &&
	              strstr(msg, "b2"),
	          "%s", msg);
	la_message_free(m);
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_EDB, "%s", la_error_last());
	uint64_t retries = 1;
	la_bus_stats(bus, NULL, NULL, &retries, NULL);
	cr_assert_eq(retries, 0, "an inconsistent store is not a conflict to retry");
	la_bus_free(bus);
	la_store_free(store);
	cr_assert_eq(sqlt_int(raw, "SELECT count(*) FROM batches WHERE sku = 'LAMP'"), 2);
	cr_assert_eq(sqlt_int(raw, "SELECT count(*) FROM allocations"), 0);
	sqlite3_close(raw);
}
