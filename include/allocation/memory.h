/**
 * @file allocation/memory.h
 * @brief The in-memory store: every port in process memory, for tests and
 * embedding. Part of the core library.
 *
 * Units of work are serialised by an internal mutex, so several buses in
 * several threads may share one memory store. Rolled-back changes are undone
 * exactly. Nothing is persisted.
 */
#ifndef ALLOCATION_MEMORY_H
#define ALLOCATION_MEMORY_H

#include "common.h"
#include "store.h"

LA_BEGIN_DECL

/**
 * A new empty in-memory store.
 * @param[out] out the store, owned by the caller (la_store_free()).
 * @return #LA_OK; #LA_EINVAL for NULL out; #LA_ENOMEM.
 * @par Thread safety
 * The store may be shared by buses in several threads.
 */
LA_EXTERN(int) la_memory_store_new(la_store **out);

/**
 * Options of la_memory_store_open. Members are only ever added at the end;
 * fill with #LA_MEMORY_OPTIONS_INIT or la_memory_options_init(). Version 1
 * has no setting yet: it is the place where later ones go without a new
 * function.
 */
typedef struct la_memory_options {
	unsigned int version; /**< #LA_MEMORY_OPTIONS_VERSION */
} la_memory_options;

/** The version of la_memory_options these headers describe. */
#define LA_MEMORY_OPTIONS_VERSION 1
/** Initialiser of la_memory_options with the defaults. */
#define LA_MEMORY_OPTIONS_INIT                                                                     \
	{                                                                                          \
		LA_MEMORY_OPTIONS_VERSION                                                          \
	}

/**
 * Fill opts with the defaults of that version (ctypes cannot expand macros).
 * @param[out] opts the caller's struct.
 * @param version #LA_MEMORY_OPTIONS_VERSION (or an older version).
 * @return #LA_OK; #LA_EUNSUPPORTED for NULL opts or an unknown version.
 */
LA_EXTERN(int) la_memory_options_init(la_memory_options *opts, unsigned int version);

/**
 * A new empty in-memory store, with options.
 * @param[out] out the store, owned by the caller (la_store_free()).
 * @param opts NULL for the defaults; read during the call only.
 * @return #LA_OK; #LA_EINVAL for NULL out; #LA_EUNSUPPORTED for an unknown
 *         opts->version; #LA_ENOMEM.
 */
LA_EXTERN(int) la_memory_store_open(la_store **out, const la_memory_options *opts);

LA_END_DECL

#endif
