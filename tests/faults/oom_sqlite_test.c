/*
 * Out-of-memory sweep of liballocation-sqlite: every entry point (open on a
 * new and on an existing file, each command through the bus, a batch of
 * commands, both views, the outbox relay) with its N-th allocation failing,
 * for every N, wherever it happens: the adapter, the core or sqlite3.
 *
 * Each run starts from a copy of one prepared file. A failed call must leave
 * the file exactly as it was (all or nothing) and its invariants true; a
 * call that succeeds, even after an allocation failed inside it, must leave
 * exactly what a clean call leaves; and retrying what failed on the same
 * store gives that same result, so nothing is left half-done in memory
 * either.
 */
#include <allocation/allocation.h>
#include <allocation/sqlite.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sqlite/sqlite_test_support.h"
#include "fault_alloc.h"
#include "oom_sweep.h"

static const int sqlite_errors[] = {LA_ENOMEM, LA_EDB, LA_EIO, 0};

#define STATE_MAX     8192
#define PUBLISHED_MAX 16

struct fixture {
	char template_path[512];
	char path[512];
	la_store *store;
	la_bus *bus;
	la_store *opened; /* the open steps' result */
	int fresh_file;   /* the open steps: a file that does not exist yet */
	int checkpoint;   /* the open steps: la_sqlite_checkpoint */
	char before[STATE_MAX];
	char expected[STATE_MAX]; /* after a clean call ("" until the first) */
	/* what the views returned */
	char view[STATE_MAX];
	char expected_view[STATE_MAX];
	/* the relay's publisher: fixed storage, so it allocates nothing */
	char published[PUBLISHED_MAX][256];
	size_t published_count;
};

/* ---- the file's contents, as text, read on a separate connection ---- */

static void append_rows(sqlite3 *db, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *stmt = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	int step;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		size_t len = strlen(out);
		for (int c = 0; c < sqlite3_column_count(stmt); c++) {
			const unsigned char *text = sqlite3_column_text(stmt, c);
			len += (size_t)snprintf(out + len, size - len, "%s%s", c ? "," : "",
			                        text ? (const char *)text : "NULL");
			cr_assert_lt(len, size - 1, "state too long");
		}
		snprintf(out + len, size - len, "\n");
	}
	cr_assert_eq(step, SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
}

/* Everything the store keeps but row sequences and message ids (which a
 * retry may draw anew). */
static void read_state(const char *path, char *out)
{
	out[0] = '\0';
	sqlite3 *db = sqlt_raw(path);
	append_rows(db, "SELECT sku, version_number FROM products ORDER BY sku", out, STATE_MAX);
	append_rows(db,
	            "SELECT ref, sku, purchased, eta, allocated, line_count FROM batches"
	            " ORDER BY ref",
	            out, STATE_MAX);
	append_rows(db, "SELECT orderid, sku, batchref, qty FROM allocations ORDER BY orderid, sku",
	            out, STATE_MAX);
	append_rows(db, "SELECT orderid, sku, batchref FROM allocations_view ORDER BY orderid, sku",
	            out, STATE_MAX);
	/* by content: a command retried after the others commits after them */
	append_rows(db,
	            "SELECT channel, json_remove(payload, '$.id') AS message, sent IS NULL"
	            " FROM outbox ORDER BY message",
	            out, STATE_MAX);
	sqlite3_close(db);
}

/* ---- commands ---- */

/* Handle the command just built (built: its constructor's status). */
static int send(la_bus *bus, la_message *m, int built)
{
	cr_assert(built == LA_OK || built == LA_ENOMEM, "building a command: %s", la_error_last());
	if (built != LA_OK)
		return built;
	int rc = la_bus_handle(bus, m);
	la_message_free(m);
	return rc;
}

static int allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty)
{
	la_message *m = NULL;
	int built = la_command_allocate(&m, orderid, sku, qty);
	return send(bus, m, built);
}

