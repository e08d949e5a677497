/*
 * Check and repair (check.h, docs/check.md). Each query answers findings as
 * rows (kind, batchref, orderid, sku, message), so one loop turns any of them
 * into the report; the SQL is fixed text, nothing from outside is spliced
 * in. Check reads one REPEATABLE READ snapshot. Repair runs in one
 * REPEATABLE READ transaction (a concurrent change to a row it repairs makes
 * it fail with LA_ECONFLICT, changing nothing) and bumps the version of
 * every product whose figures it changed, so every connection's product
 * cache reads it again.
 */
#include <stdio.h>

#include "pg_store.h"

/* Each batch with its stored figures and the ones its lines give. */
#define FIGURES                                                                                    \
	"(SELECT b.ref, b.sku, b.purchased, b.allocated, b.line_count,"                            \
	" (SELECT coalesce(sum(a.qty), 0) FROM allocations a WHERE a.batchref = b.ref) AS total,"  \
	" (SELECT count(*) FROM allocations a WHERE a.batchref = b.ref) AS lines"                  \
	" FROM batches b) f"
#define LINE_OF "'order ' || a.orderid || '''s line of ' || a.sku"

/* PostgreSQL 15 has no pg_input_is_valid: a session-local function asks. */
static const char json_function[] =
    "CREATE OR REPLACE FUNCTION pg_temp.la_json_object(p text) RETURNS boolean"
    " LANGUAGE plpgsql AS $$ BEGIN RETURN jsonb_typeof(p::jsonb) = 'object';"
    " EXCEPTION WHEN others THEN RETURN false; END $$";

static const char *const data_checks[] = {
    "SELECT 7, NULL, NULL, sku, 'product ' || sku || ' has version ' || version_number"
    " FROM products WHERE version_number < 1 ORDER BY sku",
    "SELECT 10, b.ref, NULL, b.sku, 'batch ' || b.ref || ' belongs to ' || b.sku ||"
    " ', which has no product' FROM batches b"
    " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = b.sku) ORDER BY b.ref",
    "SELECT 2, ref, NULL, sku, 'batch ' || ref || ' stores allocated ' || allocated ||"
    " ' but its lines add up to ' || total FROM " FIGURES " WHERE allocated <> total"
    " ORDER BY ref",
    "SELECT 3, ref, NULL, sku, 'batch ' || ref || ' stores ' || line_count ||"
    " ' lines but has ' || lines FROM " FIGURES " WHERE line_count <> lines ORDER BY ref",
    "SELECT 1, ref, NULL, sku, 'batch ' || ref || ' has ' || total || ' allocated of ' ||"
    " purchased || ' purchased' FROM " FIGURES " WHERE total > purchased ORDER BY ref",
    "SELECT 5, a.batchref, a.orderid, a.sku, " LINE_OF " || ' points at batch ' ||"
    " a.batchref || ', which does not exist' FROM allocations a"
    " WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.ref = a.batchref)"
    " ORDER BY a.orderid, a.sku",
    "SELECT 9, a.batchref, a.orderid, a.sku, " LINE_OF " || ' is on batch ' || a.batchref ||"
    " ' of ' || b.sku FROM allocations a JOIN batches b ON b.ref = a.batchref"
    " WHERE a.sku <> b.sku ORDER BY a.orderid, a.sku",
    "SELECT 11, a.batchref, a.orderid, a.sku, " LINE_OF " || ' has quantity ' || a.qty"
    " FROM allocations a WHERE a.qty < 1 ORDER BY a.orderid, a.sku",
    "SELECT 6, NULL, orderid, sku, 'order ' || orderid || ' has ' || count(*) ||"
    " ' lines of ' || sku || ' (on ' || string_agg(batchref, ', ' ORDER BY batchref) || ')'"
    " FROM allocations GROUP BY orderid, sku HAVING count(*) > 1 ORDER BY orderid, sku",
    "SELECT 8, NULL, NULL, NULL, 'outbox message ' || id || ' ' ||"
    " CASE WHEN channel = '' THEN 'has no channel'"
    " ELSE 'has a payload that is not a JSON object' END FROM outbox"
    " WHERE channel = '' OR NOT pg_temp.la_json_object(payload) ORDER BY id",
    "SELECT to_regclass('allocations_view') IS NULL",
    "SELECT to_regclass('waiting') IS NOT NULL",
};
#define DATA_CHECKS (int)(sizeof data_checks / sizeof *data_checks)

