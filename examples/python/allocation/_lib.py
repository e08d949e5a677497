"""Loading liballocation and declaring its C API for ctypes.

Every exported function gets argtypes and restype here, once, so that the
rest of the package calls typed functions and a wrong argument fails in
Python instead of corrupting memory. Handles are plain ``c_void_p``: the
classes in bus.py, stores.py, views.py and model.py are their types.

Where the libraries are looked for: see search_dirs(). Adapter libraries
(SQLite, PostgreSQL, CSV, Redis, SMTP) are optional and loaded on first use.
"""

import ctypes
import ctypes.util
import os
import re
import sys
import sysconfig
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_int64,
    c_size_t,
    c_uint,
    c_uint64,
    c_void_p,
)
from typing import Any, Dict, List, Optional, Tuple

from . import _install

# Status codes (common.h); never renumbered.
LA_OK = 0
LA_EINVAL = -1
LA_ENOTFOUND = -2
LA_ECONFLICT = -3
LA_EUNSUPPORTED = -4
LA_ENOMEM = -5
LA_EDB = -6
LA_EIO = -7
LA_EUSER = -8
LA_ESTATE = -9

# Log levels.
LA_LOG_ERROR = 1
LA_LOG_WARN = 2
LA_LOG_INFO = 3
LA_LOG_DEBUG = 4

# Message kinds (messages.h).
LA_CMD_CREATE_BATCH = 1
LA_CMD_ALLOCATE = 2
LA_CMD_DEALLOCATE = 3
LA_CMD_CHANGE_BATCH_QUANTITY = 4
LA_CMD_CANCEL_BATCH = 5
LA_EVT_ALLOCATED = 101
LA_EVT_DEALLOCATED = 102
LA_EVT_OUT_OF_STOCK = 103
# 1.1: whole orders, holds, backorders (issue 13)
LA_CMD_ALLOCATE_ORDER = 6
LA_CMD_CONFIRM = 7
LA_CMD_EXPIRE_HOLDS = 8
LA_EVT_CONFIRMED = 104
LA_EVT_BACKORDERED = 105
LA_HOLD_MAX_SECONDS = 86400
LA_ORDER_MAX_LINES = 1000
LA_BUS_BACKORDERS = 0x1
LA_OUTCOME_DONE = 0
LA_OUTCOME_ALLOCATED = 1
LA_OUTCOME_OUT_OF_STOCK = 2
LA_OUTCOME_BACKORDERED = 3
LA_LINE_ALLOCATED = 1
LA_LINE_HELD = 2
LA_LINE_BACKORDERED = 3

LA_REASON_REQUESTED = 1
LA_REASON_STOCK_REDUCED = 2
LA_REASON_EXPIRED = 3

LA_STORE_OUTBOX = 0x1
LA_BUS_OPTIONS_VERSION = 2
LA_POLICY_VERSION = 1
LA_POLICY_NONE = c_size_t(-1).value  # (size_t)-1: no batch
LA_STORE_PORT_VERSION = 1
LA_BATCH_PAGE_DEFAULT = 100
LA_BATCH_PAGE_MAX = 1000

LA_CHANGE_BATCH_ADDED = 1
LA_CHANGE_BATCH_QUANTITY = 2
LA_CHANGE_BATCH_REMOVED = 3
LA_CHANGE_LINE_ALLOCATED = 4
LA_CHANGE_LINE_DEALLOCATED = 5

# Redis transports (redis.h) and the SMTP sender default (smtp.h).
LA_REDIS_PUBSUB = 0
LA_REDIS_STREAMS = 1
LA_SMTP_DEFAULT_FROM = "allocations@example.com"

