/*
 * The PostgreSQL store through the bus: opening and the schema, the
 * repository and the unit of work, with raw SQL checks on what is stored.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <allocation/postgres.h>

#include "pg_test.h"

/* adapters/postgres/pg_store.h's PG_SCHEMA_VERSION, which tests cannot see. */
#define SCHEMA_VERSION 5

static la_store *store;
static la_bus *bus;

static void setup(void)
{
	pgt_open(&store, &bus, 0, NULL);
}

static void teardown(void)
{
	pgt_close(store, bus);
	store = NULL;
	bus = NULL;
}

TestSuite(postgres_store, .init = setup, .fini = teardown);

Test(postgres_store, open_creates_the_schema_at_the_current_version)
{
	cr_assert_str_eq(la_store_adapter(store), "postgres");
	cr_assert_eq(pgt_value(store, "SELECT version FROM schema_version"), SCHEMA_VERSION);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM schema_version"), 1);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM pending_reallocations"), 0);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM pg_views"
	                              " WHERE viewname = 'allocations_view'"
	                              " AND schemaname = current_schema()"),
	             1);
	/* a second open finds it current and leaves it alone */
	la_store *again;
	cr_assert_eq(test_store_reopen(&again, store), LA_OK, "%s", la_error_last());
	la_store_free(again);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM schema_version"), 1);
}

Test(postgres_store, a_newer_schema_is_refused)
{
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn, "UPDATE schema_version SET version = 99"), 0);
	PQfinish(conn);
	la_store *again = NULL;
	cr_assert_eq(test_store_reopen(&again, store), LA_EUNSUPPORTED);
	cr_assert_null(again);
	cr_assert(strstr(la_error_last(), "99"), "%s", la_error_last());
}

Test(postgres_store, a_version_1_schema_is_migrated_keeping_every_allocation)
{
	/* 1.x's schema: no holds, no waiting lines. */
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	pgt_create_batch(bus, "b2", "TABLE", 5, "2031-01-01");
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 3, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o1", "TABLE", 2, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 4, NULL, 0), LA_OK);
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn, "DROP TABLE waiting, pending_reallocations, order_history;"
	                                " DROP VIEW allocations_view;"
	                                " ALTER TABLE allocations DROP COLUMN expires;"
	                                " ALTER TABLE batches DROP COLUMN held;"
	                                " CREATE VIEW allocations_view AS SELECT position, orderid,"
	                                " sku, batchref, qty FROM allocations;"
	                                " UPDATE schema_version SET version = 1"),
	             0);
	PQfinish(conn);
	la_store *again;
	la_bus *bus2;
	pgt_reopen(&again, &bus2, store, 0, NULL);
	cr_assert_eq(pgt_value(store, "SELECT version FROM schema_version"), SCHEMA_VERSION);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations WHERE expires = 0"), 3);
	cr_assert_eq(pgt_value(store, "SELECT sum(allocated) FROM batches WHERE held = 0"), 9);
	la_allocation_list *list;
	cr_assert_eq(la_view_allocations(&list, again, "o1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_allocation_list_count(list), 2);
	cr_assert_str_eq(la_allocation_list_batchref(list, 0), "b1");
	cr_assert_eq(la_allocation_list_status(list, 1), LA_LINE_ALLOCATED);
	la_allocation_list_free(list);
	/* and the migrated schema keeps holds */
	la_message *m;
	cr_assert_eq(la_command_allocate_with(&m, "o3", "LAMP", 1, 60, NULL), LA_OK);
	cr_assert_eq(la_bus_handle(bus2, m), LA_OK, "%s", la_error_last());
	la_message_free(m);
	cr_assert_eq(pgt_value(store, "SELECT held FROM batches WHERE ref = 'b1'"), 1);
	pgt_check_invariants(store);
	pgt_close(again, bus2);
}

struct opener {
	la_store *first;
	int rc;
};

static void *open_one(void *arg)
{
	struct opener *o = arg;
	la_store *s = NULL;
	o->rc = test_pg_store_reopen(&s, o->first, 0);
	la_store_free(s);
	return NULL;
}

Test(postgres_store, many_processes_may_create_the_schema_at_once)
{
	/* a fresh, empty schema: every opener races to create the tables */
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn, "DROP TABLE products, batches, allocations, outbox,"
	                                " waiting, order_history, schema_version CASCADE;"
	                                " DROP FUNCTION allocation_save_version;"
	                                " DROP FUNCTION allocation_save_versions;"
	                                " DROP FUNCTION allocation_set_figures"),
	             0);
	PQfinish(conn);
	struct opener openers[6];
	pthread_t threads[6];
	for (int i = 0; i < 6; i++) {
		openers[i] = (struct opener){store, -100};
		pthread_create(&threads[i], NULL, open_one, &openers[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(threads[i], NULL);
		cr_expect_eq(openers[i].rc, LA_OK, "opener %d: %d", i, openers[i].rc);
	}
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM schema_version"), 1);
	cr_assert_eq(pgt_value(store, "SELECT version FROM schema_version"), SCHEMA_VERSION);
}

Test(postgres_store, bad_connection_strings_and_flags_are_refused)
{
	la_store *s = NULL;
	cr_assert_eq(la_pg_store_open(&s, "host=127.0.0.1 port=1 connect_timeout=2", 0), LA_EDB);
	cr_assert_null(s);
	cr_assert(strstr(la_error_last(), "cannot connect"), "%s", la_error_last());
	cr_assert_eq(la_pg_store_open(&s, "host=x nonsense=1", 0), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "nonsense"), "%s", la_error_last());
	cr_assert_eq(la_pg_store_open(&s, "postgresql://[bad", 0), LA_EINVAL);
	/* a bare word is a database name: this one does not exist */
	cr_assert_eq(la_pg_store_open(&s, "no_such_database_here", 0), LA_EDB);
	cr_assert_eq(la_pg_store_open(&s, test_pg_conninfo(store), 0x80), LA_EINVAL);
	cr_assert_eq(la_pg_store_open(NULL, test_pg_conninfo(store), 0), LA_EINVAL);
}

