"""Read models (CQRS): queries that never load aggregates.

Each takes a store, or a bus (its store is used).
"""

from ctypes import byref, c_void_p
from dataclasses import dataclass
from typing import List, Optional

from . import _lib
from .errors import check
from .messages import eta_date


def _store_ptr(store_or_bus):
    store = getattr(store_or_bus, "store", store_or_bus)
    return store.ptr


def _s(value):
    return value.encode() if isinstance(value, str) else value


def allocations(orderid, store):
    """[{"sku": ..., "batchref": ...}, ...] for orderid, in allocation order."""
    lib = _lib.lib
    out = c_void_p()
    check(lib.la_view_allocations(byref(out), _store_ptr(store), _s(orderid)))
    ptr = out.value
    try:
        return [
            {
                "sku": lib.la_allocation_list_sku(ptr, i).decode(),
                "batchref": lib.la_allocation_list_batchref(ptr, i).decode(),
            }
            for i in range(lib.la_allocation_list_count(ptr))
        ]
    finally:
        lib.la_allocation_list_free(ptr)


@dataclass
class BatchPage:
    """One page of the batch dashboard; next is the cursor of the following page."""

    batches: List[dict]
    next: Optional[str]


def batches(store, sku=None, limit=0, after=None):
    """The batch dashboard: rows {ref, sku, eta, purchased, allocated, available, lines}."""
    lib = _lib.lib
    out = c_void_p()
    check(lib.la_view_batches(byref(out), _store_ptr(store), _s(sku), limit, _s(after)))
    ptr = out.value
    try:
        rows = [
            {
                "ref": lib.la_batch_page_ref(ptr, i).decode(),
                "sku": lib.la_batch_page_sku(ptr, i).decode(),
                "eta": eta_date(lib.la_batch_page_eta(ptr, i)),
                "purchased": lib.la_batch_page_purchased(ptr, i),
                "allocated": lib.la_batch_page_allocated(ptr, i),
                "available": lib.la_batch_page_available(ptr, i),
                "lines": lib.la_batch_page_lines(ptr, i),
            }
            for i in range(lib.la_batch_page_count(ptr))
        ]
        cursor = lib.la_batch_page_next(ptr)
        return BatchPage(rows, cursor.decode() if cursor is not None else None)
    finally:
        lib.la_batch_page_free(ptr)


def all_batches(store, sku=None, page_size=_lib.LA_BATCH_PAGE_MAX):
    """Every dashboard row, following the cursors page by page."""
    after = None
    while True:
        page = batches(store, sku, page_size, after)
        yield from page.batches
        if page.next is None:
            return
        after = page.next
