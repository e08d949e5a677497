/*
 * Internal to liballocation-pg: the store's state and the helpers its files
 * share. Nothing here is exported (hidden visibility, no la_ prefix).
 *
 * The connection stays in libpq pipeline mode for its whole life: statements
 * are queued (pg_queue*) and one pg_round_trip sends them with a sync point
 * and reads their results, so several statements cost one round trip.
 */
#ifndef ALLOCATION_PG_STORE_H
#define ALLOCATION_PG_STORE_H

#include <stdint.h>
#include <libpq-fe.h>

#include <allocation/sys/cache.h>
#include <allocation/sys/ports.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/strmap.h"
#include "util/redact.h"

/* Every statement the store runs; prepared once per connection (pg_sql.c). */
enum pg_stmt {
	PG_PRODUCT_GET,
	PG_PRODUCT_GET_IF_CHANGED,
	PG_PRODUCT_OF_BATCH,
	PG_WAITING_GET,
	PG_WAITING_GET_IF_CHANGED,
	PG_WAITING_OF_BATCH,
	PG_PRODUCT_INSERT,
	PG_PRODUCT_SAVE_VERSION,
	PG_BATCH_INSERT,
	PG_BATCH_QUANTITY,
	PG_BATCH_DELETE,
	PG_LINE_GET,
	PG_LINES_OF_BATCH,
	PG_LINES_OF_ORDERS,
	PG_LINE_ALLOCATE,
	PG_LINE_DEALLOCATE,
	PG_LINE_CONFIRM,
	PG_WAITING_INSERT,
	PG_WAITING_DELETE,
	PG_LINES_OF_ORDER,
	PG_EXPIRED_HOLDS,
	PG_BATCH_FIGURES,
	PG_VIEW_ALLOCATIONS,
	PG_VIEW_BATCHES,
	PG_VIEW_BATCHES_AFTER,
	PG_VIEW_BATCHES_OF_SKU,
	PG_VIEW_BATCHES_OF_SKU_AFTER,
	PG_VIEW_BATCH,
	PG_OUTBOX_INSERT,
	PG_OUTBOX_PENDING,
	PG_OUTBOX_MARK_SENT,
	PG_OUTBOX_STATUS,
	PG_PENDING_INSERT,
	PG_PENDING_DELETE,
	PG_PENDING_LIST,
	PG_HISTORY_INSERT,
	PG_VIEW_HISTORY,
	PG_PRODUCT_LOCK,
	PG_PRODUCT_UNLOCK,
	PG_PRODUCTS_GET_MANY,
	PG_WAITING_GET_MANY,
	PG_LINES_OF_PAIRS,
	PG_STMT_COUNT
};

struct pg_statement {
	const char *name;
	const char *sql;
	int nparams;
};

/* pg_sql.c */
extern const struct pg_statement pg_statements[PG_STMT_COUNT];

/* Products remembered per connection (pg_cache.c). */
#define PG_CACHE_SIZE 256

struct pg_store {
	PGconn *conn;
	char *conninfo;
	unsigned int flags;
	int broken;      /* the connection failed: reconnect before the next use */
	int queued;      /* statements queued since the last sync */
	int deferred;    /* syncs sent whose results are read at the next round trip */
	int failed_at;   /* last round trip: the first statement the server itself
	                    answered with an error (it has a SQLSTATE), or -1 */
	int result_lost; /* the last round trip lost a result to libpq's lack of memory
	                  * (no server error before it): what ran after it is unknown */

	/* unit of work */
	int in_unit;       /* between begin and end */
	int begun;         /* BEGIN queued or sent: a transaction is open */
	int locked;        /* the first product's advisory lock was asked for */
	la_product **seen; /* identity map: every product handed out or added */
	size_t seen_count;
	size_t seen_cap;
	size_t *positions; /* commit: la_products_next_change over seen */
	size_t positions_cap;
	la__strmap lines_changed; /* commit: batch ref → product, for their figures */

	/* committed product rows, checked by version (pg_cache.c) */
	la_product_cache *cache; /* made on first use */

