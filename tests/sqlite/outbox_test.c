/*
 * The transactional outbox: Allocated events are stored by the commit that
 * made them and never by a unit of work that rolled back; the relay
 * publishes them in commit order with unique ids, marks them sent, and
 * keeps what a failing publisher could not take.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "sqlite_store.h"
#include "sqlite_test_support.h"

#define MAX_MESSAGES 16

struct received {
	int count;
	int fail_at; /* 1-based message number that fails; 0 never */
	char channel[MAX_MESSAGES][32];
	char json[MAX_MESSAGES][512];
};

static int publish(const char *channel, const char *json, void *payload)
{
	struct received *r = payload;
	if (r->fail_at && r->count + 1 == r->fail_at) {
		r->fail_at = 0;
		return LA_EIO;
	}
	cr_assert(r->count < MAX_MESSAGES);
	snprintf(r->channel[r->count], sizeof r->channel[0], "%s", channel);
	snprintf(r->json[r->count], sizeof r->json[0], "%s", json);
	r->count++;
	return LA_OK;
}

/* The id field of a JSON object from la_message_to_json. */
static void json_id(char *out, size_t size, const char *json)
{
	const char *p = strstr(json, "\"id\":\"");
	cr_assert_not_null(p, "no id in %s", json);
	p += 6;
	size_t len = strcspn(p, "\"");
	cr_assert(len > 0 && len < size);
	memcpy(out, p, len);
	out[len] = '\0';
}

static int64_t outbox_rows(const char *path, const char *where)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox %s", where);
	sqlite3 *db = sqlt_raw(path);
	int64_t n = sqlt_int(db, sql);
	sqlite3_close(db);
	return n;
}

Test(sqlite_outbox, a_store_without_outbox_says_so)
{
	la_store *store;
	cr_assert_eq(la_sqlite_store_open(&store, sqlt_path("plain"), 0), LA_OK);
	cr_assert_eq(la_store_has_outbox(store), 0);
	struct received r = {0};
	cr_assert_eq(la_store_relay_outbox(NULL, store, 0, publish, &r), LA_EUNSUPPORTED);
	la_store_free(store);
}

Test(sqlite_outbox, rows_are_written_only_on_commit)
{
	const char *path = sqlt_path("only-on-commit");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	la_bus_free(bus);
	la_store_free(store);

	struct sq_store *state = NULL;
	la_product *p = NULL;
	const char *ref = NULL;
	cr_assert_eq(sq_store_open(&state, path, LA_STORE_OUTBOX), LA_OK);
	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 2), LA_OK);
	sq_uow_rollback(state);
	sq_uow_end(state);
	cr_assert_eq(outbox_rows(path, ""), 0, "a rolled-back allocation left an outbox row");

	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 2), LA_OK);
	sq_uow_end(state); /* no commit */
	cr_assert_eq(outbox_rows(path, ""), 0);

	cr_assert_eq(sq_uow_begin(state), LA_OK);
	cr_assert_eq(sq_repo_get(&p, "LAMP", state), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o1", 2), LA_OK);
	cr_assert_eq(la_product_allocate(&ref, p, "o2", 20), LA_OK); /* out of stock */
	cr_assert_eq(sq_uow_commit(state), LA_OK, "%s", la_error_last());
	sq_uow_end(state);
	sq_store_close(state);
	cr_assert_eq(outbox_rows(path, ""), 1, "one Allocated event, nothing for OutOfStock");
	cr_assert_eq(outbox_rows(path, "WHERE channel = 'line_allocated' AND sent IS NULL"), 1);
}