static void prepare_template(struct fixture *f)
{
	snprintf(f->template_path, sizeof f->template_path, "%s", sqlt_path("template"));
	la_store *store;
	la_bus *bus;
	sqlt_open(&store, &bus, f->template_path, LA_STORE_OUTBOX);
	sqlt_create_batch(bus, "b1", "CHAIR", 50, NULL);
	sqlt_create_batch(bus, "b2", "CHAIR", 50, "2011-01-02");
	sqlt_create_batch(bus, "b3", "TABLE", 6, NULL);
	sqlt_create_batch(bus, "b4", "TABLE", 5, "2011-01-03");
	cr_assert_eq(sqlt_allocate(bus, "o1", "CHAIR", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o2", "CHAIR", 20, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o3", "TABLE", 2, NULL, 0), LA_OK);
	cr_assert_eq(sqlt_allocate(bus, "o1", "TABLE", 3, NULL, 0), LA_OK);
	la_bus_free(bus);
	la_store_free(store);
	snprintf(f->path, sizeof f->path, "%s", sqlt_path("work"));
}

static void copy_file(const char *from, const char *to)
{
	size_t size;
	char *data = sqlt_read_file(from, &size);
	FILE *out = fopen(to, "wb");
	cr_assert_not_null(out, "%s", to);
	cr_assert_eq(fwrite(data, 1, size, out), size);
	cr_assert_eq(fclose(out), 0);
	free(data);
	char side[600];
	snprintf(side, sizeof side, "%s-wal", to);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", to);
	unlink(side);
}

/* ---- setup and teardown shared by the command steps ---- */

static void open_copy(void *ctx)
{
	struct fixture *f = ctx;
	copy_file(f->template_path, f->path);
	sqlt_open(&f->store, &f->bus, f->path, LA_STORE_OUTBOX);
	read_state(f->path, f->before);
	f->published_count = 0;
	f->view[0] = '\0';
}

static void close_copy(void *ctx)
{
	struct fixture *f = ctx;
	la_bus_free(f->bus);
	la_store_free(f->store);
	f->bus = NULL;
	f->store = NULL;
}

/* The state after a clean call is remembered; every later success must
 * match it. */
static void expect_clean_result(struct fixture *f, const char *state)
{
	if (!f->expected[0])
		snprintf(f->expected, sizeof f->expected, "%s", state);
	cr_assert_str_eq(state, f->expected,
	                 "allocation %llu failing: the result differs from a clean run:\n%s\n"
	                 "clean:\n%s",
	                 oom_sweep_failing(), state, f->expected);
}

/* The next command on the same store works and the invariants hold. */
static void next_command_works(struct fixture *f)
{
	int rc = allocate(f->bus, "next", "CHAIR", 1);
	cr_assert_eq(rc, LA_OK, "the next command: %s (%s)", la_strerror(rc), la_error_last());
	sqlt_check_invariants(f->path);
}

/* A command step: all or nothing, and a retry completes it. */
static void check_command(struct fixture *f, int rc, int (*retry)(struct fixture *))
{
	char state[STATE_MAX];
	read_state(f->path, state);
	sqlt_check_invariants(f->path);
	if (rc != LA_OK) {
		cr_assert_str_eq(state, f->before, "a failed command changed the file");
		rc = retry(f);
		cr_assert_eq(rc, LA_OK, "retry: %s (%s)", la_strerror(rc), la_error_last());
		read_state(f->path, state);
	}
	expect_clean_result(f, state);
	next_command_works(f);
}

/* ---- the command steps ---- */

static int do_create_new_product(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_create_batch(&m, "b5", "SOFA", 10, "2011-02-01");
	return send(f->bus, m, built);
}

static int do_create_batch(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_create_batch(&m, "b6", "CHAIR", 10, "2011-01-05");
	return send(f->bus, m, built);
}

static int do_allocate(struct fixture *f)
{
	return allocate(f->bus, "o4", "CHAIR", 5);
}

static int do_allocate_out_of_stock(struct fixture *f)
{
	return allocate(f->bus, "o5", "TABLE", 100);
}

static int do_deallocate(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_deallocate(&m, "o1", "CHAIR");
	return send(f->bus, m, built);
}

/* 40 allocated on b1: down to 30 deallocates o2 and reallocates it to b2. */
static int do_change_quantity(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_change_batch_quantity(&m, "b1", 30);
	return send(f->bus, m, built);
}

/* b3 holds o3 and o1's tables: both move to b4. */
static int do_cancel(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_cancel_batch(&m, "b3");
	return send(f->bus, m, built);
}

/* Several commands in one unit of work: each command's status is its own,
 * so a retry re-sends those that failed. */
