/*
 * Internal to liballocation-sqlite: the store's state and the helpers its
 * files share. Nothing here is exported (hidden visibility, no la_ prefix).
 */
#ifndef ALLOCATION_SQLITE_STORE_H
#define ALLOCATION_SQLITE_STORE_H

#include <stdint.h>
#include <sqlite3.h>

#include <allocation/sys/cache.h>
#include <allocation/sys/ports.h>

#include <allocation/sqlite.h>

#include "util/alloc.h"
#include "util/strmap.h"

/* Every statement the store runs, prepared once per connection on first use. */
enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_PRODUCT_GET,
	SQ_PRODUCT_VERSION,
	SQ_PRODUCT_OF_BATCH,
	SQ_PRODUCT_INSERT,
	SQ_PRODUCT_BUMP,
	SQ_BATCH_INSERT,
	SQ_BATCH_QUANTITY,
	SQ_BATCH_DELETE,
	SQ_BATCH_FIGURES,
	SQ_LINE_GET,
	SQ_LINES_OF_BATCH,
	SQ_LINE_INSERT,
	SQ_LINE_DELETE,
	SQ_LINE_CONFIRM,
	SQ_WAITING_OF_PRODUCT,
	SQ_WAITING_INSERT,
	SQ_WAITING_DELETE,
	SQ_LINES_OF_ORDER,
	SQ_EXPIRED_HOLDS,
	SQ_VIEW_ALLOCATIONS,
	SQ_VIEW_BATCHES,
	SQ_VIEW_BATCHES_OF_SKU,
	SQ_VIEW_BATCH,
	SQ_OUTBOX_INSERT,
	SQ_OUTBOX_PENDING,
	SQ_OUTBOX_MARK_SENT,
	SQ_OUTBOX_STATUS,
	SQ_PENDING_INSERT,
	SQ_PENDING_DELETE,
	SQ_PENDING_LIST,
	SQ_HISTORY_INSERT,
	SQ_HISTORY_INSERT_ROWS,
	SQ_LINE_INSERT_ROWS,
	SQ_VIEW_HISTORY,
	SQ_STMT_COUNT
};

/* One change of a unit of work: when it was made, whose (index in seen), which. */
struct sq_change_ref {
	uint64_t order;
	size_t product, index;
};

/* Rows per multi-row INSERT of the commit (insert_rows.c); statements.c
 * writes the statements' text for this many. */
#define SQ_ROWS 32

/* A row the commit inserts: change index of product, read into change. */
struct sq_row {
	const la_product *product;
	size_t index;
	la_change change;
};

/* Rows of one table waiting to be inserted, in the order queued. */
struct sq_row_queue {
	size_t count;
	struct sq_row rows[SQ_ROWS];
};

struct sq_store;

/* How rows of one table are inserted. */
struct sq_row_kind {
	enum sq_stmt many; /* SQ_ROWS rows */
	int columns;       /* parameters per row */
	/* bind row's values to parameters first, first + 1, ... */
	void (*bind)(sqlite3_stmt *stmt, int first, const struct sq_row *row);
	/* insert one row alone, with the messages of a failure */
	int (*insert_one)(struct sq_store *store, const struct sq_row *row);
	/* after a constraint failed for one of rows (transaction undone): set
	 * the error naming it, when it can tell; or NULL */
	void (*conflict)(struct sq_store *store, const struct sq_row *rows, size_t count);
	const char *what; /* for messages */
};

struct sq_store {
	sqlite3 *db;
	char *path; /* for messages */
	unsigned int flags;
	sqlite3_stmt *stmts[SQ_STMT_COUNT];

	/* unit of work */
	int in_uow;         /* between begin and end */
	int in_transaction; /* between BEGIN IMMEDIATE and COMMIT/ROLLBACK */
	la_product **seen;  /* identity map: every product handed out or added */
	size_t seen_count;
	size_t seen_cap;
	la__strmap seen_by_sku;        /* the same products, by sku */
	struct sq_change_ref *changes; /* commit: every change of seen, in the order made */
	size_t changes_cap;
	la__strmap lines_changed;           /* commit: batch ref → product, for their figures */
	struct sq_row_queue lines_queued;   /* commit: allocations not yet inserted */
	struct sq_row_queue history_queued; /* commit: order_history rows not yet inserted */

	/* committed product rows, checked by version (product_cache.c) */
	la_product_cache *cache;

	/* background WAL checkpoints (checkpoint.c), or NULL */
	struct sq_checkpointer *checkpointer;

	/* outbox message ids: per-connection random prefix + counter */
	uint64_t id_prefix;
	uint64_t id_counter;
	/* "<database>-relay", flock'ed by the relay (outbox.c); -1 until used */
	int relay_lock_fd;
};

/* ---- store.c ---- */
/* The adapter's state for url (what la_sqlite_store_open wraps; tests drive
 * it directly through the port functions below). */
int sq_store_open_with(struct sq_store **out, const char *url, const la_sqlite_options *opts);
int sq_store_open(struct sq_store **out, const char *url, unsigned int flags);
void sq_store_close(void *state);
const la_store_port *sq_store_port(unsigned int flags);

/* ---- checkpoint.c ---- */
/* Checkpoint the WAL in a thread with its own connection, never in a commit. */
int sq_checkpointer_start(struct sq_store *store);
void sq_checkpointer_stop(struct sq_store *store);
/* How many checkpoints the thread has run (tests). */
unsigned long long sq_checkpointer_runs(const struct sq_store *store);