/* The password of a refused connection string never reaches la_error_last():
 * libpq quotes the piece it could not read, which may be the password. */
Test(postgres_store, refused_connection_strings_keep_their_password_secret)
{
	la_store *s = NULL;
	cr_assert_eq(la_pg_store_open(&s, "postgresql://app:hun%zzter2@h/db", 0), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "percent-encoded") && !strstr(la_error_last(), "hun") &&
	              !strstr(la_error_last(), "ter2"),
	          "%s", la_error_last());
	cr_assert_eq(la_pg_store_open(&s, "host=h password=hunter2 sslmode", 0), LA_EINVAL);
	cr_assert(!strstr(la_error_last(), "hunter2"), "%s", la_error_last());
	cr_assert_eq(la_pg_store_open(&s, "host=h password=hunter2 extra", 0), LA_EINVAL);
	cr_assert(strstr(la_error_last(), "\"extra\"") && !strstr(la_error_last(), "hunter2"), "%s",
	          la_error_last());
	cr_assert_eq(
	    la_pg_store_open(&s, "postgresql://app:hunter2@127.0.0.1:1/db?connect_timeout=2", 0),
	    LA_EDB);
	cr_assert(strstr(la_error_last(), "cannot connect") && !strstr(la_error_last(), "hunter2"),
	          "%s", la_error_last());
	cr_assert_eq(la_pg_store_open(&s, "postgresql://app:hunter2@h:port/db", 0), LA_EDB);
	cr_assert(strstr(la_error_last(), "port") && !strstr(la_error_last(), "hunter2"), "%s",
	          la_error_last());
	cr_assert_null(s);
}

/* Rows written by hand: two batches of one sku in one (eta, sequence) place
 * are refused on load as the database's fault (LA_EDB, not retried). */
Test(postgres_store, two_batches_in_one_eta_and_sequence_are_inconsistent)
{
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	pgt_create_batch(bus, "b2", "LAMP", 10, NULL);
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn, "UPDATE batches SET sequence ="
	                                " (SELECT sequence FROM batches WHERE ref = 'b1')"
	                                " WHERE ref = 'b2'"),
	             0);
	PQfinish(conn);
	la_store *other;
	la_bus *other_bus;
	pgt_reopen(&other, &other_bus, store, 0, NULL);
	cr_assert_eq(pgt_cancel_batch(other_bus, "b2"), LA_EDB, "%s", la_error_last());
	cr_assert(strstr(la_error_last(), "stored data is inconsistent") &&
	              strstr(la_error_last(), "b1") && strstr(la_error_last(), "b2"),
	          "%s", la_error_last());
	cr_assert_eq(pgt_allocate(other_bus, "o1", "LAMP", 1, NULL, 0), LA_EDB);
	uint64_t retries = 1;
	la_bus_stats(other_bus, NULL, NULL, &retries, NULL);
	cr_assert_eq(retries, 0, "an inconsistent store is not a conflict to retry");
	pgt_close(other, other_bus);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM batches"), 2);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations"), 0);
}