# Callback types. Handles reach Python as ints (c_void_p).
LOG_FN = CFUNCTYPE(None, c_int, c_char_p, c_void_p)
NOTIFY_FN = CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)
PUBLISH_FN = CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)
EVENT_HANDLER_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p)
CLOCK_FN = CFUNCTYPE(c_int64, c_void_p)
COMMAND_PULL_FN = CFUNCTYPE(c_size_t, c_void_p, POINTER(c_void_p), c_size_t)
MALLOC_FN = CFUNCTYPE(c_void_p, c_size_t)
REALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_size_t)
FREE_FN = CFUNCTYPE(None, c_void_p)
CSV_LINE_FN = CFUNCTYPE(
    c_int, c_size_t, c_char_p, c_char_p, c_int64, c_int, c_char_p, c_char_p, c_void_p
)
# la_policy_choose_fn (policy.h): out_index, product, orderid, qty, promise, payload.
POLICY_CHOOSE_FN = CFUNCTYPE(
    c_int, POINTER(c_size_t), c_void_p, c_char_p, c_int64, c_char_p, c_void_p
)


class Policy(Structure):
    """la_policy (policy.h); filled by la_policy_init."""

    _fields_ = [
        ("version", c_uint),
        ("name", c_char_p),
        ("choose", POLICY_CHOOSE_FN),
        ("payload", c_void_p),
    ]


class BusOptions(Structure):
    """la_bus_options (bus.h); filled by la_bus_options_init."""

    _fields_ = [
        ("version", c_uint),
        ("max_retries", c_uint),
        ("retry_delay_us", c_uint),
        ("notify", NOTIFY_FN),
        ("notify_payload", c_void_p),
        ("publish", PUBLISH_FN),
        ("publish_payload", c_void_p),
        # version 2
        ("clock", CLOCK_FN),
        ("clock_payload", c_void_p),
        ("flags", c_uint),
        ("policy", c_void_p),  # const la_policy *
    ]


class Change(Structure):
    """la_change (sys/ports.h): one entry of a product's change log."""

    _fields_ = [
        ("kind", c_int),
        ("batchref", c_char_p),
        ("orderid", c_char_p),
        ("eta", c_char_p),
        ("qty", c_int64),
        ("sequence", c_int64),
    ]


# la_store_port (sys/ports.h): for adapters written against the ports.
PORT_BEGIN_FN = CFUNCTYPE(c_int, c_void_p)
PORT_COMMIT_FN = CFUNCTYPE(c_int, c_void_p)
PORT_VOID_FN = CFUNCTYPE(None, c_void_p)
PORT_ADD_FN = CFUNCTYPE(c_int, c_void_p, c_void_p)
PORT_GET_FN = CFUNCTYPE(c_int, POINTER(c_void_p), c_char_p, c_void_p)
PORT_LOAD_FN = CFUNCTYPE(c_int, c_void_p, c_char_p, c_void_p)
PORT_ALLOCATIONS_FN = CFUNCTYPE(c_int, c_void_p, c_char_p, c_void_p)
PORT_BATCHES_FN = CFUNCTYPE(c_int, c_void_p, c_char_p, c_size_t, c_char_p, c_void_p)
PORT_RELAY_FN = CFUNCTYPE(c_int, POINTER(c_size_t), c_size_t, PUBLISH_FN, c_void_p, c_void_p)


class StorePort(Structure):
    _fields_ = [
        ("version", c_uint),
        ("name", c_char_p),
        ("begin", PORT_BEGIN_FN),
        ("commit", PORT_COMMIT_FN),
        ("rollback", PORT_VOID_FN),
        ("end", PORT_VOID_FN),
        ("add", PORT_ADD_FN),
        ("get", PORT_GET_FN),
        ("get_by_batchref", PORT_GET_FN),
        ("load_line", PORT_LOAD_FN),
        ("load_batch_lines", PORT_LOAD_FN),
        ("allocations", PORT_ALLOCATIONS_FN),
        ("batches", PORT_BATCHES_FN),
        ("relay_outbox", PORT_RELAY_FN),
        ("close", PORT_VOID_FN),
    ]