static int many(struct fixture *f, const int *only)
{
	la_message *m[5] = {NULL};
	int rc = la_command_allocate(&m[0], "o6", "CHAIR", 4);
	if (rc == LA_OK)
		rc = la_command_create_batch(&m[1], "b7", "LAMP", 3, NULL);
	if (rc == LA_OK)
		rc = la_command_allocate(&m[2], "o6", "LAMP", 1);
	if (rc == LA_OK)
		rc = la_command_deallocate(&m[3], "o2", "CHAIR");
	if (rc == LA_OK)
		rc = la_command_change_batch_quantity(&m[4], "b3", 2); /* reallocates o1 */
	const la_message *batch[5];
	size_t n = 0;
	for (size_t i = 0; rc == LA_OK && i < 5; i++)
		if (!only || only[i])
			batch[n++] = m[i];
	if (rc == LA_OK)
		rc = la_bus_handle_many(f->bus, batch, n);
	for (size_t i = 0; i < 5; i++)
		la_message_free(m[i]);
	return rc;
}

static int do_handle_many(struct fixture *f)
{
	return many(f, NULL);
}

static int retry_many(struct fixture *f)
{
	return many(f, NULL);
}

#define COMMAND_STEP(fn)                                                                           \
	static int call_##fn(void *ctx)                                                            \
	{                                                                                          \
		return do_##fn(ctx);                                                               \
	}                                                                                          \
	static void check_##fn(void *ctx, int rc, int fired)                                       \
	{                                                                                          \
		(void)fired;                                                                       \
		check_command(ctx, rc, do_##fn);                                                   \
	}

COMMAND_STEP(create_new_product)
COMMAND_STEP(create_batch)
COMMAND_STEP(allocate)
COMMAND_STEP(allocate_out_of_stock)
COMMAND_STEP(deallocate)
COMMAND_STEP(change_quantity)
COMMAND_STEP(cancel)

static int call_handle_many(void *ctx)
{
	return do_handle_many(ctx);
}

/* la_bus_handle_many: LA_OK with each command's own status (a command that
 * ran out of memory changed nothing and the others committed), or a failure
 * of the whole unit of work that changed nothing. */
static void check_handle_many(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	char state[STATE_MAX];
	if (rc == LA_OK) {
		int failed[5] = {0}, any = 0;
		cr_assert_eq(la_bus_result_count(f->bus), 5);
		for (size_t i = 0; i < 5; i++) {
			int status = la_bus_result_status(f->bus, i);
			/* allocating a LAMP needs the batch command 1 creates */
			int lamp_missing = i == 2 && failed[1] && status == LA_ENOTFOUND;
			cr_assert(status == LA_OK || status == LA_ENOMEM || lamp_missing,
			          "command %zu: %s (%s)", i, la_strerror(status),
			          la_bus_result_error(f->bus, i));
			failed[i] = status != LA_OK;
			any |= failed[i];
		}
		sqlt_check_invariants(f->path);
		/* a command that failed alone is retried, as a client would */
		if (any) {
			rc = many(f, failed);
			cr_assert_eq(rc, LA_OK, "retry: %s", la_error_last());
			for (size_t i = 0; i < la_bus_result_count(f->bus); i++)
				cr_assert_eq(la_bus_result_status(f->bus, i), LA_OK,
				             "retry %zu: %s", i, la_bus_result_error(f->bus, i));
		}
		read_state(f->path, state);
		expect_clean_result(f, state);
		next_command_works(f);
		return;
	}
	check_command(f, rc, retry_many);
}

/* ---- the views ---- */

static void record_allocations(struct fixture *f, la_allocation_list *list)
{
	size_t len = strlen(f->view);
	for (size_t i = 0; i < la_allocation_list_count(list); i++)
		len += (size_t)snprintf(f->view + len, sizeof f->view - len, "%s:%s\n",
		                        la_allocation_list_sku(list, i),
		                        la_allocation_list_batchref(list, i));
}

static int call_view_allocations(void *ctx)
{
	struct fixture *f = ctx;
	la_allocation_list *list = NULL;
	int rc = la_view_allocations(&list, f->store, "o1");
	if (rc == LA_OK)
		record_allocations(f, list);
	else
		cr_assert_null(list);
	la_allocation_list_free(list);
	return rc;
}

static void record_page(struct fixture *f, la_batch_page *page)
{
	size_t len = strlen(f->view);
	for (size_t i = 0; i < la_batch_page_count(page); i++)
		len += (size_t)snprintf(
		    f->view + len, sizeof f->view - len, "%s %s %s %lld %lld %lld %lld\n",
		    la_batch_page_ref(page, i), la_batch_page_sku(page, i),
		    la_batch_page_eta(page, i) ? la_batch_page_eta(page, i) : "-",
		    (long long)la_batch_page_purchased(page, i),
		    (long long)la_batch_page_allocated(page, i),
		    (long long)la_batch_page_available(page, i),
		    (long long)la_batch_page_lines(page, i));
	snprintf(f->view + len, sizeof f->view - len, "next:%s\n",
	         la_batch_page_next(page) ? "yes" : "no");
}

/* Two pages of the dashboard: the second through the first's cursor. */
static int call_view_batches(void *ctx)
{
	struct fixture *f = ctx;
	la_batch_page *page = NULL, *next = NULL;
	int rc = la_view_batches(&page, f->store, NULL, 3, NULL);
	if (rc == LA_OK) {
		record_page(f, page);
		rc = la_view_batches(&next, f->store, NULL, 3, la_batch_page_next(page));
		if (rc == LA_OK)
			record_page(f, next);
		else
			cr_assert_null(next);
	} else {
		cr_assert_null(page);
	}
	la_batch_page_free(next);
	la_batch_page_free(page);
	return rc;
}

/* A view changes nothing; one that succeeds shows what a clean one shows. */
static void check_view(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	char state[STATE_MAX];
	read_state(f->path, state);
	cr_assert_str_eq(state, f->before, "a view changed the file");
	if (rc == LA_OK) {
		if (!f->expected_view[0])
			snprintf(f->expected_view, sizeof f->expected_view, "%s", f->view);
		cr_assert_str_eq(f->view, f->expected_view, "the view differs from a clean run");
	}
	next_command_works(f);
}

/* ---- the outbox relay ---- */

static int publish(const char *channel, const char *json, void *payload)
{
	struct fixture *f = payload;
	cr_assert_str_eq(channel, "line_allocated");
	cr_assert_lt(f->published_count, PUBLISHED_MAX);
	snprintf(f->published[f->published_count++], sizeof f->published[0], "%s", json);
	return LA_OK;
}

static int call_relay(void *ctx)
{
	struct fixture *f = ctx;
	size_t sent = 0;
	int rc = la_store_relay_outbox(&sent, f->store, 0, publish, f);
	cr_assert_leq(sent, f->published_count);
	return rc;
}

static int marked_published(const char *path, const struct fixture *f)
{
	sqlite3 *db = sqlt_raw(path);
	sqlite3_stmt *stmt = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT payload FROM outbox WHERE sent IS NOT NULL", -1,
	                                &stmt, NULL),
	             SQLITE_OK);
	int marked = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *payload = (const char *)sqlite3_column_text(stmt, 0);
		int found = 0;
		for (size_t i = 0; i < f->published_count && !found; i++)
			found = strcmp(f->published[i], payload) == 0;
		cr_assert(found, "marked sent but never published: %s", payload);
		marked++;
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return marked;
}

