/* Short ways to drive a PostgreSQL store in tests, and checks in raw SQL. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pg_test.h"

void pgt_open(la_store **store, la_bus **bus, unsigned int flags, const la_bus_options *opts)
{
	cr_assert_eq(test_pg_store_open(store, flags), LA_OK, "open: %s", la_error_last());
	cr_assert_eq(la_bus_new(bus, *store, opts), LA_OK, "%s", la_error_last());
}

void pgt_reopen(la_store **out, la_bus **bus, la_store *store, unsigned int flags,
                const la_bus_options *opts)
{
	cr_assert_eq(test_pg_store_reopen(out, store, flags), LA_OK, "reopen: %s", la_error_last());
	cr_assert_eq(la_bus_new(bus, *out, opts), LA_OK, "%s", la_error_last());
}

void pgt_close(la_store *store, la_bus *bus)
{
	la_bus_free(bus);
	la_store_free(store);
}

/* Handle a freshly built command and free it. */
static int handle(la_bus *bus, la_message *msg, int built)
{
	cr_assert_eq(built, LA_OK, "building a command: %s", la_error_last());
	int rc = la_bus_handle(bus, msg);
	la_message_free(msg);
	return rc;
}

void pgt_create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty, const char *eta)
{
	la_message *msg = NULL;
	int built = la_command_create_batch(&msg, ref, sku, qty, eta);
	int rc = handle(bus, msg, built);
	cr_assert_eq(rc, LA_OK, "create batch %s: %s", ref, la_error_last());
}

int pgt_allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty, char *batchref,
                 size_t size)
{
	la_message *msg = NULL;
	int built = la_command_allocate(&msg, orderid, sku, qty);
	int rc = handle(bus, msg, built);
	if (batchref && size) {
		const char *ref = rc == LA_OK ? la_bus_result_batchref(bus) : NULL;
		snprintf(batchref, size, "%s", ref ? ref : "");
	}
	return rc;
}

int pgt_deallocate(la_bus *bus, const char *orderid, const char *sku)
{
	la_message *msg = NULL;
	int built = la_command_deallocate(&msg, orderid, sku);
	return handle(bus, msg, built);
}

int pgt_change_quantity(la_bus *bus, const char *ref, int64_t qty)
{
	la_message *msg = NULL;
	int built = la_command_change_batch_quantity(&msg, ref, qty);
	return handle(bus, msg, built);
}

int pgt_cancel_batch(la_bus *bus, const char *ref)
{
	la_message *msg = NULL;
	int built = la_command_cancel_batch(&msg, ref);
	return handle(bus, msg, built);
}

long long pgt_value(la_store *store, const char *sql)
{
	PGconn *conn = test_pg_connect(store);
	cr_assert_not_null(conn);
	long long value = test_pg_value(conn, sql);
	PQfinish(conn);
	return value;
}

void pgt_check_invariants(la_store *store)
{
	PGconn *conn = test_pg_connect(store);
	cr_assert_not_null(conn);
	cr_expect_eq(test_pg_value(conn, "SELECT count(*) FROM batches b WHERE"
	                                 " allocated <> (SELECT coalesce(sum(qty), 0) FROM"
	                                 " allocations a WHERE a.batchref = b.ref)"
	                                 " OR line_count <> (SELECT count(*) FROM allocations a"
	                                 " WHERE a.batchref = b.ref)"),
	             0, "a batch's stored figures differ from its lines");
	cr_expect_eq(test_pg_value(conn, "SELECT count(*) FROM batches WHERE allocated > purchased"
	                                 " OR allocated < 0"),
	             0, "a batch is over-allocated");
	cr_expect_eq(test_pg_value(conn,
	                           "SELECT count(*) FROM batches b WHERE held <> (SELECT"
	                           " coalesce(sum(qty), 0) FROM allocations a WHERE"
	                           " a.batchref = b.ref AND a.expires > 0) OR held > allocated"),
	             0, "a batch's held figure differs from its held lines");
	cr_expect_eq(test_pg_value(conn, "SELECT count(*) FROM allocations a WHERE NOT EXISTS"
	                                 " (SELECT 1 FROM batches b WHERE b.ref = a.batchref"
	                                 " AND b.sku = a.sku)"),
	             0, "a line's batch is missing or has another sku");
	cr_expect_eq(test_pg_value(conn, "SELECT count(*) FROM (SELECT orderid, sku, batchref"
	                                 " FROM allocations EXCEPT SELECT orderid, sku, batchref"
	                                 " FROM allocations_view) d"),
	             0, "allocations_view differs from allocations");
	cr_expect_eq(test_pg_value(conn, "SELECT count(*) FROM allocations_view"),
	             test_pg_value(conn, "SELECT count(*) FROM allocations"));
	PQfinish(conn);
}

void pgt_wait_for_lock_waiters(PGconn *ctl, const char *app1, const char *app2, int n)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('%s', '%s')"
	         " AND wait_event_type = 'Lock'",
	         app1, app2 ? app2 : app1);
	for (int i = 0; i < 3000; i++) { /* 30 s */
		if (test_pg_value(ctl, sql) == n)
			return;
		struct timespec ts = {0, 10000000}; /* 10 ms */
		nanosleep(&ts, NULL);
	}
	cr_assert_fail("backends %s/%s never waited on a lock", app1, app2 ? app2 : "");
}
