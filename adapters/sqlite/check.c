/*
 * Check and repair (check.h, docs/check.md). Each query answers findings as
 * rows (kind, batchref, orderid, sku, message), so one loop turns any of them
 * into the report. The SQL is fixed text: nothing from outside is spliced in.
 * Check reads one snapshot (a read transaction); repair writes in one
 * BEGIN IMMEDIATE transaction and bumps the version of every product whose
 * figures it changed, so every connection's product cache reads it again.
 */
#include "sqlite_store.h"

/* Each batch with its stored figures and the ones its lines give. */
#define FIGURES                                                                                    \
	"(SELECT b.ref, b.sku, b.purchased, b.allocated, b.line_count,"                            \
	" (SELECT coalesce(sum(a.qty), 0) FROM allocations a WHERE a.batchref = b.ref) AS total,"  \
	" (SELECT count(*) FROM allocations a WHERE a.batchref = b.ref) AS lines"                  \
	" FROM batches b)"
#define LINE_OF "'order ' || a.orderid || '''s line of ' || a.sku"

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
    " ' lines of ' || sku || ' (on ' || group_concat(batchref, ', ') || ')'"
    " FROM allocations GROUP BY orderid, sku HAVING count(*) > 1 ORDER BY orderid, sku",
    "SELECT 8, NULL, NULL, NULL, 'outbox message ' || id || ' ' ||"
    " CASE WHEN channel IS NULL OR channel = '' THEN 'has no channel'"
    " WHEN payload IS NULL OR NOT json_valid(payload) THEN 'has a payload that is not JSON'"
    " WHEN json_type(payload) <> 'object' THEN 'has a payload that is not a JSON object'"
    " ELSE 'is unsent and has no creation time' END FROM outbox"
    " WHERE channel IS NULL OR channel = '' OR payload IS NULL OR NOT json_valid(payload)"
    " OR (CASE WHEN json_valid(payload) THEN json_type(payload) END) IS NOT 'object'"
    " OR (sent IS NULL AND created IS NULL) ORDER BY id",
};

/* Holds and waiting lines (issue 13), where the schema has them (version 3:
 * allocations.expires, batches.held, the waiting table). */
#define HELD_FIGURES                                                                               \
	"(SELECT b.ref, b.sku, b.held, (SELECT coalesce(sum(a.qty), 0) FROM allocations a"         \
	" WHERE a.batchref = b.ref AND a.expires > 0) AS held_total FROM batches b)"