Test(postgres_store, versioned_options)
{
	la_pg_options opts;
	cr_assert_eq(la_pg_options_init(&opts, LA_PG_OPTIONS_VERSION), LA_OK);
	cr_assert_eq(opts.version, LA_PG_OPTIONS_VERSION);
	cr_assert_eq(opts.flags, 0);
	cr_assert_eq(la_pg_options_init(&opts, LA_PG_OPTIONS_VERSION + 1), LA_EUNSUPPORTED);
	cr_assert_eq(la_pg_options_init(NULL, 1), LA_EUNSUPPORTED);
	la_store *s = NULL;
	opts.flags = LA_STORE_OUTBOX;
	cr_assert_eq(la_pg_store_open_ext(&s, test_pg_conninfo(store), &opts), LA_OK, "%s",
	             la_error_last());
	cr_assert(la_store_has_outbox(s));
	la_store_free(s);
	cr_assert_eq(la_pg_store_open_ext(&s, test_pg_conninfo(store), NULL), LA_OK, "%s",
	             la_error_last());
	cr_assert_not(la_store_has_outbox(s));
	la_store_free(s);
	s = NULL;
	opts.version = 0;
	cr_assert_eq(la_pg_store_open_ext(&s, test_pg_conninfo(store), &opts), LA_EUNSUPPORTED);
	cr_assert_null(s);
	opts.version = LA_PG_OPTIONS_VERSION;
	opts.flags = 0x80;
	cr_assert_eq(la_pg_store_open_ext(&s, test_pg_conninfo(store), &opts), LA_EINVAL);
}

Test(postgres_store, a_url_works_as_well_as_key_values)
{
	char url[256];
	const char *port = strstr(test_pg_base_conninfo(), "port=");
	cr_assert_not_null(port);
	snprintf(url, sizeof url,
	         "postgresql://postgres@127.0.0.1:%ld/postgres?options=-csearch_path%%3D%s",
	         strtol(port + 5, NULL, 10),
	         strstr(test_pg_conninfo(store), "search_path=") + strlen("search_path="));
	url[strlen(url) - 1] = '\0'; /* the closing quote of options='...' */
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	la_store *s = NULL;
	cr_assert_eq(la_pg_store_open(&s, url, 0), LA_OK, "%s: %s", url, la_error_last());
	la_batch_page *page = NULL;
	cr_assert_eq(la_view_batches(&page, s, NULL, 0, NULL), LA_OK, "%s", la_error_last());
	cr_assert_eq(la_batch_page_count(page), 1);
	la_batch_page_free(page);
	la_store_free(s);
}

Test(postgres_store, commit_persists_for_other_connections)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, NULL);
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 10, ref, sizeof ref), LA_OK, "%s",
	             la_error_last());
	cr_assert_str_eq(ref, "b1");
	cr_assert_eq(pgt_value(store, "SELECT version_number FROM products WHERE sku = 'LAMP'"), 2);
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches WHERE ref = 'b1'"), 10);
	cr_assert_eq(pgt_value(store, "SELECT line_count FROM batches WHERE ref = 'b1'"), 1);
	cr_assert_eq(pgt_value(store, "SELECT sequence FROM allocations WHERE orderid = 'o1'"), 2);
	la_store *other;
	la_bus *other_bus;
	pgt_reopen(&other, &other_bus, store, 0, NULL);
	cr_assert_eq(pgt_allocate(other_bus, "o2", "LAMP", 5, ref, sizeof ref), LA_OK);
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches WHERE ref = 'b1'"), 15);
	pgt_close(other, other_bus);
	pgt_check_invariants(store);
}

Test(postgres_store, prefers_in_stock_then_earlier_eta)
{
	pgt_create_batch(bus, "late", "CLOCK", 100, "2011-01-03");
	pgt_create_batch(bus, "early", "CLOCK", 100, "2011-01-02");
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "CLOCK", 10, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "early");
	pgt_create_batch(bus, "stock", "CLOCK", 100, NULL);
	cr_assert_eq(pgt_allocate(bus, "o2", "CLOCK", 10, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "stock");
}