Test(sqlite_outbox, the_relay_publishes_in_commit_order_once)
{
	const char *path = sqlt_path("relay");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	cr_assert(la_store_has_outbox(store));
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	sqlt_create_batch(bus, "b2", "LAMP", 10, "2011-01-02");
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 6, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "LAMP", 3, NULL, 0), LA_OK);
	/* o2 (the most recent) is moved to b2: a third Allocated event */
	cr_assert_eq(sqlt_change_quantity(bus, "b1", 7), LA_OK, "%s", la_error_last());
	cr_assert_eq(sqlt_deallocate(bus, "o2", "LAMP"), LA_OK); /* no event to publish */

	struct received r = {0};
	size_t sent = 99;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish, &r), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(sent, 3);
	cr_assert_eq(r.count, 3);
	const char *orders[] = {"\"o1\"", "\"o2\"", "\"o2\""};
	const char *batches[] = {"\"b1\"", "\"b1\"", "\"b2\""};
	char ids[3][64];
	for (int i = 0; i < 3; i++) {
		cr_assert_str_eq(r.channel[i], "line_allocated");
		cr_assert(strstr(r.json[i], orders[i]) && strstr(r.json[i], batches[i]),
		          "message %d: %s", i, r.json[i]);
		cr_assert_not_null(strstr(r.json[i], "\"sku\":\"LAMP\""), "%s", r.json[i]);
		json_id(ids[i], sizeof ids[i], r.json[i]);
	}
	cr_assert_str_neq(ids[0], ids[1]);
	cr_assert_str_neq(ids[1], ids[2]);
	cr_assert_str_neq(ids[0], ids[2]);

	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish, &r), LA_OK);
	cr_assert_eq(sent, 0, "published once");
	cr_assert_eq(outbox_rows(path, "WHERE sent IS NULL"), 0);
	la_bus_free(bus);
	la_store_free(store);
}

Test(sqlite_outbox, a_failing_publisher_keeps_the_rest_queued)
{
	const char *path = sqlt_path("failing");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	char order[8];
	for (int i = 0; i < 4; i++) {
		snprintf(order, sizeof order, "o%d", i);
		cr_assert_eq(sqlt_allocate(bus, order, "LAMP", 1, NULL, 0), LA_OK);
	}
	struct received r = {.fail_at = 2};
	size_t sent = 0;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish, &r), LA_EIO);
	cr_assert_eq(sent, 1);
	cr_assert_eq(outbox_rows(path, "WHERE sent IS NULL"), 3);

	cr_assert_eq(la_store_relay_outbox(&sent, store, 2, publish, &r), LA_OK);
	cr_assert_eq(sent, 2, "at most max");
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish, &r), LA_OK);
	cr_assert_eq(sent, 1);
	cr_assert_eq(r.count, 4);
	for (int i = 0; i < 4; i++) {
		char want[16];
		snprintf(want, sizeof want, "\"o%d\"", i);
		cr_assert_not_null(strstr(r.json[i], want), "in order: %s", r.json[i]);
	}
	la_bus_free(bus);
	la_store_free(store);
}

/* A second relay on the file, asked to publish while the first is in the
 * middle of publishing: it finds the relay lock taken and publishes nothing. */
struct nested {
	la_store *other;
	int calls;
	size_t other_sent;
	int other_rc;
};

static int publish_and_try_the_other(const char *channel, const char *json, void *payload)
{
	struct nested *n = payload;
	(void)channel;
	(void)json;
	if (n->calls++ == 0)
		n->other_rc = la_store_relay_outbox(&n->other_sent, n->other, 0, publish,
		                                    &(struct received){0});
	return LA_OK;
}

Test(sqlite_outbox, one_relay_per_file_at_a_time)
{
	const char *path = sqlt_path("one-relay");
	la_store *store, *other;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "LAMP", 1, NULL, 0), LA_OK);
	cr_assert_eq(la_sqlite_store_open(&other, path, LA_STORE_OUTBOX), LA_OK);

	struct nested n = {other, 0, 99, -1};
	size_t sent = 0;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish_and_try_the_other, &n), LA_OK,
	             "%s", la_error_last());
	cr_assert_eq(sent, 2);
	cr_assert_eq(n.other_rc, LA_OK, "%s", la_error_last());
	cr_assert_eq(n.other_sent, 0, "the second relay published while the first held the lock");

	/* released once the call returns: the other relay works (nothing left) */
	cr_assert_eq(sqlt_allocate(bus, "o3", "LAMP", 1, NULL, 0), LA_OK);
	struct received r = {0};
	cr_assert_eq(la_store_relay_outbox(&sent, other, 0, publish, &r), LA_OK, "%s",
	             la_error_last());
	cr_assert_eq(sent, 1);
	cr_assert(strstr(r.json[0], "\"o3\""), "%s", r.json[0]);
	cr_assert_eq(outbox_rows(path, "WHERE sent IS NULL"), 0);
	la_store_free(other);
	la_bus_free(bus);
	la_store_free(store);
}

