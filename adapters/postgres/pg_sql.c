/*
 * Every statement the store runs, prepared once per connection. Parameters
 * travel as text; casts say the types so no plan depends on guessing.
 */
#include "pg_store.h"

/* The columns of a product load: the product row and each of its batches
 * (LEFT JOIN: a product may have none), in allocation-preference order. */
#define PRODUCT_COLUMNS                                                                            \
	"SELECT p.version_number, b.ref, b.purchased, to_char(b.eta, 'YYYY-MM-DD'),"               \
	" b.allocated, b.line_count, b.sequence, p.sku, b.held"

/* A dashboard row: the batch's figures and its sku's waiting quantity. */
#define BATCH_COLUMNS                                                                              \
	"SELECT ref, sku, to_char(eta, 'YYYY-MM-DD'), purchased, allocated, line_count, sequence," \
	" held, (SELECT COALESCE(sum(w.qty), 0) FROM waiting w WHERE w.sku = b.sku)"               \
	" FROM batches b"

#define BATCH_ORDER " ORDER BY b.sku, eta_key, sequence LIMIT $1::bigint"

const struct pg_statement pg_statements[PG_STMT_COUNT] = {
    [PG_PRODUCT_GET] = {"la_product_get",
                        PRODUCT_COLUMNS " FROM products p LEFT JOIN batches b ON b.sku = p.sku"
                                        " WHERE p.sku = $1::text ORDER BY b.eta_key, b.sequence",
                        1},
    /* With a remembered version $2: the batch rows only when it moved (else
     * one row, the version, with NULL batch columns). */
    [PG_PRODUCT_GET_IF_CHANGED] = {"la_product_get_if_changed",
                                   PRODUCT_COLUMNS
                                   " FROM products p LEFT JOIN batches b"
                                   " ON b.sku = p.sku AND p.version_number <> $2::bigint"
                                   " WHERE p.sku = $1::text ORDER BY b.eta_key, b.sequence",
                                   2},
    [PG_PRODUCT_OF_BATCH] = {"la_product_of_batch",
                             PRODUCT_COLUMNS
                             " FROM batches x JOIN products p ON p.sku = x.sku"
                             " LEFT JOIN batches b ON b.sku = p.sku"
                             " WHERE x.ref = $1::text ORDER BY b.eta_key, b.sequence",
                             1},
    /* The waiting lines of a product, queued with each of the three loads
     * above in the same round trip (and snapshot), under the same condition. */
    [PG_WAITING_GET] = {"la_waiting_get",
                        "SELECT orderid, qty, sequence FROM waiting WHERE sku = $1::text", 1},
    [PG_WAITING_GET_IF_CHANGED] = {"la_waiting_get_if_changed",
                                   "SELECT w.orderid, w.qty, w.sequence, w.sku FROM waiting w"
                                   " JOIN products p ON p.sku = w.sku"
                                   " WHERE w.sku = $1::text AND p.version_number <> $2::bigint",
                                   2},
    [PG_WAITING_OF_BATCH] = {"la_waiting_of_batch",
                             "SELECT w.orderid, w.qty, w.sequence FROM batches x"
                             " JOIN waiting w ON w.sku = x.sku WHERE x.ref = $1::text",
                             1},
    [PG_PRODUCT_INSERT] = {"la_product_insert",
                           "INSERT INTO products (sku, version_number)"
                           " VALUES ($1::text, $2::bigint)",
                           2},
    /* The optimistic check of every product a commit changed, in one
     * statement: raises 40001 at the first row not at its version in $2. */
    [PG_PRODUCT_SAVE_VERSION] = {"la_product_save_versions",
                                 "SELECT allocation_save_versions($1::text[], $2::bigint[],"
                                 " $3::bigint[])",
                                 3},
    [PG_BATCH_INSERT] = {"la_batch_insert",
                         "INSERT INTO batches (ref, sku, purchased, eta, eta_key, sequence)"
                         " VALUES ($1::text, $2::text, $3::bigint, $4::date, $5::integer,"
                         " $6::bigint)",
                         6},
    [PG_BATCH_QUANTITY] = {"la_batch_quantity",
                           "UPDATE batches SET purchased = $2::bigint WHERE ref = $1::text", 2},
    [PG_BATCH_DELETE] = {"la_batch_delete", "DELETE FROM batches WHERE ref = $1::text", 1},
    [PG_LINE_GET] = {"la_line_get",
                     "SELECT batchref, qty, sequence, expires FROM allocations"
                     " WHERE orderid = $1::text AND sku = $2::text",
                     2},
    /* The orders a batch of commands names: one query for all of them. */
    [PG_LINES_OF_ORDERS] = {"la_lines_of_orders",
                            "SELECT batchref, orderid, sku, qty, sequence, expires"
                            " FROM allocations WHERE sku = $1::text AND orderid = ANY ($2::text[])",
                            2},
    [PG_LINES_OF_BATCH] = {"la_lines_of_batch",
                           "SELECT orderid, qty, sequence, expires FROM allocations"
                           " WHERE batchref = $1::text ORDER BY sequence",
                           1},
    /* A run of allocated lines, in the order given (positions follow it). */
    [PG_LINE_ALLOCATE] = {"la_line_allocate",
                          "INSERT INTO allocations (orderid, sku, batchref, qty, sequence,"
                          " expires) SELECT o, s, b, q, v, x FROM unnest($1::text[], $2::text[],"
                          " $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])"
                          " WITH ORDINALITY AS u(o, s, b, q, v, x, n) ORDER BY n",
                          6},
    [PG_LINE_DEALLOCATE] = {"la_line_deallocate",
                            "DELETE FROM allocations WHERE orderid = $1::text AND sku = $2::text",
                            2},
    [PG_LINE_CONFIRM] = {"la_line_confirm",
                         "UPDATE allocations SET expires = 0"
                         " WHERE orderid = $1::text AND sku = $2::text",
                         2},
    [PG_WAITING_INSERT] = {"la_waiting_insert",
                           "INSERT INTO waiting (sku, orderid, qty, sequence)"
                           " VALUES ($1::text, $2::text, $3::bigint, $4::bigint)",
                           4},
    [PG_WAITING_DELETE] = {"la_waiting_delete",
                           "DELETE FROM waiting WHERE sku = $1::text AND orderid = $2::text", 2},
    [PG_LINES_OF_ORDER] = {"la_lines_of_order",
                           "SELECT sku FROM allocations WHERE orderid = $1::text"
                           " UNION SELECT sku FROM waiting WHERE orderid = $1::text",
                           1},
    /* Earliest first, from the partial index on held lines only. */
    [PG_EXPIRED_HOLDS] = {"la_expired_holds",
                          "SELECT orderid, sku FROM allocations"
                          " WHERE expires > 0 AND expires <= $1::bigint"
                          " ORDER BY expires LIMIT $2::bigint",
                          2},
    /* The batches' figures follow their lines: set once per commit, from
     * the products (exact: the version check proves nobody changed them). */
    [PG_BATCH_FIGURES] = {"la_batch_figures",
                          "SELECT allocation_set_figures($1::text[], $2::bigint[],"
                          " $3::bigint[], $4::bigint[])",
                          4},
    [PG_VIEW_ALLOCATIONS] = {"la_view_allocations",
                             "SELECT sku, batchref, expires, 0 AS part, position"
                             " FROM allocations_view WHERE orderid = $1::text"
                             " UNION ALL SELECT sku, NULL, 0, 1, sequence FROM waiting"
                             " WHERE orderid = $1::text ORDER BY part, 5",
                             1},
    [PG_VIEW_BATCHES] = {"la_view_batches", BATCH_COLUMNS BATCH_ORDER, 1},
    [PG_VIEW_BATCHES_AFTER] = {"la_view_batches_after",
                               BATCH_COLUMNS " WHERE (b.sku, eta_key, sequence) >"
                                             " ($2::text, $3::integer, $4::bigint)" BATCH_ORDER,
                               4},
    [PG_VIEW_BATCHES_OF_SKU] = {"la_view_batches_of_sku",
                                BATCH_COLUMNS " WHERE b.sku = $2::text" BATCH_ORDER, 2},
    [PG_VIEW_BATCHES_OF_SKU_AFTER] = {"la_view_batches_of_sku_after",
                                      BATCH_COLUMNS
                                      " WHERE b.sku = $2::text AND (b.sku, eta_key, sequence) >"
                                      " ($3::text, $4::integer, $5::bigint)" BATCH_ORDER,
                                      5},
    [PG_VIEW_BATCH] = {"la_view_batch", BATCH_COLUMNS " WHERE ref = $1::text", 1},
    /* A commit's outbox rows, in the order given (ids follow it). */
    [PG_OUTBOX_INSERT] = {"la_outbox_insert",
                          "INSERT INTO outbox (channel, payload) SELECT c, p"
                          " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(c, p, n)"
                          " ORDER BY n",
                          2},
    /* One relay per schema at a time (transaction-scoped advisory lock), so
     * messages go out in id order; a relay that finds it taken gets nothing. */
    [PG_OUTBOX_PENDING] = {"la_outbox_pending",
                           "WITH relay AS MATERIALIZED (SELECT pg_try_advisory_xact_lock("
                           "19521, hashtext('outbox:' || current_schema())) AS mine)"
                           " SELECT o.id, o.channel, o.payload FROM relay, outbox o"
                           " WHERE relay.mine AND o.sent IS NULL ORDER BY o.id LIMIT $1::bigint",
                           1},
    [PG_OUTBOX_MARK_SENT] = {"la_outbox_mark_sent",
                             "UPDATE outbox SET sent = now() WHERE id = ANY ($1::bigint[])", 1},
    /* The server's clock on both sides: the age does not depend on ours. */
    [PG_OUTBOX_STATUS] = {"la_outbox_status",
                          "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created)), 0)"
                          " FROM outbox WHERE sent IS NULL",
                          0},
    /* A line left pending again (a later cancellation) keeps its place. */
    [PG_PENDING_INSERT] = {"la_pending_insert",
                           "INSERT INTO pending_reallocations (orderid, sku, qty)"
                           " VALUES ($1::text, $2::text, $3::bigint)"
                           " ON CONFLICT (orderid, sku) DO UPDATE SET qty = EXCLUDED.qty",
                           3},
    [PG_PENDING_DELETE] = {"la_pending_delete",
                           "DELETE FROM pending_reallocations"
                           " WHERE orderid = $1::text AND sku = $2::text",
                           2},
    [PG_PENDING_LIST] = {"la_pending_list",
                         "SELECT orderid, sku, qty FROM pending_reallocations"
                         " ORDER BY id LIMIT $1::bigint",
                         1},
    /* A commit's history rows, in the order given (positions follow it). */
    [PG_HISTORY_INSERT] = {"la_history_insert",
                           "INSERT INTO order_history (orderid, at, event, sku, qty, batchref,"
                           " reason, expires) SELECT o, to_timestamp(a), e, s, q, b, r,"
                           " to_timestamp(x) FROM unnest($1::text[], $2::bigint[],"
                           " $3::integer[], $4::text[], $5::bigint[], $6::text[], $7::integer[],"
                           " $8::bigint[]) WITH ORDINALITY AS u(o, a, e, s, q, b, r, x, n)"
                           " ORDER BY n",
                           8},
    [PG_VIEW_HISTORY] = {"la_view_history",
                         "SELECT extract(epoch FROM at)::bigint, event, sku, qty, batchref,"
                         " reason, extract(epoch FROM expires)::bigint"
                         " FROM order_history WHERE orderid = $1::text ORDER BY position",
                         1},
    /* A unit of work's first product, locked before its snapshot is taken
     * (pg_repository.c): a session lock, per schema and sku. */
    [PG_PRODUCT_LOCK] = {"la_product_lock",
                         "SELECT pg_advisory_lock(19522,"
                         " hashtext(current_schema() || ':' || $1::text))",
                         1},
    [PG_PRODUCT_UNLOCK] = {"la_product_unlock", "SELECT pg_advisory_unlock_all()", 0},
    /* The prefetch of a batch of commands (pg_prefetch.c): the products of
     * skus $1 (distinct), each with the version remembered of it in $2 (-1:
     * none), as PG_PRODUCT_GET_IF_CHANGED does for one; rows in the order
     * of $1. Each read is a key lookup in a fenced subquery: a join planned
     * while the tables were small would scan them whole, and these rows are
     * updated by every commit (a scan wades through their dead versions). */
    [PG_PRODUCTS_GET_MANY] = {"la_products_get_many",
                              PRODUCT_COLUMNS
                              " FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY"
                              " AS k(sku, cached, n),"
                              " LATERAL (SELECT * FROM products x WHERE x.sku = k.sku"
                              " OFFSET 0) AS p"
                              " LEFT JOIN LATERAL (SELECT * FROM batches y WHERE y.sku = p.sku"
                              " AND p.version_number <> k.cached OFFSET 0) AS b ON true"
                              " ORDER BY k.n, b.eta_key, b.sequence",
                              2},
    [PG_WAITING_GET_MANY] = {"la_waiting_get_many",
                             "SELECT w.orderid, w.qty, w.sequence, w.sku"
                             " FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY"
                             " AS k(sku, cached, n),"
                             " LATERAL (SELECT version_number FROM products x"
                             " WHERE x.sku = k.sku OFFSET 0) AS p,"
                             " LATERAL (SELECT * FROM waiting y WHERE y.sku = k.sku"
                             " AND p.version_number <> k.cached OFFSET 0) AS w"
                             " ORDER BY k.n",
                             2},
    /* The stored lines among the (orderid $1[i], sku $2[i]) pairs: a key
     * lookup per pair (the fenced subquery keeps the nested loop: planned
     * while the table was small, a join would scan it whole for ever). */
    [PG_LINES_OF_PAIRS] = {"la_lines_of_pairs",
                           "SELECT a.batchref, a.orderid, a.sku, a.qty, a.sequence, a.expires"
                           " FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[])) AS"
                           " k(orderid, sku), LATERAL (SELECT * FROM allocations x"
                           " WHERE x.orderid = k.orderid AND x.sku = k.sku OFFSET 0) AS a",
                           2},
};
