/*
 * The transactional outbox on PostgreSQL: rows written only by committed
 * units of work, relayed oldest first with a unique id, marked sent.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "pg_test.h"

struct sink {
	int count;
	int fail_at; /* publish number that fails (1-based), 0: never */
	char channels[16][32];
	char json[16][256];
};

static int collect(const char *channel, const char *json, void *payload)
{
	struct sink *s = payload;
	if (s->fail_at && s->count + 1 == s->fail_at)
		return LA_EIO;
	if (s->count < 16) {
		snprintf(s->channels[s->count], sizeof s->channels[0], "%s", channel);
		snprintf(s->json[s->count], sizeof s->json[0], "%s", json);
	}
	s->count++;
	return LA_OK;
}

Test(postgres_outbox, committed_allocations_are_relayed_in_order_once)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, LA_STORE_OUTBOX, NULL);
	cr_assert(la_store_has_outbox(store));
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o2", "LAMP", 3, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o3", "LAMP", 30, NULL, 0), LA_OK); /* out of stock */
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM outbox"), 2);

	struct sink sink = {0};
	size_t sent = 99;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &sink), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(sent, 2);
	cr_assert_str_eq(sink.channels[0], "line_allocated");
	cr_assert(strstr(sink.json[0], "\"orderid\":\"o1\""), "%s", sink.json[0]);
	cr_assert(strstr(sink.json[0], "\"batchref\":\"b1\""), "%s", sink.json[0]);
	cr_assert(strstr(sink.json[0], "\"id\":"), "%s", sink.json[0]);
	cr_assert(strstr(sink.json[1], "\"orderid\":\"o2\""), "%s", sink.json[1]);
	/* ids differ */
	const char *id0 = strstr(sink.json[0], "\"id\":"), *id1 = strstr(sink.json[1], "\"id\":");
	cr_assert_neq(strncmp(id0, id1, 30), 0);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM outbox WHERE sent IS NULL"), 0);

	/* nothing left: a second relay, from another connection too, sends nothing */
	la_store *other;
	cr_assert_eq(test_pg_store_reopen(&other, store, LA_STORE_OUTBOX), LA_OK);
	cr_assert_eq(la_store_relay_outbox(&sent, other, 0, collect, &sink), LA_OK);
	cr_assert_eq(sent, 0);
	la_store_free(other);
	pgt_close(store, bus);
}

Test(postgres_outbox, a_failing_publisher_keeps_the_rest_queued)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, LA_STORE_OUTBOX, NULL);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	for (int i = 0; i < 4; i++) {
		char orderid[16];
		snprintf(orderid, sizeof orderid, "o%d", i);
		cr_assert_eq(pgt_allocate(bus, orderid, "LAMP", 1, NULL, 0), LA_OK);
	}
	struct sink sink = {.fail_at = 3};
	size_t sent = 0;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &sink), LA_EIO);
	cr_assert_eq(sent, 2);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM outbox WHERE sent IS NULL"), 2);
	/* at most max at a time, then the rest, in order */
	struct sink later = {0};
	cr_assert_eq(la_store_relay_outbox(&sent, store, 1, collect, &later), LA_OK);
	cr_assert_eq(sent, 1);
	cr_assert(strstr(later.json[0], "\"orderid\":\"o2\""), "%s", later.json[0]);
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &later), LA_OK);
	cr_assert_eq(sent, 1);
	cr_assert(strstr(later.json[1], "\"orderid\":\"o3\""), "%s", later.json[1]);
	pgt_close(store, bus);
}

Test(postgres_outbox, rolled_back_units_of_work_leave_no_rows)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, LA_STORE_OUTBOX, NULL);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	/* a conflicting qty fails the command: its unit of work rolls back */
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 2, NULL, 0), LA_ECONFLICT);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM outbox"), 1);
	/* (the loser of a concurrent commit: see postgres_concurrency) */
	pgt_close(store, bus);
}

Test(postgres_outbox, without_the_flag_there_is_no_outbox)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, 0, NULL);
	cr_assert_not(la_store_has_outbox(store));
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	cr_assert_eq(pgt_value(store, "SELECT count(*) FROM outbox"), 0);
	struct sink sink = {0};
	cr_assert_eq(la_store_relay_outbox(NULL, store, 0, collect, &sink), LA_EUNSUPPORTED);
	pgt_close(store, bus);
}

Test(postgres_outbox, one_relay_at_a_time_keeps_the_order)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, LA_STORE_OUTBOX, NULL);
	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	cr_assert_eq(pgt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	/* another relay (here: the test) holds the relay lock of this schema */
	PGconn *other = test_pg_connect(store);
	cr_assert_eq(test_pg_exec(other, "BEGIN"), 0);
	cr_assert_eq(test_pg_value(other, "SELECT pg_try_advisory_xact_lock(19521,"
	                                  " hashtext('outbox:' || current_schema()))::int"),
	             1);
	struct sink sink = {0};
	size_t sent = 99;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &sink), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(sent, 0);
	cr_assert_eq(test_pg_exec(other, "COMMIT"), 0);
	PQfinish(other);
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &sink), LA_OK);
	cr_assert_eq(sent, 1);
	pgt_close(store, bus);
}

Test(postgres_outbox, the_status_counts_what_the_relay_has_yet_to_publish)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, LA_STORE_OUTBOX, NULL);
	size_t pending = 99;
	double age = 99;
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0, "no message, no age: %f", age);

	pgt_create_batch(bus, "b1", "LAMP", 10, NULL);
	for (int i = 0; i < 3; i++) {
		char orderid[16];
		snprintf(orderid, sizeof orderid, "o%d", i);
		cr_assert_eq(pgt_allocate(bus, orderid, "LAMP", 1, NULL, 0), LA_OK);
	}
	/* The oldest message was written 5 s ago, the others now. */
	cr_assert_eq(pgt_value(store, "WITH u AS (UPDATE outbox SET created = created - interval"
	                              " '5 seconds' WHERE id = (SELECT min(id) FROM outbox)"
	                              " RETURNING 1) SELECT count(*) FROM u"),
	             1);
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 3);
	cr_assert(age >= 5.0 && age < 60.0, "the oldest is about 5 s old: %f", age);

	/* Asked from another connection, as the server's metrics do. */
	la_store *other;
	cr_assert_eq(test_pg_store_reopen(&other, store, LA_STORE_OUTBOX), LA_OK);
	struct sink sink = {0};
	size_t sent = 0;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 1, collect, &sink), LA_OK);
	cr_assert_eq(la_store_outbox_status(other, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 2, "one of three published");
	cr_assert(age >= 0.0 && age < 5.0, "the oldest left is the second: %f", age);

	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, collect, &sink), LA_OK);
	cr_assert_eq(sent, 2);
	cr_assert_eq(la_store_outbox_status(other, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0);
	la_store_free(other);
	pgt_close(store, bus);
}

Test(postgres_outbox, a_store_without_outbox_has_no_status)
{
	la_store *store;
	la_bus *bus;
	pgt_open(&store, &bus, 0, NULL);
	size_t pending = 7;
	double age = 7;
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "outbox"), "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0);
	pgt_close(store, bus);
}
