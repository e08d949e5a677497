/**
 * @file allocation/postgres.h
 * @brief liballocation-pg: the PostgreSQL store (library liballocation-pg.so.1,
 * pkg-config allocation-pg, CMake target allocation::postgres).
 *
 * Several processes on several hosts may share one database: every unit of
 * work runs at REPEATABLE READ and commits with an optimistic check on the
 * product's version_number, so a concurrent change to the same product makes
 * one of the two commits fail with LA_ECONFLICT, which the bus retries
 * (la_bus_options.max_retries, with jitter). Nothing is ever oversold.
 *
 * The adapter creates and migrates its schema itself when the store is
 * opened (under an advisory lock, so any number of processes may start at
 * once); the version is kept in the table schema_version. Tables go into the
 * first schema of the connection's search_path. See docs/postgres.md.
 */
#ifndef ALLOCATION_POSTGRES_H
#define ALLOCATION_POSTGRES_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/**
 * Open a store on a PostgreSQL database.
 *
 * @param[out] out the store, owned by the caller (la_store_free()).
 * @param conninfo a libpq connection string or URL (see below), or NULL.
 * @param flags 0 or #LA_STORE_OUTBOX.
 * @return #LA_OK, #LA_EINVAL, #LA_EDB, #LA_EUNSUPPORTED or #LA_ENOMEM (see
 *         below).
 *
 * conninfo: any libpq connection string, key=value ("host=/tmp port=5432
 * dbname=shop") or URL ("postgresql://user:pass@host:5432/shop"); NULL or ""
 * uses libpq's defaults (PGHOST, PGDATABASE, ...). The client encoding is
 * always UTF-8.
 * flags: 0 or LA_STORE_OUTBOX (Allocated events are written to the outbox
 * table in the committing transaction; publish them with
 * la_store_relay_outbox).
 *
 * On success *out is a new store owned by the caller (la_store_free), with
 * its own connection. Errors: LA_EINVAL (bad flags, a malformed connection
 * string), LA_EDB (cannot connect, or the schema cannot be created;
 * la_error_last() carries the server's message), LA_EUNSUPPORTED (the schema
 * is newer than this library), LA_ENOMEM.
 *
 * Errors of units of work: LA_ECONFLICT for a concurrent change (version
 * check, serialization failure 40001, deadlock 40P01, a product or batch
 * created concurrently); LA_EDB for anything else the server reports. When
 * the connection is lost the current unit of work fails with LA_EDB and the
 * next one reconnects.
 *
 * Threads: one thread at a time per store (it owns one connection); open
 * one store per thread for parallelism.
 */
LA_EXTERN(int) la_pg_store_open(la_store **out, const char *conninfo, unsigned int flags);

/**
 * Options of la_pg_store_open_ext. Members are only ever added at the end;
 * fill with #LA_PG_OPTIONS_INIT or la_pg_options_init().
 */
typedef struct la_pg_options {
	unsigned int version; /**< #LA_PG_OPTIONS_VERSION */
	unsigned int flags;   /**< 0 or #LA_STORE_OUTBOX */
} la_pg_options;

/** The version of la_pg_options these headers describe. */
#define LA_PG_OPTIONS_VERSION 1
/** Initialiser of la_pg_options with the defaults. */
#define LA_PG_OPTIONS_INIT                                                                         \
	{                                                                                          \
		LA_PG_OPTIONS_VERSION, 0                                                           \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @param[out] opts the caller's struct.
 * @param version #LA_PG_OPTIONS_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL opts or an unknown version.
 */
LA_EXTERN(int) la_pg_options_init(la_pg_options *opts, unsigned int version);

/**
 * Open a store on the database conninfo names, with options: what
 * la_pg_store_open does, and every setting a later version adds, without a
 * new function.
 * @param[out] out receives the new store (la_store_free); NULL on failure.
 * @param conninfo as for la_pg_store_open.
 * @param opts NULL for the defaults; read during the call only.
 * @return as la_pg_store_open; #LA_EUNSUPPORTED for an unknown
 *         opts->version.
 */
LA_EXTERN(int)
la_pg_store_open_ext(la_store **out, const char *conninfo, const la_pg_options *opts);

LA_END_DECL

#endif