Test(postgres_store, allocation_is_idempotent_per_order_and_sku)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, NULL);
	pgt_create_batch(bus, "b2", "LAMP", 100, NULL);
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 10, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "b1");
	/* a fresh connection knows only what is stored */
	la_store *other;
	la_bus *other_bus;
	pgt_reopen(&other, &other_bus, store, 0, NULL);
	cr_assert_eq(pgt_allocate(other_bus, "o1", "LAMP", 10, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "b1");
	cr_assert_eq(pgt_allocate(other_bus, "o1", "LAMP", 11, ref, sizeof ref), LA_ECONFLICT);
	pgt_close(other, other_bus);
	cr_assert_eq(pgt_value(store, "SELECT version_number FROM products"), 3);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations"), 1);
	pgt_check_invariants(store);
}

Test(postgres_store, unknown_sku_and_batch_give_the_spec_messages)
{
	cr_assert_eq(pgt_allocate(bus, "o1", "NOPE", 1, NULL, 0), LA_ENOTFOUND);
	cr_assert_str_eq(la_error_last(), "Invalid sku NOPE");
	cr_assert_eq(pgt_change_quantity(bus, "nope", 5), LA_ENOTFOUND);
	cr_assert_str_eq(la_error_last(), "Invalid batch reference nope");
}

Test(postgres_store, out_of_stock_writes_nothing)
{
	pgt_create_batch(bus, "b1", "LAMP", 5, NULL);
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 10, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "");
	cr_assert_eq(pgt_value(store, "SELECT version_number FROM products"), 1);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations"), 0);
	/* the store is still usable after a unit of work that wrote nothing */
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 5, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "b1");
}

Test(postgres_store, deallocate_removes_the_line_and_its_figures)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, NULL);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 10, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 20, NULL, 0), LA_OK);
	cr_assert_eq(pgt_deallocate(bus, "o1", "LAMP"), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches"), 20);
	cr_assert_eq(pgt_value(store, "SELECT line_count FROM batches"), 1);
	cr_assert_eq(pgt_deallocate(bus, "o1", "LAMP"), LA_ENOTFOUND);
	pgt_check_invariants(store);
}

Test(postgres_store, change_batch_quantity_reallocates)
{
	/* the book: two batches of 50, two orders of 20, batch1 → 25 */
	pgt_create_batch(bus, "batch1", "INDIFFERENT-TABLE", 50, NULL);
	pgt_create_batch(bus, "batch2", "INDIFFERENT-TABLE", 50, "2011-01-02");
	cr_assert_eq(pgt_allocate(bus, "order1", "INDIFFERENT-TABLE", 20, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "order2", "INDIFFERENT-TABLE", 20, NULL, 0), LA_OK);
	cr_assert_eq(pgt_change_quantity(bus, "batch1", 25), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT purchased - allocated FROM batches"
	                              " WHERE ref = 'batch1'"),
	             5);
	cr_assert_eq(pgt_value(store, "SELECT purchased - allocated FROM batches"
	                              " WHERE ref = 'batch2'"),
	             30);
	/* the most recent line moved */
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations WHERE orderid = 'order2'"
	                              " AND batchref = 'batch2'"),
	             1);
	pgt_check_invariants(store);
}

Test(postgres_store, cancel_batch_reallocates_its_lines)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, NULL);
	pgt_create_batch(bus, "b2", "LAMP", 100, "2011-01-02");
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 10, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 20, NULL, 0), LA_OK);
	cr_assert_eq(pgt_cancel_batch(bus, "b1"), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM batches WHERE ref = 'b1'"), 0);
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches WHERE ref = 'b2'"), 30);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations WHERE batchref = 'b2'"), 2);
	pgt_check_invariants(store);
}

Test(postgres_store, create_batch_is_idempotent_and_refs_are_unique)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, "2011-01-02");
	pgt_create_batch(bus, "b1", "LAMP", 100, "2011-01-02"); /* redelivered */
	la_message *msg;
	cr_assert_eq(la_command_create_batch(&msg, "b1", "DESK", 100, NULL), LA_OK);
	cr_assert_eq(la_bus_handle(bus, msg), LA_ECONFLICT);
	la_message_free(msg);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM batches"), 1);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM products"), 1);
	cr_assert_eq(pgt_value(store, "SELECT eta_key FROM batches"), 20110102);
}

