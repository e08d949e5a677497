/* The out-of-memory sweep of a store adapter (see oom_store.h). */
#include "oom_store.h"

#include "oom_sweep.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PUBLISHED_MAX 16

/* One sweep runs at a time in a test process: its state. */
struct fixture {
	const struct oom_store_adapter *a;
	la_store *store;
	la_bus *bus;
	int empty; /* the open steps: start from an empty place */
	char before[OOM_STATE_MAX];
	char expected[OOM_STATE_MAX]; /* after a clean call ("" until the first) */
	char view[OOM_STATE_MAX];     /* what the views returned */
	char expected_view[OOM_STATE_MAX];
	/* the relay's publisher: fixed storage, so it allocates nothing */
	char published[PUBLISHED_MAX][256];
	size_t published_count;
};

static struct fixture fx;

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
	f->a->check_invariants();
}

/* A commit whose answer was lost says so ("the outcome of the commit is
 * unknown"): then the data is as before or as after, never in between. */
static int committed_unknowingly(const struct fixture *f, int rc, const char *state)
{
	return rc != LA_OK && strstr(oom_sweep_outcome(), "outcome of the commit is unknown") &&
	       f->expected[0] && strcmp(state, f->expected) == 0;
}

/* A command step: all or nothing, and a retry completes it. */
static void check_command(struct fixture *f, int rc, int (*retry)(struct fixture *))
{
	char state[OOM_STATE_MAX];
	f->a->read_state(state, sizeof state);
	f->a->check_invariants();
	if (rc != LA_OK && !committed_unknowingly(f, rc, state)) {
		cr_assert_str_eq(
		    state, f->before,
		    "allocation %llu failing: %s, yet the data changed:\n%s\nbefore:\n%s",
		    oom_sweep_failing(), oom_sweep_outcome(), state, f->before);
		rc = retry(f);
		cr_assert_eq(rc, LA_OK, "retry: %s (%s)", la_strerror(rc), la_error_last());
		f->a->read_state(state, sizeof state);
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

/* Holds and backorders (stores that keep them): a held line, and a line
 * that waits because TABLE has no room. */
static int do_allocate_held(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_allocate_with(&m, "o7", "CHAIR", 2, 60, NULL);
	return send(f->bus, m, built);
}

static int do_allocate_backordered(struct fixture *f)
{
	la_message *m = NULL;
	int built = la_command_allocate_with(&m, "o8", "TABLE", 100, 0, NULL);
	return send(f->bus, m, built);
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
COMMAND_STEP(allocate_held)
COMMAND_STEP(allocate_backordered)

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
	char state[OOM_STATE_MAX];
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
		f->a->check_invariants();
		/* a command that failed alone is retried, as a client would */
		if (any) {
			rc = many(f, failed);
			cr_assert_eq(rc, LA_OK, "retry: %s", la_error_last());
			for (size_t i = 0; i < la_bus_result_count(f->bus); i++)
				cr_assert_eq(la_bus_result_status(f->bus, i), LA_OK,
				             "retry %zu: %s", i, la_bus_result_error(f->bus, i));
		}
		f->a->read_state(state, sizeof state);
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
	char state[OOM_STATE_MAX];
	f->a->read_state(state, sizeof state);
	cr_assert_str_eq(state, f->before, "a view changed the data");
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

struct marked {
	const struct fixture *f;
	size_t count;
};

static void was_published(const char *payload, void *arg)
{
	struct marked *m = arg;
	int found = 0;
	for (size_t i = 0; i < m->f->published_count && !found; i++)
		found = strcmp(m->f->published[i], payload) == 0;
	cr_assert(found, "allocation %llu failing: marked sent but never published: %s",
	          oom_sweep_failing(), payload);
	m->count++;
}

/* Rows marked sent (each asserted published); *rows: how many in all. */
static size_t marked_sent(const struct fixture *f, size_t *rows)
{
	struct marked m = {f, 0};
	*rows = f->a->outbox_sent(was_published, &m);
	return m.count;
}

/* At least once: a row is marked sent only once published; a relay that
 * failed leaves the rest for the next one, which sends them all. */
static void check_relay(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	size_t rows;
	size_t marked = marked_sent(f, &rows);
	cr_assert_eq(rows, 4, "the template has 4 outbox rows, not %zu", rows);
	if (rc == LA_OK) {
		cr_assert_eq(marked, rows, "the relay succeeded but left rows unsent");
	} else {
		/* The next relays send the rest. On PostgreSQL the first of them
		 * may find the relay lock still held, by the session the failed
		 * relay gave up on until its server process notices (a relay that
		 * finds it held sends nothing, by design): a later one sends. */
		for (int attempt = 0; attempt < 100 && marked_sent(f, &rows) < rows; attempt++) {
			if (attempt) {
				struct timespec pause = {0, 20000000}; /* 20 ms */
				nanosleep(&pause, NULL);
			}
			size_t sent = 0;
			rc = la_store_relay_outbox(&sent, f->store, 0, publish, f);
			cr_assert_eq(rc, LA_OK, "the next relay: %s", la_error_last());
		}
		cr_assert_eq(marked_sent(f, &rows), rows, "the next relays left rows unsent");
	}
	next_command_works(f);
}

/* ---- opening ---- */

static void setup_open(void *ctx)
{
	struct fixture *f = ctx;
	if (f->empty) {
		f->a->reset_empty();
	} else {
		f->a->reset();
		f->a->read_state(f->before, sizeof f->before);
	}
	f->store = NULL;
}

static int call_open(void *ctx)
{
	struct fixture *f = ctx;
	int rc = f->a->open(&f->store, LA_STORE_OUTBOX);
	if (rc != LA_OK)
		cr_assert_null(f->store, "a failed open returned a store");
	return rc;
}

/* A failed open leaves existing data as it was and an empty place usable:
 * the next open works and takes commands. */
static void check_open(void *ctx, int rc, int fired)
{
	(void)fired;
	struct fixture *f = ctx;
	if (rc != LA_OK) {
		if (!f->empty) {
			char state[OOM_STATE_MAX];
			f->a->read_state(state, sizeof state);
			cr_assert_str_eq(state, f->before, "a failed open changed the data");
		}
		rc = f->a->open(&f->store, LA_STORE_OUTBOX);
		cr_assert_eq(rc, LA_OK, "opening again: %s", la_error_last());
	}
	cr_assert_eq(la_bus_new(&f->bus, f->store, NULL), LA_OK);
	if (f->empty) {
		la_message *m = NULL;
		int built = la_command_create_batch(&m, "b1", "CHAIR", 5, NULL);
		cr_assert_eq(send(f->bus, m, built), LA_OK, "%s", la_error_last());
	}
	next_command_works(f);
}

/* ---- setup and teardown of the other steps ---- */

static void open_store(void *ctx)
{
	struct fixture *f = ctx;
	f->a->reset();
	int rc = f->a->open(&f->store, LA_STORE_OUTBOX);
	cr_assert_eq(rc, LA_OK, "open: %s", la_error_last());
	cr_assert_eq(la_bus_new(&f->bus, f->store, NULL), LA_OK);
	f->a->read_state(f->before, sizeof f->before);
	f->published_count = 0;
	f->view[0] = '\0';
}

static int64_t fixed_clock(void *payload)
{
	(void)payload;
	return 1800000000; /* a hold's end (in its event) is the same in every run */
}

/* As open_store, with backorders on and a fixed clock (the store must keep
 * held and waiting lines). */
static void open_store_holds(void *ctx)
{
	struct fixture *f = ctx;
	open_store(ctx);
	la_bus_free(f->bus);
	la_bus_options opts = LA_BUS_OPTIONS_INIT;
	opts.flags = LA_BUS_BACKORDERS;
	opts.clock = fixed_clock;
	cr_assert_eq(la_bus_new(&f->bus, f->store, &opts), LA_OK);
}

static void close_store(void *ctx)
{
	struct fixture *f = ctx;
	la_bus_free(f->bus);
	la_store_free(f->store);
	f->bus = NULL;
	f->store = NULL;
}

/* ---- the data every run starts from ---- */

static void must(int rc, const char *what)
{
	cr_assert_eq(rc, LA_OK, "%s: %s", what, la_error_last());
}

void oom_store_prepare(la_store *store)
{
	la_bus *bus = NULL;
	must(la_bus_new(&bus, store, NULL), "bus");
	static const struct {
		const char *ref, *sku, *eta;
		int64_t qty;
	} batches[] = {{"b1", "CHAIR", NULL, 50},
	               {"b2", "CHAIR", "2011-01-02", 50},
	               {"b3", "TABLE", NULL, 6},
	               {"b4", "TABLE", "2011-01-03", 5}};
	for (size_t i = 0; i < 4; i++) {
		la_message *m = NULL;
		int built = la_command_create_batch(&m, batches[i].ref, batches[i].sku,
		                                    batches[i].qty, batches[i].eta);
		must(send(bus, m, built), batches[i].ref);
	}
	must(allocate(bus, "o1", "CHAIR", 20), "o1");
	must(allocate(bus, "o2", "CHAIR", 20), "o2");
	must(allocate(bus, "o3", "TABLE", 2), "o3");
	must(allocate(bus, "o1", "TABLE", 3), "o1 tables");
	la_bus_free(bus);
}

/* ---- the sweeps ---- */

#define STEP(name, fn)                                                                             \
	{                                                                                          \
		name, open_store, call_##fn, check_##fn, close_store, NULL                         \
	}

static const struct oom_step command_steps[] = {
    STEP("create batch, new product", create_new_product),
    STEP("create batch", create_batch),
    STEP("allocate", allocate),
    STEP("allocate, out of stock", allocate_out_of_stock),
    STEP("deallocate", deallocate),
    STEP("change quantity, reallocating", change_quantity),
    STEP("cancel batch, reallocating", cancel),
    STEP("handle many", handle_many),
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const struct oom_step hold_steps[] = {
    {"allocate, held", open_store_holds, call_allocate_held, check_allocate_held, close_store,
     NULL},
    {"allocate, backordered", open_store_holds, call_allocate_backordered,
     check_allocate_backordered, close_store, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const struct oom_step view_steps[] = {
    {"view allocations", open_store, call_view_allocations, check_view, close_store, NULL},
    {"view batches, two pages", open_store, call_view_batches, check_view, close_store, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL}};

static const struct oom_step relay_step = {"relay outbox", open_store,  call_relay,
                                           check_relay,    close_store, NULL};

static const struct oom_step open_step = {"open",     setup_open,  call_open,
                                          check_open, close_store, NULL};

/* Each step with fresh expectations. */
static void sweep(const struct oom_store_adapter *a, const char *suite, struct oom_step s)
{
	memset(&fx, 0, sizeof fx);
	fx.a = a;
	s.errors = a->errors;
	const struct oom_step one[] = {s, {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all(suite, one, &fx);
}

void oom_store_sweep_commands(const struct oom_store_adapter *a)
{
	for (const struct oom_step *s = command_steps; s->name; s++)
		sweep(a, a->name, *s);
}

void oom_store_sweep_holds(const struct oom_store_adapter *a)
{
	for (const struct oom_step *s = hold_steps; s->name; s++)
		sweep(a, a->name, *s);
}

void oom_store_sweep_views(const struct oom_store_adapter *a)
{
	for (const struct oom_step *s = view_steps; s->name; s++)
		sweep(a, a->name, *s);
}

void oom_store_sweep_relay(const struct oom_store_adapter *a)
{
	cr_assert_not_null(a->outbox_sent, "%s has no outbox", a->name);
	sweep(a, a->name, relay_step);
}

void oom_store_sweep_open(const struct oom_store_adapter *a, int empty)
{
	char suite[128];
	snprintf(suite, sizeof suite, "%s%s", a->name, empty ? ", empty" : "");
	memset(&fx, 0, sizeof fx);
	fx.a = a;
	fx.empty = empty;
	struct oom_step s = open_step;
	s.errors = a->errors;
	const struct oom_step one[] = {s, {NULL, NULL, NULL, NULL, NULL, NULL}};
	oom_sweep_all(suite, one, &fx);
}
