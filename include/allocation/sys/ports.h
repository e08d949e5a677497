/**
 * @file allocation/sys/ports.h
 * @brief Everything an adapter writer needs, in one include (see
 * docs/adapters.md). It gathers the headers split by who reads them:
 *
 * - sys/store_port.h: the store vtable, la_store_new, read-model builders
 *   and dashboard cursors;
 * - sys/product.h: building products from storage and their change log;
 * - sys/errors.h: la_error_set and la_log;
 * - validation.h: la_check_string, la_date_key, la_parse_int64.
 */
#ifndef ALLOCATION_SYS_PORTS_H
#define ALLOCATION_SYS_PORTS_H

#include "../validation.h"
#include "errors.h"
#include "product.h"
#include "store_port.h"

#endif