_OUT = POINTER(c_void_p)
_S = c_char_p
_P = c_void_p
_I64 = c_int64
_SZ = c_size_t

# name: (restype, argtypes), for ctypes.
Api = Dict[str, Tuple[Any, List[Any]]]

# The core library: every header of include/allocation.
CORE_API: Api = {
    # common.h
    "la_strerror": (_S, [c_int]),
    "la_error_last": (_S, []),
    "la_error_last_code": (c_int, []),
    "la_error_clear": (None, []),
    "la_set_log_callback": (None, [LOG_FN, _P]),
    "la_set_allocator": (c_int, [MALLOC_FN, REALLOC_FN, FREE_FN]),
    "la_version": (_S, []),
    "la_version_numbers": (None, [POINTER(c_int), POINTER(c_int), POINTER(c_int)]),
    # messages.h
    "la_command_create_batch": (c_int, [_OUT, _S, _S, _I64, _S]),
    "la_command_allocate": (c_int, [_OUT, _S, _S, _I64]),
    "la_command_deallocate": (c_int, [_OUT, _S, _S]),
    "la_command_change_batch_quantity": (c_int, [_OUT, _S, _I64]),
    "la_command_cancel_batch": (c_int, [_OUT, _S]),
    "la_event_allocated": (c_int, [_OUT, _S, _S, _I64, _S]),
    "la_event_deallocated": (c_int, [_OUT, _S, _S, _I64, c_int]),
    "la_event_out_of_stock": (c_int, [_OUT, _S]),
    "la_message_copy": (c_int, [_OUT, _P]),
    "la_message_free": (None, [_P]),
    "la_message_kind_of": (c_int, [_P]),
    "la_message_is_command": (c_int, [_P]),
    "la_message_name": (_S, [_P]),
    "la_message_orderid": (_S, [_P]),
    "la_message_sku": (_S, [_P]),
    "la_message_batchref": (_S, [_P]),
    "la_message_eta": (_S, [_P]),
    "la_message_qty": (_I64, [_P]),
    "la_message_reason": (c_int, [_P]),
    "la_message_reason_name": (_S, [_P]),
    # char ** out as a void pointer, so that it can be handed back to la_free.
    "la_message_to_json": (c_int, [_OUT, _P, _S]),
    "la_free": (None, [_P]),
    # model.h
    "la_product_new": (c_int, [_OUT, _S]),
    "la_product_free": (None, [_P]),
    "la_product_sku": (_S, [_P]),
    "la_product_version": (_I64, [_P]),
    "la_product_add_batch": (c_int, [_P, _S, _I64, _S]),
    "la_product_allocate": (c_int, [POINTER(c_char_p), _P, _S, _I64]),
    "la_product_deallocate": (c_int, [_P, _S]),
    "la_product_change_batch_quantity": (c_int, [_P, _S, _I64]),
    "la_product_cancel_batch": (c_int, [_P, _S]),
    "la_product_batch_count": (_SZ, [_P]),
    "la_product_batch_at": (_P, [_P, _SZ]),
    "la_product_find_batch": (_P, [_P, _S]),
    "la_product_find_line": (_P, [_P, _S]),
    "la_batch_reference": (_S, [_P]),
    "la_batch_sku": (_S, [_P]),
    "la_batch_eta": (_S, [_P]),
    "la_batch_purchased_quantity": (_I64, [_P]),
    "la_batch_allocated_quantity": (_I64, [_P]),
    "la_batch_available_quantity": (_I64, [_P]),
    "la_batch_line_count": (_I64, [_P]),
    "la_batch_sequence": (_I64, [_P]),
    "la_product_event_count": (_SZ, [_P]),
    "la_product_event_at": (_P, [_P, _SZ]),
    "la_product_clear_events": (None, [_P]),
    # store.h
    "la_store_free": (None, [_P]),
    "la_store_adapter": (_S, [_P]),
    "la_store_relay_outbox": (c_int, [POINTER(c_size_t), _P, _SZ, PUBLISH_FN, _P]),
    "la_store_has_outbox": (c_int, [_P]),
    "la_store_outbox_status": (c_int, [_P, POINTER(c_size_t), POINTER(c_double)]),
    # views.h
    "la_view_allocations": (c_int, [_OUT, _P, _S]),
    "la_allocation_list_count": (_SZ, [_P]),
    "la_allocation_list_sku": (_S, [_P, _SZ]),
    "la_allocation_list_batchref": (_S, [_P, _SZ]),
    "la_allocation_list_free": (None, [_P]),
    "la_view_batches": (c_int, [_OUT, _P, _S, _SZ, _S]),
    "la_view_batch": (c_int, [_OUT, _P, _S]),
    "la_batch_page_count": (_SZ, [_P]),
    "la_batch_page_ref": (_S, [_P, _SZ]),
    "la_batch_page_sku": (_S, [_P, _SZ]),
    "la_batch_page_eta": (_S, [_P, _SZ]),
    "la_batch_page_purchased": (_I64, [_P, _SZ]),
    "la_batch_page_allocated": (_I64, [_P, _SZ]),
    "la_batch_page_available": (_I64, [_P, _SZ]),
    "la_batch_page_lines": (_I64, [_P, _SZ]),
    "la_batch_page_next": (_S, [_P]),
    "la_batch_page_free": (None, [_P]),
    # bus.h
    "la_bus_options_init": (c_int, [POINTER(BusOptions), c_uint]),
    "la_bus_new": (c_int, [_OUT, _P, POINTER(BusOptions)]),
    "la_bus_free": (None, [_P]),
    "la_bus_store": (_P, [_P]),
    "la_bus_handle": (c_int, [_P, _P]),
    "la_bus_result_batchref": (_S, [_P]),
    "la_bus_handle_many": (c_int, [_P, POINTER(c_void_p), _SZ]),
    "la_bus_handle_pull": (
        c_int,
        [_P, POINTER(c_void_p), POINTER(c_size_t), _SZ, COMMAND_PULL_FN, c_void_p],
    ),
    "la_bus_result_count": (_SZ, [_P]),
    "la_bus_result_status": (c_int, [_P, _SZ]),
    "la_bus_result_batchref_at": (_S, [_P, _SZ]),
    # 1.1: whole orders, holds, backorders, policies (issues 13, 14)
    "la_bus_result_outcome": (c_int, [_P, _SZ]),
    "la_bus_result_line_count": (_SZ, [_P, _SZ]),
    "la_bus_result_line_sku": (_S, [_P, _SZ, _SZ]),
    "la_bus_result_line_batchref": (_S, [_P, _SZ, _SZ]),
    "la_bus_result_line_short": (c_int, [_P, _SZ, _SZ]),
    "la_command_allocate_with": (c_int, [_OUT, _S, _S, _I64, _I64, _S]),
    "la_command_allocate_order": (c_int, [_OUT, _S, POINTER(c_char_p), POINTER(c_int64), _SZ, _I64]),
    "la_command_confirm": (c_int, [_OUT, _S]),
    "la_command_expire_holds": (c_int, [_OUT, _I64]),
    "la_event_allocated_held": (c_int, [_OUT, _S, _S, _I64, _S, _I64]),
    "la_event_confirmed": (c_int, [_OUT, _S, _S, _I64, _S]),
    "la_event_backordered": (c_int, [_OUT, _S, _S, _I64]),
    "la_message_hold_seconds": (_I64, [_P]),
    "la_message_expires": (_I64, [_P]),
    "la_message_promise": (_S, [_P]),
    "la_message_now": (_I64, [_P]),
    "la_message_line_count": (_SZ, [_P]),
    "la_message_line_sku": (_S, [_P, _SZ]),
    "la_message_line_qty": (_I64, [_P, _SZ]),
    "la_allocation_list_status": (c_int, [_P, _SZ]),
    "la_allocation_list_expires": (_I64, [_P, _SZ]),
    "la_allocation_list_append_line": (c_int, [_P, _S, _S, c_int, _I64]),
    "la_batch_page_held": (_I64, [_P, _SZ]),
    "la_batch_page_waiting": (_I64, [_P, _SZ]),
    "la_batch_page_append_row": (c_int, [_P, _S, _S, _S, _I64, _I64, _I64, _I64, _I64]),
    "la_order_line_list_append": (c_int, [_P, _S, _S]),
    "la_order_line_list_append_qty": (c_int, [_P, _S, _S, _I64]),
    "la_batch_held_quantity": (_I64, [_P]),
    "la_allocation_options_init": (c_int, [_P, c_uint]),
    "la_product_allocate_with": (c_int, [POINTER(c_char_p), _P, _S, _I64, _P]),
    "la_product_confirm": (c_int, [_P, _S]),
    "la_product_expire": (c_int, [_P, _S, _I64]),
    "la_product_fill_waiting": (c_int, [POINTER(c_size_t), _P, _P]),
    "la_product_waiting_count": (_SZ, [_P]),
    "la_product_waiting_quantity": (_I64, [_P]),
    "la_product_find_waiting": (_I64, [_P, _S]),
    "la_product_line_expires": (_I64, [_P, _S]),
    "la_product_change_expires": (_I64, [_P, _SZ]),
    "la_product_change_reason": (c_int, [_P, _SZ]),
    "la_product_change_time": (_I64, [_P, _SZ]),
    "la_product_load_held_line": (c_int, [_P, _S, _S, _I64, _I64, _I64]),
    "la_product_load_batch_held": (c_int, [_P, _S, _I64]),
    "la_product_load_waiting_line": (c_int, [_P, _S, _I64, _I64]),
    # the order history (issue 14)
    "la_view_history": (c_int, [_OUT, _P, _S]),
    "la_history_list_count": (_SZ, [_P]),
    "la_history_list_time": (_I64, [_P, _SZ]),
    "la_history_list_event": (c_int, [_P, _SZ]),
    "la_history_list_event_name": (_S, [_P, _SZ]),
    "la_history_list_sku": (_S, [_P, _SZ]),
    "la_history_list_qty": (_I64, [_P, _SZ]),
    "la_history_list_batchref": (_S, [_P, _SZ]),
    "la_history_list_reason": (c_int, [_P, _SZ]),
    "la_history_list_reason_name": (_S, [_P, _SZ]),
    "la_history_list_expires": (_I64, [_P, _SZ]),
    "la_history_list_free": (None, [_P]),
    "la_history_list_append": (c_int, [_P, _I64, c_int, _S, _I64, _S, c_int, _I64]),
    "la_product_change_event": (c_int, [_P, _SZ]),
    "la_policy_init": (c_int, [POINTER(Policy), c_uint]),
    "la_policy_builtin": (_P, [_S]),
    "la_policy_check": (c_int, [_P]),
    "la_bus_result_error": (_S, [_P, _SZ]),
    "la_bus_subscribe": (c_int, [_P, c_int, EVENT_HANDLER_FN, _P]),
    "la_bus_set_route": (c_int, [_P, c_int, _S]),
    "la_bus_finish_reallocations": (c_int, [_P, POINTER(c_size_t)]),
    "la_bus_stats": (
        None,
        [_P, POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64), POINTER(c_uint64)],
    ),
    # check.h
    "la_store_check": (c_int, [_OUT, _P]),
    "la_store_repair": (c_int, [_OUT, _P]),
    "la_check_report_count": (_SZ, [_P]),
    "la_check_report_kind": (c_int, [_P, _SZ]),
    "la_check_report_batchref": (_S, [_P, _SZ]),
    "la_check_report_orderid": (_S, [_P, _SZ]),
    "la_check_report_sku": (_S, [_P, _SZ]),
    "la_check_report_message": (_S, [_P, _SZ]),
    "la_check_report_free": (None, [_P]),
    "la_check_kind_name": (_S, [c_int]),
    # sys/product.h: a store's check and repair (the visit callback as a pointer)
    "la_product_walk_lines": (c_int, [_P, _P, _P]),
    "la_product_recount": (_I64, [_P]),
    # memory.h
    "la_memory_store_new": (c_int, [_OUT]),
    "la_memory_options_init": (c_int, [_P, c_uint]),
    "la_memory_store_open": (c_int, [_OUT, _P]),
    # sys/ports.h
    "la_store_new": (c_int, [_OUT, POINTER(StorePort), _P]),
    "la_product_load": (c_int, [_OUT, _S, _I64]),
    "la_product_load_batch": (c_int, [_P, _S, _I64, _S, _I64, _I64, _I64]),
    "la_product_load_line": (c_int, [_P, _S, _S, _I64, _I64]),
    "la_product_batch_lines_loaded": (c_int, [_P, _S]),
    "la_product_change_count": (_SZ, [_P]),
    "la_product_change_at": (c_int, [POINTER(Change), _P, _SZ]),
    "la_product_is_new": (c_int, [_P]),
    "la_product_saved_version": (_I64, [_P]),
    "la_product_changes_saved": (None, [_P]),
    "la_product_revert_changes": (None, [_P]),
    "la_product_change_order": (c_uint64, [_P, _SZ]),
    "la_products_next_change": (_SZ, [POINTER(c_void_p), _SZ, POINTER(c_size_t)]),
    "la_allocation_list_append": (c_int, [_P, _S, _S]),
    "la_batch_page_append": (c_int, [_P, _S, _S, _S, _I64, _I64, _I64]),
    "la_batch_page_set_next": (c_int, [_P, _S]),
    "la_batch_cursor_encode": (c_int, [_OUT, _S, _S, _I64]),
    "la_batch_cursor_decode": (c_int, [_OUT, POINTER(c_int32), POINTER(c_int64), _S]),
    "la_date_key": (c_int32, [_S]),
    # Variadic (printf-style); declared in the one form the binding uses:
    # a "%s" format and one string, so no caller text is ever a format.
    "la_error_set": (c_int, [c_int, _S, _S]),
    "la_log": (None, [c_int, _S, _S]),
    "la_check_report_append": (c_int, [_P, c_int, _S, _S, _S, _S, _S]),
    "la_redact_secrets": (None, [c_char_p, _SZ, _S]),
    "la_check_string": (c_int, [_S, _S]),
    # validation.h
    "la_parse_int64": (c_int, [POINTER(c_int64), _S, _S]),
    # sys/cache.h
    "la_product_cache_new": (c_int, [_OUT, _SZ]),
    "la_product_cache_free": (None, [_P]),
    "la_product_cache_put": (None, [_P, _P]),
    "la_product_cache_version": (c_int, [POINTER(c_int64), _P, _S]),
    "la_product_cache_build": (c_int, [_OUT, _P, _S, _I64]),
    "la_product_cache_sku_of_batch": (_S, [_P, _S]),
    "la_product_cache_drop": (None, [_P, _S]),
}