/* Holds and waiting lines (issue 13), where the schema has them (version 2:
 * allocations.expires, batches.held, the waiting table). */
#define HELD_FIGURES                                                                               \
	"(SELECT b.ref, b.sku, b.held, (SELECT coalesce(sum(a.qty), 0) FROM allocations a"         \
	" WHERE a.batchref = b.ref AND a.expires > 0) AS held_total FROM batches b)"
static const char *const order_checks[] = {
    "SELECT 12, ref, NULL, sku, 'batch ' || ref || ' stores held ' || held ||"
    " ' but its held lines add up to ' || held_total FROM " HELD_FIGURES
    " h WHERE held <> held_total ORDER BY ref",
    "SELECT 13, a.batchref, w.orderid, w.sku, 'order ' || w.orderid || '''s line of ' ||"
    " w.sku || ' waits for stock and is allocated on ' || a.batchref FROM waiting w"
    " JOIN allocations a ON a.orderid = w.orderid AND a.sku = w.sku"
    " ORDER BY w.orderid, w.sku",
    "SELECT 14, NULL, w.orderid, w.sku, 'order ' || w.orderid || '''s line waits for ' ||"
    " w.sku || ', which has no product' FROM waiting w"
    " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = w.sku)"
    " ORDER BY w.orderid, w.sku",
    "SELECT 11, NULL, orderid, sku, 'order ' || orderid || '''s waiting line of ' || sku ||"
    " ' has quantity ' || qty FROM waiting WHERE qty < 1 ORDER BY orderid, sku",
};
#define ORDER_CHECKS (int)(sizeof order_checks / sizeof *order_checks)

static const char *const held_repairs[] = {
    "WITH f AS " HELD_FIGURES ","
    " fixed AS (UPDATE batches b SET held = f.held_total FROM f"
    " WHERE b.ref = f.ref AND f.held <> f.held_total RETURNING f.ref, f.sku, f.held,"
    " f.held_total),"
    " bumped AS (UPDATE products p SET version_number = p.version_number + 1"
    " WHERE p.sku IN (SELECT sku FROM fixed))"
    " SELECT 12, ref, NULL, sku, 'batch ' || ref || ': held ' || held || ' -> ' ||"
    " held_total FROM fixed ORDER BY ref",
};
#define HELD_REPAIRS (int)(sizeof held_repairs / sizeof *held_repairs)

/* The read model against the allocations, when allocations_view exists. */
#define VIEW_LACKS                                                                                 \
	"(SELECT orderid, sku, batchref, qty FROM allocations EXCEPT"                              \
	" SELECT orderid, sku, batchref, qty FROM allocations_view) d"
#define VIEW_SHOWS                                                                                 \
	"(SELECT orderid, sku, batchref, qty FROM allocations_view EXCEPT"                         \
	" SELECT orderid, sku, batchref, qty FROM allocations) d"
static const char *const view_checks[] = {
    "SELECT 4, batchref, orderid, sku, 'the read model lacks order ' || orderid ||"
    " '''s line of ' || sku || ' on ' || batchref FROM " VIEW_LACKS " ORDER BY orderid, sku",
    "SELECT 4, batchref, orderid, sku, 'the read model shows order ' || orderid ||"
    " '''s line of ' || sku || ' on ' || batchref || ', which is not allocated' FROM " VIEW_SHOWS
    " ORDER BY orderid, sku",
};
#define VIEW_CHECKS (int)(sizeof view_checks / sizeof *view_checks)

static const char view_missing_message[] = "the read model allocations_view is missing";

