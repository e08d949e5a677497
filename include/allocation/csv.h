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

LA_END_DECL

#endif
