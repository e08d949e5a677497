/*
 * Helpers for the PostgreSQL tests, on top of store_factory.h: every store
 * opened through test_store_open gets a fresh schema of its own on the
 * fixture's server (tests run in parallel), and a unique application_name so
 * a test can find its backend in pg_stat_activity.
 *
 * The server comes from the CTest fixture postgres_server: the file named by
 * LA_TEST_PG_CONNINFO_FILE holds its connection string (or set
 * LA_TEST_PG_CONNINFO to one directly). It must be in key=value form: the
 * factory appends application_name and options to it.
 */
#ifndef TEST_PG_TEST_H
#define TEST_PG_TEST_H

#include <libpq-fe.h>

#include "store_factory.h"

/* Like test_store_open, with la_pg_store_open flags (LA_STORE_OUTBOX). */
int test_pg_store_open(la_store **out, unsigned int flags);

/* Another store on the same schema, with its own connection and flags. */
int test_pg_store_reopen(la_store **out, la_store *store, unsigned int flags);

/* The connection string store was opened with (borrowed). */
const char *test_pg_conninfo(la_store *store);

/* The application_name of store's connection (borrowed). */
const char *test_pg_app_name(la_store *store);

/* A plain libpq connection to store's schema for checks (PQfinish it). */
PGconn *test_pg_connect(la_store *store);

/* Run SQL that returns one value; the value as a long long (-1 on error). */
long long test_pg_value(PGconn *conn, const char *sql);

/* Run SQL that returns no rows; 0 on success. */
int test_pg_exec(PGconn *conn, const char *sql);

/* The fixture's base connection string (borrowed), or NULL. */
const char *test_pg_base_conninfo(void);

/* ---- pg_helpers.c: short ways to drive a store (asserting) ---- */
#include <stdint.h>

/* A store on a fresh schema and a bus on it (opts may be NULL). */
void pgt_open(la_store **store, la_bus **bus, unsigned int flags, const la_bus_options *opts);
/* Another store on store's schema and a bus on it. */
void pgt_reopen(la_store **out, la_bus **bus, la_store *store, unsigned int flags,
                const la_bus_options *opts);
void pgt_close(la_store *store, la_bus *bus);

/* CreateBatch; asserts LA_OK. */
void pgt_create_batch(la_bus *bus, const char *ref, const char *sku, int64_t qty, const char *eta);
/* Allocate: the status; the batch in batchref ("" when out of stock) if not NULL. */
int pgt_allocate(la_bus *bus, const char *orderid, const char *sku, int64_t qty, char *batchref,
                 size_t size);
int pgt_deallocate(la_bus *bus, const char *orderid, const char *sku);
int pgt_change_quantity(la_bus *bus, const char *ref, int64_t qty);
int pgt_cancel_batch(la_bus *bus, const char *ref);

/* One integer from SQL on store's schema (-1 when no row / error). */
long long pgt_value(la_store *store, const char *sql);

/* Every batch's allocated and line_count equal its lines' sum and count, its
 * held its held lines' sum, no batch is over-allocated, every line's batch
 * exists with its sku, and
 * allocations_view has exactly the rows of allocations. Asserts. */
void pgt_check_invariants(la_store *store);

/* Wait until n backends with these application names wait on a lock. */
void pgt_wait_for_lock_waiters(PGconn *ctl, const char *app1, const char *app2, int n);

/* ---- pg_proxy.c: a TCP proxy to the fixture's server that, once armed,
 * lets the next COMMIT reach the server and be answered, then drops the
 * connection before the answer reaches the client ---- */
struct pg_proxy;
struct pg_proxy *pg_proxy_start(int upstream_port);
int pg_proxy_port(const struct pg_proxy *x);
void pg_proxy_arm(struct pg_proxy *x);
/* Connections dropped after a COMMIT, and client connections accepted. */
int pg_proxy_drops(struct pg_proxy *x);
int pg_proxy_connections(struct pg_proxy *x);
void pg_proxy_stop(struct pg_proxy *x);

#endif