static const char *const repairs[] = {
    "WITH f AS (SELECT b.ref, b.sku, b.allocated, b.line_count,"
    " (SELECT coalesce(sum(a.qty), 0) FROM allocations a WHERE a.batchref = b.ref) AS total,"
    " (SELECT count(*) FROM allocations a WHERE a.batchref = b.ref) AS lines FROM batches b),"
    " fixed AS (UPDATE batches b SET allocated = f.total, line_count = f.lines FROM f"
    " WHERE b.ref = f.ref AND (f.allocated <> f.total OR f.line_count <> f.lines)"
    " RETURNING f.ref, f.sku, f.allocated, f.total, f.line_count, f.lines),"
    " bumped AS (UPDATE products p SET version_number = p.version_number + 1"
    " WHERE p.sku IN (SELECT sku FROM fixed))"
    " SELECT CASE WHEN allocated <> total THEN 2 ELSE 3 END, ref, NULL, sku, 'batch ' || ref"
    " || ':' || CASE WHEN allocated <> total THEN ' allocated ' || allocated || ' -> ' ||"
    " total ELSE '' END || CASE WHEN line_count <> lines THEN CASE WHEN allocated <> total"
    " THEN ',' ELSE '' END || ' line count ' || line_count ||"
    " ' -> ' || lines ELSE '' END FROM fixed ORDER BY ref",
    /* a version at least the product's latest batch or line sequence, plus one */
    "WITH v AS (SELECT p.sku, p.version_number AS old, 1 + greatest("
    " (SELECT coalesce(max(sequence), 0) FROM batches b WHERE b.sku = p.sku),"
    " (SELECT coalesce(max(sequence), 0) FROM allocations a WHERE a.sku = p.sku)) AS new"
    " FROM products p WHERE p.version_number < 1),"
    " fixed AS (UPDATE products p SET version_number = v.new FROM v WHERE p.sku = v.sku"
    " RETURNING v.sku, v.old, v.new)"
    " SELECT 7, NULL, NULL, sku, 'product ' || sku || ': version ' || old || ' -> ' || new"
    " FROM fixed ORDER BY sku",
    "SELECT to_regclass('allocations_view') IS NULL",
    "SELECT to_regclass('waiting') IS NOT NULL",
};
#define REPAIRS (int)(sizeof repairs / sizeof *repairs)

static const char *const view_counts[] = {
    "SELECT count(*) FROM " VIEW_LACKS,
    "SELECT count(*) FROM " VIEW_SHOWS,
};

static const char *text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Append every row of res (kind, batchref, orderid, sku, message). */
static int append_rows(la_check_report *into, const PGresult *res)
{
	int rc = LA_OK;
	for (int row = 0; rc == LA_OK && res && row < PQntuples(res); row++)
		rc = la_check_report_append(into, (int)pg_int(res, row, 0),
		                            text_or_null(res, row, 1), text_or_null(res, row, 2),
		                            text_or_null(res, row, 3), "%s",
		                            PQgetvalue(res, row, 4));
	return rc;
}

/* Queue sql[0..count) and read their results into results (one round trip). */
static int queue_and_run(struct pg_store *store, const char *const *sql, int count,
                         PGresult **results, const char *what)
{
	int rc = LA_OK;
	for (int i = 0; rc == LA_OK && i < count; i++)
		rc = pg_queue_sql(store, sql[i]);
	if (rc == LA_OK)
		return pg_round_trip(store, results, count, what);
	for (int i = 0; i < count; i++)
		results[i] = NULL;
	return rc;
}

/* Run sql[0..count) (at most 8) in one round trip, appending their rows. */
static int run_appending(struct pg_store *store, const char *const *sql, int count,
                         la_check_report *into, const char *what)
{
	PGresult *res[8];
	if (count > 8)
		return la_error_set(LA_EINVAL, "postgres: too many check queries");
	int rc = queue_and_run(store, sql, count, res, what);
	for (int i = 0; rc == LA_OK && i < count; i++)
		rc = append_rows(into, res[i]);
	pg_clear_results(res, count);
	return rc;
}

static int is_true(const PGresult *res)
{
	return res && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
}

static int64_t count_of(const PGresult *res)
{
	return res && PQntuples(res) == 1 ? pg_int(res, 0, 0) : 0;
}

static int refuse_in_unit(const struct pg_store *store, const char *what)
{
	return store->in_unit ? la_error_set(LA_ESTATE, "postgres: %s inside a unit of work", what)
	                      : LA_OK;
}

/* COMMIT when rc is LA_OK (its failure returned); else ROLLBACK, whose
 * answer is read with the next round trip (the error stays rc's). */
static int finish(struct pg_store *store, int rc, const char *what)
{
	if (rc != LA_OK) {
		if (!store->broken && pg_queue_sql(store, "ROLLBACK") == LA_OK)
			(void)pg_send_deferred(store);
		return rc;
	}
	rc = pg_queue_sql(store, "COMMIT");
	return rc == LA_OK ? pg_round_trip(store, NULL, 0, what) : rc;
}

static const char begin_snapshot[] = "BEGIN ISOLATION LEVEL REPEATABLE READ";