SQLITE_API: Api = {
    "la_sqlite_store_open": (c_int, [_OUT, _S, c_uint]),
    "la_sqlite_options_init": (c_int, [_P, c_uint]),
    "la_sqlite_store_open_ext": (c_int, [_OUT, _S, _P]),
}

PG_API: Api = {
    "la_pg_store_open": (c_int, [_OUT, _S, c_uint]),
    "la_pg_options_init": (c_int, [_P, c_uint]),
    "la_pg_store_open_ext": (c_int, [_OUT, _S, _P]),
}

CSV_API: Api = {
    "la_csv_store_open": (c_int, [_OUT, _S]),
    "la_csv_options_init": (c_int, [_P, c_uint]),
    "la_csv_store_open_ext": (c_int, [_OUT, _S, _P]),
    "la_csv_import_orders": (
        c_int,
        [POINTER(c_size_t), POINTER(c_size_t), POINTER(c_size_t), _P, _S, _SZ, CSV_LINE_FN, _P],
    ),
    "la_csv_allocate_orders": (
        c_int,
        [POINTER(c_size_t), POINTER(c_size_t), _S, POINTER(BusOptions)],
    ),
}

_U64P = POINTER(c_uint64)

# Redis and SMTP: declared so that the C ports can be used from Python as
# they are (la_redis_publish and la_smtp_notify fit la_publish_fn and
# la_notify_fn); see redis.h and smtp.h.
REDIS_API: Api = {
    "la_redis_new": (c_int, [_OUT, _S, c_int]),
    "la_redis_publish": (c_int, [_S, _S, _P]),
    "la_redis_free": (None, [_P]),
    "la_redis_consumer_new": (c_int, [_OUT, _S, c_int, _P]),
    "la_redis_consumer_set_group": (c_int, [_P, _S, _S]),
    "la_redis_consumer_set_relay": (None, [_P, _P]),
    "la_redis_consumer_run": (c_int, [_P]),
    "la_redis_consumer_stop": (None, [_P]),
    "la_redis_consumer_stats": (None, [_P, _U64P, _U64P, _U64P, _U64P]),
    "la_redis_consumer_free": (None, [_P]),
    "la_redis_relay_new": (c_int, [_OUT, _S, c_int, _P]),
    "la_redis_relay_flush": (c_int, [_P, POINTER(c_size_t)]),
    "la_redis_relay_run": (c_int, [_P]),
    "la_redis_relay_wake": (None, [_P]),
    "la_redis_relay_stop": (None, [_P]),
    "la_redis_relay_stats": (None, [_P, _U64P, _U64P]),
    "la_redis_relay_free": (None, [_P]),
}