static const char *const order_checks[] = {
    "SELECT 12, ref, NULL, sku, 'batch ' || ref || ' stores held ' || held ||"
    " ' but its held lines add up to ' || held_total FROM " HELD_FIGURES
    " WHERE held <> held_total ORDER BY ref",
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

static const char *const held_repairs[] = {
    "SELECT 12, ref, NULL, sku, 'batch ' || ref || ': held ' || held || ' -> ' ||"
    " held_total FROM " HELD_FIGURES " WHERE held <> held_total ORDER BY ref",
    "UPDATE products SET version_number = version_number + 1 WHERE sku IN (SELECT sku "
    "FROM " HELD_FIGURES " WHERE held <> held_total)",
    "UPDATE batches SET held = (SELECT coalesce(sum(a.qty), 0) FROM allocations a"
    " WHERE a.batchref = batches.ref AND a.expires > 0)"
    " WHERE ref IN (SELECT ref FROM " HELD_FIGURES " WHERE held <> held_total)",
};

static const char has_orders[] =
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table'"
    " AND name = 'waiting')";

/* The read model against the allocations, when allocations_view exists. */
static const char *const view_checks[] = {
    "SELECT 4, batchref, orderid, sku, 'the read model lacks order ' || orderid ||"
    " '''s line of ' || sku || ' on ' || batchref FROM (SELECT orderid, sku, batchref, qty"
    " FROM allocations EXCEPT SELECT orderid, sku, batchref, qty FROM allocations_view)"
    " ORDER BY orderid, sku",
    "SELECT 4, batchref, orderid, sku, 'the read model shows order ' || orderid ||"
    " '''s line of ' || sku || ' on ' || batchref || ', which is not allocated'"
    " FROM (SELECT orderid, sku, batchref, qty FROM allocations_view EXCEPT"
    " SELECT orderid, sku, batchref, qty FROM allocations) ORDER BY orderid, sku",
};

static const char view_missing[] =
    "SELECT 4, NULL, NULL, NULL, 'the read model allocations_view is missing'"
    " WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'view'"
    " AND name = 'allocations_view')";

/* Repair, in this order: report, then change. */
static const char *const figure_repairs[] = {
    "SELECT CASE WHEN allocated <> total THEN 2 ELSE 3 END, ref, NULL, sku, 'batch ' || ref"
    " || ':' || CASE WHEN allocated <> total THEN ' allocated ' || allocated || ' -> ' ||"
    " total ELSE '' END || CASE WHEN line_count <> lines THEN CASE WHEN allocated <> total"
    " THEN ',' ELSE '' END || ' line count ' || line_count ||"
    " ' -> ' || lines ELSE '' END FROM " FIGURES " WHERE allocated <> total"
    " OR line_count <> lines ORDER BY ref",
    "UPDATE products SET version_number = version_number + 1 WHERE sku IN (SELECT sku FROM " FIGURES
    " WHERE allocated <> total OR line_count <> lines)",
    "UPDATE batches SET"
    " allocated = (SELECT coalesce(sum(a.qty), 0) FROM allocations a"
    " WHERE a.batchref = batches.ref),"
    " line_count = (SELECT count(*) FROM allocations a WHERE a.batchref = batches.ref)"
    " WHERE ref IN (SELECT ref FROM " FIGURES " WHERE allocated <> total OR line_count <> lines)",
};

/* A version at least the product's latest batch or line sequence, plus one. */
#define NEW_VERSION                                                                                \
	"(1 + max((SELECT coalesce(max(sequence), 0) FROM batches b WHERE b.sku = products.sku),"  \
	" (SELECT coalesce(max(sequence), 0) FROM allocations a WHERE a.sku = products.sku)))"

static const char *const version_repairs[] = {
    "SELECT 7, NULL, NULL, sku, 'product ' || sku || ': version ' || version_number ||"
    " ' -> ' || " NEW_VERSION " FROM products WHERE version_number < 1 ORDER BY sku",
    "UPDATE products SET version_number = " NEW_VERSION " WHERE version_number < 1",
};

static const char view_recreate[] = "DROP VIEW IF EXISTS allocations_view;" SQ_ALLOCATIONS_VIEW;

static const char *text_or_null(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

/* Run sql; append each row it answers to into (when it answers rows), or
 * only count them when into is NULL. */
static int run(struct sq_store *store, const char *sql, la_check_report *into, size_t *found)
{
	sqlite3_stmt *stmt;
	int step = sqlite3_prepare_v2(store->db, sql, -1, &stmt, NULL);
	if (step != SQLITE_OK)
		return sq_fail(store, step, "checking the store");
	int rc = LA_OK;
	while (rc == LA_OK && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *message = text_or_null(stmt, 4);
		if (into)
			rc = la_check_report_append(into, sqlite3_column_int(stmt, 0),
			                            text_or_null(stmt, 1), text_or_null(stmt, 2),
			                            text_or_null(stmt, 3), "%s",
			                            message ? message : "?");
		if (found)
			(*found)++;
	}
	if (rc == LA_OK && step != SQLITE_DONE)
		rc = sq_fail(store, step, "checking the store");
	sqlite3_finalize(stmt);
	return rc;
}

static int run_all(struct sq_store *store, const char *const *sql, size_t count,
                   la_check_report *into, size_t *found)
{
	int rc = LA_OK;
	for (size_t i = 0; rc == LA_OK && i < count; i++)
		rc = run(store, sql[i], into, found);
	return rc;
}

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Run sql[0..count) only when the schema keeps holds and waiting lines. */
static int run_order_queries(struct sq_store *store, const char *const *sql, size_t count,
                             la_check_report *into)
{
	size_t present = 0;
	int rc = run(store, has_orders, NULL, &present);
	if (rc == LA_OK && present)
		rc = run_all(store, sql, count, into, NULL);
	return rc;
}

/* The read model's findings: missing, or rows that differ (*found counts them). */
static int check_view(struct sq_store *store, la_check_report *into, size_t *found)
{
	size_t missing = 0;
	int rc = run(store, view_missing, into, &missing);
	if (rc == LA_OK && !missing)
		rc = run_all(store, view_checks, COUNT(view_checks), into, found);
	*found += missing;
	return rc;
}

static int refuse_in_unit(const struct sq_store *store)
{
	return la_error_set(LA_EINVAL, "SQLite %s: check and repair run outside a unit of work",
	                    store->path);
}

int sq_check(la_check_report *into, void *state)
{
	struct sq_store *store = state;
	if (store->in_uow)
		return refuse_in_unit(store);
	int rc = sq_exec(store, "BEGIN", "checking the store");
	if (rc != LA_OK)
		return rc;
	size_t found = 0;
	rc = run_all(store, data_checks, COUNT(data_checks), into, NULL);
	if (rc == LA_OK)
		rc = run_order_queries(store, order_checks, COUNT(order_checks), into);
	if (rc == LA_OK)
		rc = check_view(store, into, &found);
	sqlite3_exec(store->db, rc == LA_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int repair_locked(struct sq_store *store, la_check_report *into)
{
	int rc = run_all(store, figure_repairs, COUNT(figure_repairs), into, NULL);
	if (rc == LA_OK)
		rc = run_order_queries(store, held_repairs, COUNT(held_repairs), into);
	if (rc == LA_OK)
		rc = run_all(store, version_repairs, COUNT(version_repairs), into, NULL);
	/* The view's differences are only counted: repair says what it did. */
	size_t found = 0;
	if (rc == LA_OK)
		rc = check_view(store, NULL, &found);
	if (rc == LA_OK && found) {
		rc = sq_exec(store, view_recreate, "recreating the read model");
		if (rc == LA_OK)
			rc = la_check_report_append(into, LA_CHECK_READ_MODEL_MISMATCH, NULL, NULL,
			                            NULL,
			                            "read model: allocations_view recreated (it "
			                            "was missing or differed in %zu rows)",
			                            found);
	}
	return rc;
}

int sq_repair(la_check_report *into, void *state)
{
	struct sq_store *store = state;
	if (store->in_uow)
		return refuse_in_unit(store);
	int rc = sq_exec(store, "BEGIN IMMEDIATE", "locking the database to repair it");
	if (rc != LA_OK)
		return rc;
	rc = repair_locked(store, into);
	if (rc == LA_OK)
		rc = sq_exec(store, "COMMIT", "committing the repair");
	if (rc != LA_OK)
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	sq_cache_free(store); /* the figures it remembered may be the ones repaired */
	return rc;
}