static void outbox_exec(const char *path, const char *sql)
{
	sqlite3 *db = sqlt_raw(path);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	sqlite3_close(db);
}

Test(sqlite_outbox, the_status_counts_what_the_relay_has_yet_to_publish)
{
	const char *path = sqlt_path("status");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	size_t pending = 99;
	double age = 99;
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0, "no message, no age: %f", age);

	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	for (int i = 0; i < 3; i++) {
		char order[8];
		snprintf(order, sizeof order, "o%d", i);
		cr_assert_eq(sqlt_allocate(bus, order, "LAMP", 1, NULL, 0), LA_OK);
	}
	/* The oldest message was written 5 s ago, the others now. */
	outbox_exec(path, "UPDATE outbox SET created = created - 5000 WHERE id = "
	                  "(SELECT min(id) FROM outbox)");
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 3);
	cr_assert(age >= 5.0 && age < 60.0, "the oldest is about 5 s old: %f", age);

	struct received r = {0};
	size_t sent = 0;
	cr_assert_eq(la_store_relay_outbox(&sent, store, 1, publish, &r), LA_OK);
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 2, "one of three published");
	cr_assert(age >= 0.0 && age < 5.0, "the oldest left is the second: %f", age);

	cr_assert_eq(la_store_relay_outbox(&sent, store, 0, publish, &r), LA_OK);
	cr_assert_eq(sent, 2);
	cr_assert_eq(la_store_outbox_status(store, NULL, NULL), LA_OK, "both outputs optional");
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0);
	la_bus_free(bus);
	la_store_free(store);
}

Test(sqlite_outbox, a_store_without_outbox_has_no_status)
{
	la_store *store;
	cr_assert_eq(la_sqlite_store_open(&store, sqlt_path("plain-status"), 0), LA_OK);
	size_t pending = 7;
	double age = 7;
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_EUNSUPPORTED);
	cr_assert(strstr(la_error_last(), "outbox"), "%s", la_error_last());
	cr_assert_eq(pending, 0);
	cr_assert_eq(age, 0);
	cr_assert_eq(la_store_outbox_status(NULL, &pending, &age), LA_EINVAL);
	la_store_free(store);
}

Test(sqlite_outbox, a_version_1_file_gains_the_write_time_of_its_messages)
{
	/* A file written by 1.0 has no outbox.created: its waiting messages
	 * count from the upgrade, its published ones keep none. */
	const char *path = sqlt_path("v1-outbox");
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "LAMP", 10, NULL);
	cr_assert_eq(sqlt_allocate(bus, "o1", "LAMP", 1, NULL, 0), LA_OK);
	struct received r = {0};
	cr_assert_eq(la_store_relay_outbox(NULL, store, 0, publish, &r), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "LAMP", 1, NULL, 0), LA_OK);
	la_bus_free(bus);
	la_store_free(store);
	outbox_exec(path, SQLT_DOWNGRADE_3_TO_2
	            "DROP TABLE order_history; ALTER TABLE outbox DROP COLUMN created;"
	            " PRAGMA user_version = 1");

	sqlt_open(&store, &bus, path, LA_STORE_OUTBOX);
	cr_assert_eq(outbox_rows(path, "WHERE sent IS NULL AND created IS NOT NULL"), 1);
	cr_assert_eq(outbox_rows(path, "WHERE sent IS NOT NULL AND created IS NULL"), 1);
	size_t pending = 0;
	double age = -1;
	cr_assert_eq(la_store_outbox_status(store, &pending, &age), LA_OK, "%s", la_error_last());
	cr_assert_eq(pending, 1);
	cr_assert(age >= 0.0 && age < 60.0, "counted from the upgrade: %f", age);
	la_bus_free(bus);
	la_store_free(store);
}
