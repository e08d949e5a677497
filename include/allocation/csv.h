/**
 * @file allocation/csv.h
 * @brief liballocation-csv: the filesystem adapter (spec §5), a store over a
 * folder of CSV files, and the batch command that allocates orders.csv.
 *
 * The folder holds (RFC 4180, header row required, CRLF or LF):
 * @code{.unparsed}
 *   batches.csv      ref,sku,qty,eta      (required; eta empty = in stock)
 *   allocations.csv  orderid,sku,qty,batchref  (optional; rewritten)
 *   orders.csv       orderid,sku,qty      (input of la_csv_allocate_orders)
 * @endcode
 * Columns may come in any order. A file is always replaced atomically
 * (temporary file in the folder, fsync, rename): a crash leaves the old
 * content or the new one, never a mix. Errors name the file and line, e.g.
 * "batches.csv:3: qty is not a number: \"x\"".
 *
 * Link with -lallocation-csv (pkg-config allocation-csv, CMake
 * allocation::csv).
 *
 * Threads and processes: a store is used by one thread at a time. Processes
 * using this library on the same folder take turns through flock(2) on the
 * folder (exclusive for a unit of work, shared for a query); other programs
 * editing the files meanwhile are not excluded, and their edits are picked
 * up at the next unit of work.
 */
#ifndef ALLOCATION_CSV_H
#define ALLOCATION_CSV_H