/* The read model's findings (into), or only their number (into NULL). */
static int check_view(struct pg_store *store, int missing, la_check_report *into, int64_t *found,
                      const char *what)
{
	*found = missing;
	if (missing)
		return into ? la_check_report_append(into, LA_CHECK_READ_MODEL_MISMATCH, NULL, NULL,
		                                     NULL, "%s", view_missing_message)
		            : LA_OK;
	PGresult *res[VIEW_CHECKS];
	int rc = queue_and_run(store, into ? view_checks : view_counts, VIEW_CHECKS, res, what);
	for (int i = 0; rc == LA_OK && i < VIEW_CHECKS; i++) {
		if (into) {
			*found += res[i] ? PQntuples(res[i]) : 0;
			rc = append_rows(into, res[i]);
		} else {
			*found += count_of(res[i]);
		}
	}
	pg_clear_results(res, VIEW_CHECKS);
	return rc;
}

static int recreate_view(struct pg_store *store, la_check_report *into, int64_t found)
{
	static const char *const sql[] = {"DROP VIEW IF EXISTS allocations_view",
	                                  PG_ALLOCATIONS_VIEW};
	PGresult *res[2];
	int rc = queue_and_run(store, sql, 2, res, "recreating the read model");
	pg_clear_results(res, 2);
	if (rc == LA_OK)
		rc = la_check_report_append(into, LA_CHECK_READ_MODEL_MISMATCH, NULL, NULL, NULL,
		                            "read model: allocations_view recreated (it was "
		                            "missing or differed in %lld rows)",
		                            (long long)found);
	return rc;
}

/* Check or repair: what one pass over the store sends. */
struct pass {
	const char *what;
	const char *const *head; /* BEGIN and what the queries need; no findings */
	int heads;
	/* findings, then whether allocations_view is missing and whether the
	 * schema keeps holds and waiting lines (the waiting table exists) */
	const char *const *queries;
	int count;
	const char *const *order_queries; /* findings, where the schema keeps them */
	int order_count;
	/* repair: the read model's differences only counted, and the view
	 * recreated when there are any; check: listed */
	int repair;
};

static const char *const check_head[] = {begin_snapshot, json_function};
static const struct pass check_pass = {
    .what = "checking the store",
    .head = check_head,
    .heads = 2,
    .queries = data_checks,
    .count = DATA_CHECKS,
    .order_queries = order_checks,
    .order_count = ORDER_CHECKS,
    .repair = 0,
};

static const char *const repair_head[] = {begin_snapshot};
static const struct pass repair_pass = {
    .what = "repairing the store",
    .head = repair_head,
    .heads = 1,
    .queries = repairs,
    .count = REPAIRS,
    .order_queries = held_repairs,
    .order_count = HELD_REPAIRS,
    .repair = 1,
};

/* Run the pass in one transaction, appending its findings to into. */
static int run_pass(struct pg_store *store, const struct pass *pass, la_check_report *into)
{
	enum { MOST = 16 };
	const char *sql[MOST];
	PGresult *res[MOST];
	int n = pass->heads + pass->count;
	if (n > MOST)
		return la_error_set(LA_EINVAL, "postgres: too many check queries");
	for (int i = 0; i < n; i++)
		sql[i] = i < pass->heads ? pass->head[i] : pass->queries[i - pass->heads];
	int rc = refuse_in_unit(store, pass->what);
	if (rc == LA_OK)
		rc = pg_ensure_connected(store);
	if (rc != LA_OK)
		return rc;
	rc = queue_and_run(store, sql, n, res, pass->what);
	for (int i = pass->heads; rc == LA_OK && i < n - 2; i++)
		rc = append_rows(into, res[i]);
	int missing = rc == LA_OK && is_true(res[n - 2]);
	int orders = rc == LA_OK && is_true(res[n - 1]);
	pg_clear_results(res, n);
	if (rc == LA_OK && orders)
		rc = run_appending(store, pass->order_queries, pass->order_count, into, pass->what);
	int64_t found = 0;
	if (rc == LA_OK)
		rc = check_view(store, missing, pass->repair ? NULL : into, &found, pass->what);
	if (rc == LA_OK && pass->repair && found)
		rc = recreate_view(store, into, found);
	return finish(store, rc, pass->what);
}

int pg_check(la_check_report *into, void *state)
{
	return run_pass(state, &check_pass, into);
}

int pg_repair(la_check_report *into, void *state)
{
	struct pg_store *store = state;
	int rc = run_pass(store, &repair_pass, into);
	pg_cache_clear(store); /* the figures it remembered may be the ones repaired */
	return rc;
}