SMTP_API: Api = {
    "la_smtp_new": (c_int, [_OUT, _S, _S]),
    "la_smtp_notify": (c_int, [_S, _S, _P]),
    "la_smtp_free": (None, [_P]),
}

# Library base name → the functions it exports.
LIBRARIES: Dict[str, Api] = {
    "allocation": CORE_API,
    "allocation-sqlite": SQLITE_API,
    "allocation-pg": PG_API,
    "allocation-csv": CSV_API,
    "allocation-redis": REDIS_API,
    "allocation-smtp": SMTP_API,
}


class LibraryNotFound(OSError):
    """A liballocation shared library could not be found or loaded."""


SOVERSION = 1  # the ABI version in every library's SONAME: lib<name>.so.1

_HERE = os.path.dirname(os.path.abspath(__file__))


def _prefix_libdirs(prefix: str) -> List[str]:
    """The library directories GNUInstallDirs may have used under prefix."""
    multiarch = sysconfig.get_config_var("MULTIARCH")
    subdirs = ([os.path.join("lib", multiarch)] if multiarch else []) + ["lib", "lib64"]
    return [os.path.join(prefix, d) for d in subdirs]


def _package_prefix() -> Optional[str]:
    """PREFIX when this package lies in PREFIX/lib*/python*/(site|dist)-packages."""
    site = os.path.dirname(_HERE)
    if os.path.basename(site) not in ("site-packages", "dist-packages"):
        return None
    return os.path.dirname(os.path.dirname(os.path.dirname(site)))