/* At least once: a row is marked sent only once published; a relay that
 * failed leaves the rest for the next one, which sends them all. */
static void check_relay(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	sqlite3 *db = sqlt_raw(f->path);
	int64_t rows = sqlt_int(db, "SELECT count(*) FROM outbox");
	sqlite3_close(db);
	cr_assert_eq(rows, 4);
	int marked = marked_published(f->path, f);
	if (rc == LA_OK) {
		cr_assert_eq(marked, rows, "the relay succeeded but left rows unsent");
	} else {
		size_t sent = 0;
		rc = la_store_relay_outbox(&sent, f->store, 0, publish, f);
		cr_assert_eq(rc, LA_OK, "the next relay: %s", la_error_last());
		cr_assert_eq(marked_published(f->path, f), rows);
	}
	next_command_works(f);
}

/* ---- opening ---- */

static void setup_open(void *ctx)
{
	struct fixture *f = ctx;
	if (f->fresh_file) {
		unlink(f->path);
		char side[600];
		snprintf(side, sizeof side, "%s-wal", f->path);
		unlink(side);
	} else {
		copy_file(f->template_path, f->path);
		read_state(f->path, f->before);
	}
	f->opened = NULL;
}

static int call_open(void *ctx)
{
	struct fixture *f = ctx;
	la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
	opts.flags = LA_STORE_OUTBOX;
	opts.checkpoint = f->checkpoint;
	int rc = la_sqlite_store_open_ext(&f->opened, f->path, &opts);
	if (rc != LA_OK)
		cr_assert_null(f->opened, "a failed open returned a store");
	return rc;
}

