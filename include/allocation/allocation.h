/**
 * @file allocation/allocation.h
 * @brief Umbrella header: the whole user-facing API of the core library.
 *
 * Adapter libraries have their own headers (sqlite.h, postgres.h, csv.h,
 * redis.h, smtp.h); adapter writers also include sys/ports.h.
 */
#ifndef ALLOCATION_ALLOCATION_H
#define ALLOCATION_ALLOCATION_H

#include "common.h"
#include "messages.h"
#include "model.h"
#include "store.h"
#include "views.h"
#include "bus.h"
#include "memory.h"

#endif