/* ---- url.c ---- */
struct sq_url {
	char *path;     /* file name, or ":memory:" */
	int memory;     /* in-memory database */
	int durability; /* a la_sqlite_durability: DEFAULT when the URL says nothing */
};
int sq_url_parse(struct sq_url *out, const char *url);
void sq_url_clear(struct sq_url *url);

/* ---- statements.c ---- */
/* The prepared statement, reset and unbound; NULL after setting the error. */
sqlite3_stmt *sq_stmt(struct sq_store *store, enum sq_stmt which);
/* Reset a statement after use so it holds no read lock. */
void sq_done(sqlite3_stmt *stmt);
/* Map a SQLite result code to an LA_E* code and set the error message. */
int sq_fail(struct sq_store *store, int rc, const char *what);
/* Run one cached statement that returns no rows. */
int sq_exec_cached(struct sq_store *store, enum sq_stmt which, const char *what);
/* Run SQL text once (schema, pragmas). */
int sq_exec(struct sq_store *store, const char *sql, const char *what);
void sq_finalize_all(struct sq_store *store);
/* Bind a string, or NULL. */
int sq_bind_text(sqlite3_stmt *stmt, int index, const char *text);

/* ---- insert_rows.c ---- */
/* Queue a row; a full queue is inserted at once. The row's strings must
 * live until it is inserted (the commit's products hold them). */
int sq_rows_add(struct sq_store *store, struct sq_row_queue *queue, const struct sq_row_kind *kind,
                const la_product *product, size_t index, const la_change *change);
/* Insert the rows still queued (and empty the queue, even on failure). */
int sq_rows_flush(struct sq_store *store, struct sq_row_queue *queue,
                  const struct sq_row_kind *kind);

/* ---- schema.c ---- */
/* The read model as the latest schema version defines it (repair recreates
 * it); keep it equal to the last migration that creates allocations_view. */
#define SQ_ALLOCATIONS_VIEW                                                                        \
	"CREATE VIEW allocations_view AS"                                                          \
	" SELECT rowid AS position, orderid, sku, batchref, qty, expires FROM allocations;"
/* Check the file's schema, create or migrate it; set the pragmas. */
int sq_schema_prepare(struct sq_store *store, int durability_full, int memory);

/* ---- repository.c ---- */
int sq_repo_add(la_product *product, void *state);
int sq_repo_get(la_product **out, const char *sku, void *state);
int sq_repo_get_by_batchref(la_product **out, const char *ref, void *state);
int sq_repo_load_line(la_product *product, const char *orderid, void *state);
int sq_repo_load_batch_lines(la_product *product, const char *ref, void *state);
/* Holds and backorders (store port version 4). */
int sq_repo_lines_of_order(la_order_line_list *into, const char *orderid, void *state);
int sq_repo_expired_holds(la_order_line_list *into, int64_t now, size_t max, void *state);
/* Forget (and free) every product of the unit of work. */
void sq_repo_clear(struct sq_store *store);

/* ---- product_cache.c ---- */
int sq_cache_has(struct sq_store *store, const char *sku);
/* A new product from the cached rows if they are at version; else LA_ENOTFOUND. */
int sq_cache_build(la_product **out, struct sq_store *store, const char *sku, int64_t version);
/* Remember product as stored (just loaded, or just committed). */
void sq_cache_store(struct sq_store *store, const la_product *product);
void sq_cache_free(struct sq_store *store);

/* ---- unit_of_work.c ---- */
int sq_uow_begin(void *state);
int sq_uow_commit(void *state);
void sq_uow_rollback(void *state);
void sq_uow_end(void *state);

/* ---- outbox.c ---- */
/* Store the Allocated events of product (inside the commit's transaction). */
int sq_outbox_write(struct sq_store *store, const la_product *product);
int sq_outbox_relay(size_t *out_sent, size_t max, la_publish_fn publish, void *payload,
                    void *state);
/* Seed the message-id prefix of this connection. */
int sq_outbox_status(size_t *out_pending, double *out_oldest_age_seconds, void *state);
void sq_outbox_init_ids(struct sq_store *store);
/* Close the relay's lock file, if it was opened. */
void sq_outbox_close(struct sq_store *store);

/* ---- reallocations.c: pending reallocations (docs/reliability.md) ---- */
/* Write a REALLOCATION_PENDING or _DONE change of sku's product. */
int sq_reallocation_write(struct sq_store *store, const char *sku, const la_change *change);
int sq_pending_reallocations(la_order_line_list *into, size_t max, void *state);

/* ---- check.c ---- */
int sq_check(la_check_report *into, void *state);
int sq_repair(la_check_report *into, void *state);

/* ---- views.c ---- */
int sq_view_allocations(la_allocation_list *into, const char *orderid, void *state);
int sq_view_batches(la_batch_page *into, const char *sku, size_t limit, const char *after,
                    void *state);
int sq_view_batch(la_batch_page *into, const char *ref, void *state);

/* ---- history.c ---- */
/* Queue the order-history entry change index of product makes, if any
 * (inside the commit's transaction; inserted by sq_history_flush at the
 * latest). */
int sq_history_queue(struct sq_store *store, const la_product *product, size_t index,
                     const la_change *change);
/* Insert the entries sq_history_queue queued. */
int sq_history_flush(struct sq_store *store);
int sq_view_history(la_history_list *into, const char *orderid, void *state);

#endif
