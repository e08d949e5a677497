/**
 * @file allocation/allocation.h
 * @brief Umbrella header: the whole user-facing API of the core library.
 *
 * Adapter libraries have their own headers (sqlite.h, postgres.h, csv.h,
 * redis.h, smtp.h); adapter writers also include sys/ports.h (or the
 * parts of it they need: sys/store_port.h, sys/product.h, sys/errors.h).
 */
/**
 * @mainpage liballocation API reference
 *
 * The order-allocation service of *Architecture Patterns with Python* as a C
 * library. Start with allocation.h (everything a user needs) and the
 * conventions every function follows (docs/api.md): names, errors and
 * la_error_last(), ownership, versioned structs, threads.
 *
 * - common.h: status codes, errors, logging, allocator hook, version.
 * - messages.h: commands and events.
 * - bus.h: the message bus, options, event handlers, notification routes.
 * - views.h: the read models (allocations of an order, batch dashboard).
 * - store.h, memory.h: stores and the in-memory store.
 * - model.h: the domain model, usable on its own.
 * - validation.h: checking identifiers, dates and numbers read from text.
 * - check.h: checking a store's invariants and repairing its figures.
 * - sys/ports.h: for adapter writers (docs/adapters.md); sys/errors.h for
 *   programs that report through la_error_last().
 *
 * Adapter libraries: sqlite.h, postgres.h, csv.h, redis.h, smtp.h.
 */
#ifndef ALLOCATION_ALLOCATION_H
#define ALLOCATION_ALLOCATION_H

#include "common.h"
#include "messages.h"
#include "model.h"
#include "policy.h"
#include "store.h"
#include "views.h"
#include "bus.h"
#include "memory.h"
#include "validation.h"
#include "check.h"

#endif