	/* outbox message ids: per-connection random prefix + counter */
	uint64_t id_prefix;
	uint64_t id_counter;
};

/* ---- pg_conn.c ---- */
/* Connect (again), enter pipeline mode, prepare every statement. */
int pg_connect(struct pg_store *store);
/* Reconnect when the connection was lost; LA_OK when usable. */
int pg_ensure_connected(struct pg_store *store);
/* Queue a prepared statement with text parameters (NULL = SQL NULL). */
int pg_queue(struct pg_store *store, enum pg_stmt which, int nparams, const char *const *values);
/* Queue SQL text without parameters (BEGIN, COMMIT, ROLLBACK, DDL). */
int pg_queue_sql(struct pg_store *store, const char *sql);
/*
 * Send a sync point and read the results of the statements queued since the
 * last one. results[i] (i < nkeep) receives the i-th statement's result (the
 * caller PQclears it, NULL where none); others are discarded. Returns LA_OK,
 * or the mapped error of the first failing statement (the message set;
 * what names the operation). store->failed_at says which statement the
 * server refused, if it said so before the connection was lost.
 */
int pg_round_trip(struct pg_store *store, PGresult **results, int nkeep, const char *what);
/* Send a sync point now and read its results at the next round trip. */
int pg_send_deferred(struct pg_store *store);
/* Queue BEGIN ISOLATION LEVEL REPEATABLE READ if the unit of work has not yet. */
int pg_begin_if_needed(struct pg_store *store);
/* Free the results of a round trip. */
void pg_clear_results(PGresult **results, int n);
/* Parse an integer column (0 for NULL). */
int64_t pg_int(const PGresult *res, int row, int col);
/* A text column, NULL for SQL NULL. */
const char *pg_text(const PGresult *res, int row, int col);
/* Format v into buf (at least 24 bytes) and return buf. */
const char *pg_fmt_int(char *buf, int64_t v);

/* ---- pg_array.c: array parameters ---- */
struct pg_array {
	la__buf text; /* "{a,b" so far */
	size_t count; /* elements */
};
#define PG_ARRAY_INIT                                                                              \
	{                                                                                          \
		LA__BUF_INIT, 0                                                                    \
	}
/* Append an element: text (NULL: SQL NULL), an integer, an integer or NULL
 * for 0. */
void pg_array_text(struct pg_array *a, const char *value);
void pg_array_int(struct pg_array *a, int64_t value);
void pg_array_int_or_null(struct pg_array *a, int64_t value);
/* The literal ("{...}"; la__free it; NULL when out of memory); a is empty
 * again. */
char *pg_array_take(struct pg_array *a);
void pg_array_dispose(struct pg_array *a);
/* Queue statement which with columns[i] as parameter $i+1 (nothing when
 * they hold no element); they are empty again afterwards, whatever it
 * returns. At most PG_ARRAY_COLUMNS_MAX columns. */
#define PG_ARRAY_COLUMNS_MAX 8
int pg_queue_arrays(struct pg_store *store, enum pg_stmt which, struct pg_array *const *columns,
                    int ncolumns);
/* The literal of a whole text[] or bigint[] value. */
char *pg_text_array(const char *const *items, size_t count);
char *pg_int_array(const int64_t *items, size_t count);

/* ---- pg_schema.c ---- */
/* The read model as the latest schema version defines it (repair recreates
 * it); keep it equal to the last migration that creates allocations_view. */
#define PG_ALLOCATIONS_VIEW                                                                        \
	"CREATE VIEW allocations_view AS"                                                          \
	" SELECT position, orderid, sku, batchref, qty, expires FROM allocations"
#define PG_SCHEMA_VERSION 5
/* Create or migrate the schema under an advisory lock (before pipeline mode). */
int pg_schema_migrate(struct pg_store *store);

