/*
 * The order history travels in the commit's own transaction: a commit that
 * fails after its history rows were queued (a trigger refuses the batch
 * figures, which are written last) leaves none behind.
 */
#include <criterion/criterion.h>

#include "pg_test.h"

Test(postgres_history, a_failed_commit_leaves_no_history)
{
	la_store *store;
	la_bus *bus;
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.max_retries = 1;
	pgt_open(&store, &bus, 0, &opts);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql"
	                                " AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;"
	                                "CREATE TRIGGER refuse_figures BEFORE UPDATE OF allocated"
	                                " ON batches FOR EACH ROW EXECUTE FUNCTION refuse()"),
	             0);
	cr_assert_neq(pgt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM order_history"), 0);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations"), 0);

	cr_assert_eq(test_pg_exec(conn, "DROP TRIGGER refuse_figures ON batches"), 0);
	PQfinish(conn);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM order_history WHERE orderid = 'o1'"
	                              " AND event = 101 AND batchref = 'b1' AND qty = 2"),
	             1);
	pgt_close(store, bus);
}
