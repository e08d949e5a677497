/**
 * @file allocation/sqlite.h
 * @brief liballocation-sqlite: the store over SQLite — repository, unit of
 * work, read models and a transactional outbox in one SQLite file (or in
 * memory).
 *
 * @code
 *   la_store *store;
 *   if (la_sqlite_store_open(&store, "sqlite:allocation.db", 0) != LA_OK)
 *           fprintf(stderr, "%s\n", la_error_last());
 *   ... la_bus_new(&bus, store, NULL) ...
 *   la_store_free(store);
 * @endcode
 *
 * The adapter creates its schema in a new or empty file and migrates older
 * versions of it (the version lives in PRAGMA user_version, the file is
 * marked with PRAGMA application_id). It refuses, without writing anything,
 * a file whose schema is newer than this library knows or that belongs to
 * another application. Files use WAL journaling; each unit of work is one
 * BEGIN IMMEDIATE transaction, so writers from several processes queue on a
 * busy timeout (5 s) and one still waiting after it fails with LA_ECONFLICT,
 * which the bus retries. Schema, costs and trade-offs: docs/sqlite.md.
 *
 * Threads: a store is one SQLite connection and is used by one thread at a
 * time (one bus per store). Open one store per thread, or per process, on
 * the same file for parallelism; they see each other's committed changes.
 */
#ifndef ALLOCATION_SQLITE_H
#define ALLOCATION_SQLITE_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/** PRAGMA user_version of the schema this library writes. */
#define LA_SQLITE_SCHEMA_VERSION 5
/** PRAGMA application_id marking an allocation database ("LAAL"). */
#define LA_SQLITE_APPLICATION_ID 0x4c41414c

/**
 * Open (creating it if needed) the store at url.
 *
 * Durability: "full" (the default since 1.1) commits with synchronous=FULL
 * in WAL mode: every commit syncs the WAL, so a committed unit of work
 * survives power failure and OS crashes too (group commit, la_bus_handle_many,
 * spreads that sync over many commands); "normal" (synchronous=NORMAL)
 * survives any crash of the process, but the last commits may be lost on
 * power failure or an OS crash, and costs less per commit (docs/sqlite.md
 * has figures).
 *
 * @param out   receives the new store, owned by the caller (la_store_free);
 *              set to NULL on failure.
 * @param url   "sqlite:PATH" or a bare "PATH" for a file (created with its
 *              schema when missing), "sqlite::memory:" for a private
 *              in-memory database; optionally followed by
 *              "?durability=normal" or "?durability=full".
 * @param flags 0, or LA_STORE_OUTBOX to keep a transactional outbox: each
 *              commit stores the Allocated events of its products (JSON with
 *              a unique "id") in the same transaction, and
 *              la_store_relay_outbox publishes them in commit order, at
 *              least once.
 * @return LA_OK, or a negative code, with la_error_last naming the file and
 *         the problem: LA_EINVAL for a malformed URL, option or flag, a file
 *         that is not a database or that belongs to another application;
 *         LA_EUNSUPPORTED for a schema newer than this library; LA_EIO when
 *         the file cannot be opened or created; LA_ECONFLICT when another
 *         process held the database locked past the busy timeout; LA_ENOMEM;
 *         LA_EDB for any other SQLite error.
 */
LA_EXTERN(int) la_sqlite_store_open(la_store **out, const char *url, unsigned int flags);

/** Durability of commits (la_sqlite_options.durability). Never renumbered. */
typedef enum la_sqlite_durability {
	LA_SQLITE_DURABILITY_DEFAULT = 0, /**< as the URL says, else FULL */
	LA_SQLITE_DURABILITY_NORMAL = 1,  /**< synchronous=NORMAL: survives a process crash */
	LA_SQLITE_DURABILITY_FULL = 2     /**< synchronous=FULL: survives power loss too */
} la_sqlite_durability;

/**
 * Options of la_sqlite_store_open_ext. Members are only ever added at the
 * end; fill with #LA_SQLITE_OPTIONS_INIT or la_sqlite_options_init().
 */
typedef struct la_sqlite_options {
	unsigned int version;         /**< #LA_SQLITE_OPTIONS_VERSION */
	unsigned int flags;           /**< 0 or #LA_STORE_OUTBOX */
	int durability;               /**< a #la_sqlite_durability; overrides the URL's */
	unsigned int busy_timeout_ms; /**< wait this long for another writer; 0: 5000 */
	int checkpoint;               /**< a #la_sqlite_checkpoint: who copies the WAL back */
} la_sqlite_options;

/** Who checkpoints the WAL (la_sqlite_options.checkpoint). Never renumbered. */
typedef enum la_sqlite_checkpoint {
	/** SQLite's default: the commit that takes the WAL past 1,000 pages
	 *  copies it back into the database, inside that commit. */
	LA_SQLITE_CHECKPOINT_IN_COMMIT = 0,
	/** A thread of the store, with its own connection, copies it back when it
	 *  grows past 512 pages (PASSIVE: it never waits for readers or
	 *  writers), so no commit pays for it. Ignored for an in-memory database. */
	LA_SQLITE_CHECKPOINT_BACKGROUND = 1
} la_sqlite_checkpoint;

/** The version of la_sqlite_options these headers describe. */
#define LA_SQLITE_OPTIONS_VERSION 1
/** Initialiser of la_sqlite_options with the defaults. */
#define LA_SQLITE_OPTIONS_INIT                                                                     \
	{                                                                                          \
		LA_SQLITE_OPTIONS_VERSION, 0, LA_SQLITE_DURABILITY_DEFAULT, 0,                     \
		    LA_SQLITE_CHECKPOINT_IN_COMMIT                                                 \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @param[out] opts the caller's struct.
 * @param version #LA_SQLITE_OPTIONS_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL opts or an unknown version.
 */
LA_EXTERN(int) la_sqlite_options_init(la_sqlite_options *opts, unsigned int version);

/**
 * Open (creating it if needed) the store at url, with options: what
 * la_sqlite_store_open does, and every setting a later version adds,
 * without a new function.
 * @param[out] out receives the new store (la_store_free); NULL on failure.
 * @param url as for la_sqlite_store_open.
 * @param opts NULL for the defaults; read during the call only.
 * @return as la_sqlite_store_open; #LA_EUNSUPPORTED for an unknown
 *         opts->version; #LA_EINVAL for an unknown flag or durability.
 */
LA_EXTERN(int)
la_sqlite_store_open_ext(la_store **out, const char *url, const la_sqlite_options *opts);

LA_END_DECL

#endif