/* ---- pg_repository.c ---- */
int pg_repo_add(la_product *product, void *state);
int pg_repo_get(la_product **out, const char *sku, void *state);
int pg_repo_get_by_batchref(la_product **out, const char *ref, void *state);
int pg_repo_load_line(la_product *product, const char *orderid, void *state);
int pg_repo_load_lines(la_product *product, const char *const *orderids, size_t count, void *state);
int pg_repo_load_batch_lines(la_product *product, const char *ref, void *state);
void pg_repo_forget_all(struct pg_store *store);
/* The product handed out in this unit of work for sku, or NULL. */
la_product *pg_repo_seen(struct pg_store *store, const char *sku);
/* Hand product out in this unit of work (the identity map owns it). */
int pg_repo_remember(struct pg_store *store, la_product *product);
/* A product from rows [from, to) of a product load (PG_PRODUCT_GET's
 * columns: all of one sku) and rows [waiting_from, waiting_to) of its
 * waiting lines. */
int pg_repo_build(la_product **out, const PGresult *res, int from, int to, const PGresult *waiting,
                  int waiting_from, int waiting_to);
/* LA_EDB "stored data is inconsistent" for what the domain refused to load
 * (LA_EINVAL, LA_ECONFLICT); other codes unchanged. */
int pg_inconsistent(int rc);
/* The first product's advisory lock, asked for before BEGIN (once per unit). */
int pg_repo_lock_first(struct pg_store *store, const char *sku);
/* pg_prefetch.c (store port version 5) */
int pg_repo_prefetch(const char *const *skus, const char *const *orderids, size_t count,
                     void *state);
/* Holds and backorders (store port version 4). */
int pg_repo_lines_of_order(la_order_line_list *into, const char *orderid, void *state);
int pg_repo_expired_holds(la_order_line_list *into, int64_t now, size_t max, void *state);

/* ---- pg_unit.c ---- */
int pg_unit_begin(void *state);
int pg_unit_commit(void *state);
void pg_unit_rollback(void *state);
void pg_unit_end(void *state);

/* ---- pg_cache.c ---- */
/* Non-zero, and *out set, when sku's rows are remembered. */
int pg_cache_version(int64_t *out, struct pg_store *store, const char *sku);
/* The sku whose remembered rows hold batch ref, or NULL (borrowed). */
const char *pg_cache_sku_of_batch(struct pg_store *store, const char *ref);
/* A new product from sku's remembered rows. */
int pg_cache_build(la_product **out, struct pg_store *store, const char *sku);
/* Remember product's rows if it is exactly as stored at its version. */
void pg_cache_put(struct pg_store *store, const la_product *product);
void pg_cache_drop(struct pg_store *store, const char *sku);
void pg_cache_clear(struct pg_store *store);

/* ---- pg_views.c ---- */
int pg_view_allocations(la_allocation_list *into, const char *orderid, void *state);
int pg_view_batch(la_batch_page *into, const char *ref, void *state);
int pg_view_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                    void *state);
int pg_view_history(la_history_list *into, const char *orderid, void *state);

/* ---- pg_history.c ---- */
/* Order-history rows gathered over a commit, a column each. */
struct pg_history_rows {
	struct pg_array orderid, at, event, sku, qty, batchref, reason, expires;
};
/* Add the row change index of product makes, if any. */
void pg_history_add(struct pg_history_rows *rows, const la_product *product, size_t index,
                    const la_change *change);
/* Queue the insert of every row added (none: nothing); rows is empty again. */
int pg_history_queue(struct pg_store *store, struct pg_history_rows *rows);

/* ---- pg_reallocations.c: pending reallocations (docs/reliability.md) ---- */
/* Queue the write of a REALLOCATION_PENDING or _DONE change of sku's product. */
int pg_reallocation_queue(struct pg_store *store, const char *sku, const la_change *change);
int pg_pending_reallocations(la_order_line_list *into, size_t max, void *state);

/* ---- pg_check.c ---- */
int pg_check(la_check_report *into, void *state);
int pg_repair(la_check_report *into, void *state);

/* ---- pg_outbox.c ---- */
/* Queue the outbox rows of the Allocated events of count products (one
 * statement; none: nothing), in their order. */
int pg_outbox_queue(struct pg_store *store, const la_product *const *changed, size_t count);
int pg_outbox_status(size_t *out_pending, double *out_oldest_age_seconds, void *state);
int pg_outbox_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload,
                    void *state);

#endif