def search_dirs() -> List[str]:
    """The directories searched for the libraries, in order, before the
    system's dynamic loader:

    1. ``LA_LIBRARY_PATH`` (directories separated by ``:``), which wins;
    2. the library directory ``cmake --install`` recorded when it installed
       this package (``allocation/_install.py``, relative to the package);
    3. the library directories of the prefix the package is installed under
       (``PREFIX/lib/python3.X/site-packages`` → ``PREFIX/lib``,
       ``PREFIX/lib/<multiarch>``, ``PREFIX/lib64``), and of the virtual
       environment that runs Python, if any.

    After these come the dynamic loader itself (``dlopen`` of
    ``lib<name>.so.1``: ``LD_LIBRARY_PATH``, the ``ldconfig`` cache,
    ``/usr/lib``), then ``/usr/local/lib`` (CMake's default prefix, which
    the loader only knows after ``ldconfig``), then
    ``ctypes.util.find_library``.
    """
    dirs = [d for d in os.environ.get("LA_LIBRARY_PATH", "").split(os.pathsep) if d]
    if _install.LIBDIR is not None:
        dirs.append(os.path.normpath(os.path.join(_HERE, _install.LIBDIR)))
    prefix = _package_prefix()
    if prefix is not None:
        dirs.extend(_prefix_libdirs(prefix))
    if sys.prefix != sys.base_prefix:
        dirs.extend(_prefix_libdirs(sys.prefix))
    unique: List[str] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _candidates(name: str) -> List[str]:
    """Paths or sonames to try for lib<name>, most specific first."""
    filenames = (f"lib{name}.so.{SOVERSION}", f"lib{name}.so", f"lib{name}.dylib")

    def existing(dirs: List[str]) -> List[str]:
        paths = (os.path.join(d, f) for d in dirs for f in filenames)
        return [p for p in paths if os.path.exists(p)]

    found = existing(search_dirs())
    found.append(filenames[0])  # the dynamic loader's own search
    found.extend(existing(_prefix_libdirs("/usr/local")))
    system = ctypes.util.find_library(name)
    if system:
        found.append(system)
    return found


