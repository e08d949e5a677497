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

LA_END_DECL

#endif