/* A failed open leaves an existing file as it was and a new one usable:
 * the next open works and takes commands. */
static void check_open(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	if (rc != LA_OK) {
		if (!f->fresh_file) {
			char state[STATE_MAX];
			read_state(f->path, state);
			cr_assert_str_eq(state, f->before, "a failed open changed the file");
		}
		la_sqlite_options opts = LA_SQLITE_OPTIONS_INIT;
		opts.flags = LA_STORE_OUTBOX;
		opts.checkpoint = f->checkpoint;
		rc = la_sqlite_store_open_ext(&f->opened, f->path, &opts);
		cr_assert_eq(rc, LA_OK, "opening again: %s", la_error_last());
	}
	cr_assert_eq(la_bus_new(&f->bus, f->opened, NULL), LA_OK);
	f->store = f->opened;
	if (f->fresh_file) {
		la_message *m = NULL;
		int built = la_command_create_batch(&m, "b1", "CHAIR", 5, NULL);
		cr_assert_eq(send(f->bus, m, built), LA_OK, "%s", la_error_last());
	}
	next_command_works(f);
}

static void close_open(void *ctx)
{
	close_copy(ctx);
	((struct fixture *)ctx)->opened = NULL;
}

/* ---- the suites ---- */

#define STEP(name, setup, fn, teardown)                                                            \
	{                                                                                          \
		name, setup, call_##fn, check_##fn, teardown, sqlite_errors                        \
	}

static const struct oom_step command_steps[] = {
    STEP("create batch, new product", open_copy, create_new_product, close_copy),
    STEP("create batch", open_copy, create_batch, close_copy),
    STEP("allocate", open_copy, allocate, close_copy),
    STEP("allocate, out of stock", open_copy, allocate_out_of_stock, close_copy),
    STEP("deallocate", open_copy, deallocate, close_copy),
    STEP("change quantity, reallocating", open_copy, change_quantity, close_copy),
    STEP("cancel batch, reallocating", open_copy, cancel, close_copy),
    STEP("handle many", open_copy, handle_many, close_copy),
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const struct oom_step read_steps[] = {
    {"view allocations", open_copy, call_view_allocations, check_view, close_copy, sqlite_errors},
    {"view batches, two pages", open_copy, call_view_batches, check_view, close_copy,
     sqlite_errors},
    {"relay outbox", open_copy, call_relay, check_relay, close_copy, sqlite_errors},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const struct oom_step open_steps[] = {
    {"open", setup_open, call_open, check_open, close_open, sqlite_errors},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof *f);
	cr_assert_not_null(f);
	prepare_template(f);
	return f;
}

Test(oom_sqlite, commands, .timeout = 600)
{
	struct fixture *f = fixture_new();
	for (const struct oom_step *s = command_steps; s->name; s++) {
		f->expected[0] = '\0';
		const struct oom_step one[] = {*s, {NULL, NULL, NULL, NULL, NULL, NULL}};
		oom_sweep_all("sqlite", one, f);
	}
	free(f);
}

Test(oom_sqlite, views_and_relay, .timeout = 600)
{
	struct fixture *f = fixture_new();
	for (const struct oom_step *s = read_steps; s->name; s++) {
		f->expected_view[0] = '\0';
		const struct oom_step one[] = {*s, {NULL, NULL, NULL, NULL, NULL, NULL}};
		oom_sweep_all("sqlite", one, f);
	}
	free(f);
}

Test(oom_sqlite, open_existing_file, .timeout = 600)
{
	struct fixture *f = fixture_new();
	oom_sweep_all("sqlite existing file", open_steps, f);
	free(f);
}

Test(oom_sqlite, open_new_file, .timeout = 600)
{
	struct fixture *f = fixture_new();
	f->fresh_file = 1;
	oom_sweep_all("sqlite new file", open_steps, f);
	free(f);
}

Test(oom_sqlite, open_with_background_checkpoints, .timeout = 600)
{
	struct fixture *f = fixture_new();
	f->checkpoint = LA_SQLITE_CHECKPOINT_BACKGROUND;
	oom_sweep_all("sqlite background checkpoints", open_steps, f);
	free(f);
}
