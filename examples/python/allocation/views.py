"""Read models (CQRS): queries that never load aggregates.

Each takes a store, or a bus (its store is used).
"""

import datetime
from ctypes import byref, c_void_p
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, TypedDict, Union

from . import _lib
from .errors import check
from .messages import eta_date
from .stores import Store

if TYPE_CHECKING:  # bus imports stores, as views does: no cycle at run time
    from .bus import MessageBus

#: A row of the batch dashboard: ref, sku, eta (a date or None), purchased,
#: allocated, available, lines.
BatchRow = Dict[str, Any]


def _store_ptr(store_or_bus: Union[Store, "MessageBus"]) -> int:
    store = store_or_bus if isinstance(store_or_bus, Store) else store_or_bus.store
    return store.ptr


def _s(value: Optional[str]) -> Optional[bytes]:
    return value.encode() if isinstance(value, str) else value


def _utc_text(seconds: int) -> str:
    """seconds since 1970 → "2026-12-05T03:04:05Z" (as GET /allocations)."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _allocation_row(lib: Any, ptr: Optional[int], i: int) -> Dict[str, Optional[str]]:
    """As GET /allocations: the book's {sku, batchref}; a held line adds
    "expires" (ISO-8601 UTC); a waiting line has batchref None and a status."""
    ref: Optional[bytes] = lib.la_allocation_list_batchref(ptr, i)
    row: Dict[str, Optional[str]] = {
        "sku": lib.la_allocation_list_sku(ptr, i).decode(),
        "batchref": ref.decode() if ref is not None else None,
    }
    status = lib.la_allocation_list_status(ptr, i)
    if status == _lib.LA_LINE_HELD:
        row["expires"] = _utc_text(lib.la_allocation_list_expires(ptr, i))
    elif status == _lib.LA_LINE_BACKORDERED:
        row["status"] = "backordered"
    return row


def allocations(
    orderid: str, store: Union[Store, "MessageBus"]
) -> List[Dict[str, Optional[str]]]:
    """[{"sku": ..., "batchref": ...}, ...] for orderid, in allocation order;
    a held line adds "expires"; a line waiting for stock is
    {"sku", "batchref": None, "status": "backordered"}."""
    lib = _lib.lib
    out = c_void_p()
    check(lib.la_view_allocations(byref(out), _store_ptr(store), _s(orderid)))
    ptr = out.value
    try:
        return [_allocation_row(lib, ptr, i) for i in range(lib.la_allocation_list_count(ptr))]
    finally:
        lib.la_allocation_list_free(ptr)


def _batch_row(lib: Any, ptr: Optional[int], i: int) -> BatchRow:
    row: BatchRow = {
        "ref": lib.la_batch_page_ref(ptr, i).decode(),
        "sku": lib.la_batch_page_sku(ptr, i).decode(),
        "eta": eta_date(lib.la_batch_page_eta(ptr, i)),
        "purchased": lib.la_batch_page_purchased(ptr, i),
        "allocated": lib.la_batch_page_allocated(ptr, i),
        "available": lib.la_batch_page_available(ptr, i),
        "lines": lib.la_batch_page_lines(ptr, i),
    }
    held, waiting = lib.la_batch_page_held(ptr, i), lib.la_batch_page_waiting(ptr, i)
    if held:
        row["held"] = held
    if waiting:
        row["waiting"] = waiting
    return row


@dataclass
class BatchPage:
    """One page of the batch dashboard; next is the cursor of the following
    page (None on the last)."""

    batches: List[BatchRow]
    next: Optional[str]


def batches(
    store: Union[Store, "MessageBus"],
    sku: Optional[str] = None,
    limit: int = 0,
    after: Optional[str] = None,
) -> BatchPage:
    """One page of the batch dashboard: rows {ref, sku, eta, purchased,
    allocated, available, lines}, plus held and waiting when not 0 (as GET
    /batches), of one sku or all (sku None); limit rows
    (0: the library's default page), after the cursor of the previous page."""
    lib = _lib.lib
    out = c_void_p()
    check(lib.la_view_batches(byref(out), _store_ptr(store), _s(sku), limit, _s(after)))
    ptr = out.value
    try:
        rows = [_batch_row(lib, ptr, i) for i in range(lib.la_batch_page_count(ptr))]
        cursor: Optional[bytes] = lib.la_batch_page_next(ptr)
        return BatchPage(rows, cursor.decode() if cursor is not None else None)
    finally:
        lib.la_batch_page_free(ptr)


def all_batches(
    store: Union[Store, "MessageBus"],
    sku: Optional[str] = None,
    page_size: int = _lib.LA_BATCH_PAGE_MAX,
) -> Iterator[BatchRow]:
    """Every dashboard row, following the cursors page by page."""
    after = None
    while True:
        page = batches(store, sku, page_size, after)
        yield from page.batches
        if page.next is None:
            return
        after = page.next


class HistoryEntry(TypedDict):
    """One entry of an order's history (docs/history.md): at (UTC), event
    ("Allocated", "Deallocated", "Confirmed", "Backordered"), sku, qty,
    batchref (None for Backordered and a waiting line cancelled), reason
    (Deallocated: "requested", "stock_reduced" or "expired"; else None),
    expires (a held Allocated: the end of its hold; else None)."""

    at: datetime.datetime
    event: str
    sku: str
    qty: int
    batchref: Optional[str]
    reason: Optional[str]
    expires: Optional[datetime.datetime]


def _utc(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def _text(value: Optional[bytes]) -> Optional[str]:
    return value.decode() if value is not None else None


def history(orderid: str, store: Union[Store, "MessageBus"]) -> List[HistoryEntry]:
    """What happened to orderid's lines, oldest first ([] for an order the
    store never saw). Raises errors.Unsupported on a store that keeps no
    history (a CSV folder)."""
    lib = _lib.lib
    out = c_void_p()
    check(lib.la_view_history(byref(out), _store_ptr(store), _s(orderid)))
    ptr = out.value
    try:
        entries: List[HistoryEntry] = []
        for i in range(lib.la_history_list_count(ptr)):
            expires = lib.la_history_list_expires(ptr, i)
            entries.append(
                {
                    "at": _utc(lib.la_history_list_time(ptr, i)),
                    "event": lib.la_history_list_event_name(ptr, i).decode(),
                    "sku": lib.la_history_list_sku(ptr, i).decode(),
                    "qty": lib.la_history_list_qty(ptr, i),
                    "batchref": _text(lib.la_history_list_batchref(ptr, i)),
                    "reason": _text(lib.la_history_list_reason_name(ptr, i)),
                    "expires": _utc(expires) if expires else None,
                }
            )
        return entries
    finally:
        lib.la_history_list_free(ptr)