def _declare(lib: ctypes.CDLL, api: Api) -> None:
    for fname, (restype, argtypes) in api.items():
        fn = getattr(lib, fname)
        fn.restype = restype
        fn.argtypes = argtypes


_loaded: Dict[str, ctypes.CDLL] = {}
_lock = threading.RLock()


def load(name: str = "allocation") -> ctypes.CDLL:
    """The CDLL for lib<name> with its functions declared. Raises LibraryNotFound."""
    lib = _loaded.get(name)
    if lib is not None:
        return lib
    with _lock:
        lib = _loaded.get(name)
        if lib is not None:
            return lib
        if name != "allocation":
            # Adapters need the core: load it first (and globally), so
            # their DT_NEEDED entry resolves to the very same copy.
            load("allocation")
        errors = []
        for candidate in _candidates(name):
            try:
                lib = ctypes.CDLL(candidate, mode=ctypes.RTLD_GLOBAL)
                break
            except OSError as exc:
                errors.append(f"{candidate}: {exc}")
        if lib is None:
            where = "".join(d + ", " for d in search_dirs())
            raise LibraryNotFound(
                f"lib{name}.so.{SOVERSION} not found (searched {where}the dynamic loader's "
                f"path and /usr/local/lib; set LA_LIBRARY_PATH to the directory that holds "
                f"it): " + "; ".join(errors)
            )
        try:
            _declare(lib, LIBRARIES[name])
        except AttributeError as exc:
            raise LibraryNotFound(f"lib{name} lacks a function the binding needs: {exc}")
        _loaded[name] = lib
        return lib


def path_of(name: str) -> str:
    """The file lib<name> was loaded from (loaded now if need be)."""
    loaded = str(load(name)._name)
    if os.path.isabs(loaded):
        return loaded
    # Found by the dynamic loader from its soname: ask the process's maps.
    pattern = re.compile(rf"\s(/\S*/lib{re.escape(name)}\.so\.{SOVERSION}[.0-9]*)$")
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                m = pattern.search(line.rstrip("\n"))
                if m:
                    return m.group(1)
    except OSError:
        pass
    return loaded


def available(name: str) -> bool:
    """True when lib<name> can be loaded."""
    try:
        load(name)
        return True
    except LibraryNotFound:
        return False


lib = load("allocation")
