/*
 * Opening a store from a database URL (spec §7), shared by the example
 * programs (the `allocation` CLI and the HTTP server).
 */
#ifndef LA_EXAMPLE_STORE_URL_H
#define LA_EXAMPLE_STORE_URL_H

#include <allocation/store.h>

/*
 * Open the store that url names:
 *   "postgresql://...", "postgres://..." or a libpq conninfo ("host=... dbname=...")
 *                       → PostgreSQL (when this build has liballocation-pg)
 *   "memory:"           → a new, empty in-memory store
 *   "csv:FOLDER"        → the CSV folder store (when built)
 *   "sqlite:PATH", "sqlite::memory:" or a bare PATH → SQLite
 * flags: LA_STORE_OUTBOX (ignored by stores without an outbox: memory, csv).
 * *out owned by the caller (la_store_free). On failure the code is returned
 * and la_error_last() says why (LA_EUNSUPPORTED for an adapter this build
 * lacks, LA_EINVAL for an unknown "scheme://").
 */
int la_example_open_store(la_store **out, const char *url, unsigned int flags);

/* A flag of la_example_open_store, beside LA_STORE_OUTBOX: the store is a
 * long-lived writer (the server's), so SQLite checkpoints its WAL in a
 * thread of its own rather than inside a commit. */
#define LA_EXAMPLE_WRITER 0x100u

#endif