#include "bus.h"
#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/**
 * Open a store over a folder.
 *
 * @param[out] out the store, owned by the caller (la_store_free()).
 * @param folder the folder's path (copied).
 * @return #LA_OK, #LA_EINVAL, #LA_EIO or #LA_ENOMEM (see below).
 * @par Thread safety
 * The store is used by one thread at a time (see the file's description).
 *
 * batches.csv (and allocations.csv when present)
 * are read and checked now. Every commit rewrites the changed file(s);
 * batches.csv only when batches changed. A product exists while it has a
 * batch in batches.csv. There is no outbox.
 *
 * *out owned by the caller (la_store_free). Errors: LA_EINVAL (a bad file or
 * row: the message names file and line), LA_EIO (folder or file unreadable,
 * e.g. no batches.csv), LA_ENOMEM.
 */
LA_EXTERN(int) la_csv_store_open(la_store **out, const char *folder);

/**
 * Options of la_csv_store_open_ext. Members are only ever added at the end;
 * fill with #LA_CSV_OPTIONS_INIT or la_csv_options_init(). Version 1 has no
 * setting yet: it is the place where later ones go without a new function.
 */
typedef struct la_csv_options {
	unsigned int version; /**< #LA_CSV_OPTIONS_VERSION */
} la_csv_options;

/** The version of la_csv_options these headers describe. */
#define LA_CSV_OPTIONS_VERSION 1
/** Initialiser of la_csv_options with the defaults. */
#define LA_CSV_OPTIONS_INIT                                                                        \
	{                                                                                          \
		LA_CSV_OPTIONS_VERSION                                                             \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @param[out] opts the caller's struct.
 * @param version #LA_CSV_OPTIONS_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL opts or an unknown version.
 */
LA_EXTERN(int) la_csv_options_init(la_csv_options *opts, unsigned int version);

/**
 * Open the CSV folder as a store, with options (see la_csv_store_open).
 * @param[out] out receives the new store (la_store_free).
 * @param folder the folder holding batches.csv.
 * @param opts NULL for the defaults; read during the call only.
 * @return as la_csv_store_open; #LA_EUNSUPPORTED for an unknown
 *         opts->version.
 */
LA_EXTERN(int)
la_csv_store_open_ext(la_store **out, const char *folder, const la_csv_options *opts);

/**
 * Allocate every line of orders.csv, all or nothing.
 *
 * @param[out] out_allocated lines allocated or already allocated (may be NULL).
 * @param[out] out_out_of_stock lines that found no stock (may be NULL).
 * @param folder the folder's path.
 * @param opts bus options as for la_bus_new(), or NULL for the defaults.
 * @return #LA_OK, or the code of the first bad row or failing command.
 * @par Thread safety
 * Opens its own store and bus: safe from any thread; processes take turns on
 * the folder through flock(2).
 *
 * Allocates every line of folder/orders.csv, in file order, through a bus
 * (opts as for la_bus_new; NULL for the defaults) on the folder's store,
 * then rewrite allocations.csv once: its old rows first, then the new ones
 * in order. Lines already allocated are left as they are (idempotent).
 *
 * All or nothing: a bad row in any file or a failing command (e.g.
 * "orders.csv:4: Invalid sku X") returns its code and leaves every file
 * untouched. On success *out_allocated and *out_out_of_stock (either may be
 * NULL) count the lines allocated (or already allocated) and those that
 * found no stock.
 */
LA_EXTERN(int)
la_csv_allocate_orders(size_t *out_allocated, size_t *out_out_of_stock, const char *folder,
                       const la_bus_options *opts);

/** Lines per transaction of la_csv_import_orders when given 0: on SQLite
 * with durability full, fewer commits (each an fsync, and the same hot index
 * pages written to the WAL and checkpointed again) cut an import's CPU time by
 * a third against 1,000, for about 40 MB more memory (docs/performance.md). */
#define LA_CSV_IMPORT_DEFAULT_LINES 50000
/** Most lines per transaction la_csv_import_orders takes. */
#define LA_CSV_IMPORT_MAX_LINES 100000

/**
 * What one line of an import came to (la_csv_import_orders).
 * @param line the line of the file the record starts on (1 is the header).
 * @param orderid, sku the line's fields ("" when the record had too few).
 * @param qty its quantity (0 when not a number).
 * @param status #LA_OK, or why the line was refused (#LA_EINVAL for a bad
 *        field, #LA_ENOTFOUND for an unknown sku, #LA_ECONFLICT for the same
 *        line with another qty, ...).
 * @param batchref the batch it went to; NULL when out of stock or refused.
 * @param message "" on success, else what was wrong.
 * @param payload the pointer given to la_csv_import_orders.
 * @return #LA_OK to go on; anything else stops the import (#LA_EUSER).
 */
typedef int (*la_csv_line_fn)(size_t line, const char *orderid, const char *sku, int64_t qty,
                              int status, const char *batchref, const char *message, void *payload);

/**
 * Allocate every line of a file in orders.csv form (header orderid,sku,qty,
 * RFC 4180) through bus, lines_per_transaction lines per transaction
 * (la_bus_handle_many), in file order: each line gets the result it would
 * have had if the lines were allocated one by one. The file is streamed:
 * memory stays bounded whatever its size.
 *
 * A line with a bad field (too few fields, qty not a positive whole number,
 * an empty orderid) is refused on its own, like a command that fails; the
 * others go on. A syntax error of the file (an unterminated quote, ...) or
 * a transaction that fails as a whole (a database error) stops the import:
 * the lines before it stay imported, la_error_last() names the line.
 *
 * @param[out] out_allocated lines allocated (or already allocated); may be NULL.
 * @param[out] out_out_of_stock lines that found no stock; may be NULL.
 * @param[out] out_failed lines refused; may be NULL.
 * @param bus the bus to handle the commands (its store: any adapter).
 * @param path the file.
 * @param lines_per_transaction 1 to #LA_CSV_IMPORT_MAX_LINES; 0 for
 *        #LA_CSV_IMPORT_DEFAULT_LINES.
 * @param on_line called for every line after its transaction, in file
 *        order; NULL for none.
 * @param payload passed to on_line.
 * @return #LA_OK once every line has its result; #LA_EINVAL (NULL bus or
 *         path, too many lines per transaction, a bad header or syntax);
 *         #LA_EIO (the file); #LA_EUSER (on_line stopped it); the code of a
 *         transaction that failed as a whole; #LA_ENOMEM.
 */
LA_EXTERN(int)
la_csv_import_orders(size_t *out_allocated, size_t *out_out_of_stock, size_t *out_failed,
                     la_bus *bus, const char *path, size_t lines_per_transaction,
                     la_csv_line_fn on_line, void *payload);

LA_END_DECL

#endif