Test(postgres_store, a_lost_connection_is_reported_and_the_next_unit_reconnects)
{
	pgt_create_batch(bus, "b1", "LAMP", 100, NULL);
	PGconn *ctl = test_pg_connect(store);
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	         " WHERE application_name = '%s'",
	         test_pg_app_name(store));
	cr_assert_eq(test_pg_value(ctl, sql), 1);
	PQfinish(ctl);
	/* the store finds out at its next round trip */
	int rc = pgt_allocate(bus, "o1", "LAMP", 1, NULL, 0);
	cr_assert_eq(rc, LA_EDB, "%d %s", rc, la_error_last());
	cr_assert(strstr(la_error_last(), "connection"), "%s", la_error_last());
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, ref, sizeof ref), LA_OK, "%s",
	             la_error_last());
	cr_assert_str_eq(ref, "b1");
}

Test(postgres_store, a_large_change_is_written_in_several_syncs_of_one_transaction)
{
	/* cancelling a batch of 600 lines writes 600 deallocations at once,
	 * more than one pipeline sync holds; then each line is reallocated */
	pgt_create_batch(bus, "big", "LAMP", 600, NULL);
	pgt_create_batch(bus, "spare", "LAMP", 1000, "2011-01-02");
	PGconn *conn = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(conn,
	                          "BEGIN;"
	                          "INSERT INTO allocations (orderid, sku, batchref, qty, sequence)"
	                          " SELECT 'o' || i, 'LAMP', 'big', 1, i + 2"
	                          " FROM generate_series(1, 600) i;"
	                          "UPDATE batches SET allocated = 600, line_count = 600"
	                          " WHERE ref = 'big';"
	                          "UPDATE products SET version_number = 602;"
	                          "COMMIT"),
	             0);
	PQfinish(conn);
	cr_assert_eq(pgt_cancel_batch(bus, "big"), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM batches"), 1);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM allocations WHERE batchref = 'spare'"),
	             600);
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches WHERE ref = 'spare'"), 600);
	pgt_check_invariants(store);
}

Test(postgres_store, remembered_products_are_reloaded_when_another_connection_changed_them)
{
	/* store remembers LAMP at version 2 with no stock left... */
	pgt_create_batch(bus, "b1", "LAMP", 1, NULL);
	char ref[64];
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, ref, sizeof ref), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 1, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "", "out of stock");
	/* ...another connection adds stock... */
	la_store *other;
	la_bus *other_bus;
	pgt_reopen(&other, &other_bus, store, 0, NULL);
	cr_assert_eq(pgt_change_quantity(other_bus, "b1", 5), LA_OK);
	/* ...so the out-of-stock answer must not come from memory */
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 1, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "b1");
	cr_assert_eq(pgt_value(store, "SELECT allocated FROM batches"), 2);

	/* a remembered batch ref that was cancelled and reused on another sku */
	cr_assert_eq(pgt_cancel_batch(other_bus, "b1"), LA_OK, "%s", la_error_last());
	pgt_create_batch(other_bus, "b1", "DESK", 3, NULL);
	cr_assert_eq(pgt_change_quantity(bus, "b1", 7), LA_OK, "%s", la_error_last());
	cr_assert_eq(pgt_value(store, "SELECT purchased FROM batches WHERE ref = 'b1'"
	                              " AND sku = 'DESK'"),
	             7);
	pgt_close(other, other_bus);
	pgt_check_invariants(store);
}

Test(postgres_store, a_product_with_many_batches_is_read_from_memory_when_unchanged)
{
	for (int i = 0; i < 50; i++) {
		char ref[16];
		snprintf(ref, sizeof ref, "b%02d", i);
		pgt_create_batch(bus, ref, "LAMP", 1, NULL);
	}
	char ref[64];
	for (int i = 0; i < 50; i++) {
		char orderid[16];
		snprintf(orderid, sizeof orderid, "o%d", i);
		cr_assert_eq(pgt_allocate(bus, orderid, "LAMP", 1, ref, sizeof ref), LA_OK);
		char expected[16];
		snprintf(expected, sizeof expected, "b%02d", i);
		cr_assert_str_eq(ref, expected);
	}
	cr_assert_eq(pgt_allocate(bus, "late", "LAMP", 1, ref, sizeof ref), LA_OK);
	cr_assert_str_eq(ref, "");
	cr_assert_eq(pgt_value(store, "SELECT sum(allocated) FROM batches"), 50);
	pgt_check_invariants(store);
}
