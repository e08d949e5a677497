"""Commands and events as dataclasses, as in the book.

``to_c`` turns one into a new la_message (the caller frees it); ``from_c``
reads a la_message the library owns into a new dataclass.
"""

import datetime
from ctypes import byref, c_char_p, c_int64, c_void_p, string_at
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union, cast

from . import _lib
from .errors import check

#: An eta: a date, "YYYY-MM-DD" or None (no eta: the batch is in stock).
Date = Union[datetime.date, str, None]


class Command:
    """Base of the commands: what bus.handle() is asked to do."""


class Event:
    """Base of the events: what happened (bus.handle() accepts them too)."""


@dataclass
class CreateBatch(Command):
    """Add a batch of qty units of sku, arriving at eta (None: in stock)."""

    ref: str
    sku: str
    qty: int
    eta: Date = None


@dataclass
class Allocate(Command):
    """Allocate an order line: bus.handle() returns the batch ref, or None
    when out of stock. hold_seconds (1-86400) holds the line until Confirm,
    or until ExpireHolds deallocates it; 0: permanent, as in the book."""

    orderid: str
    sku: str
    qty: int
    promise: Date = None  # the date promised to the customer (policies.py)
    hold_seconds: int = 0  # 1-86400: held until Confirm or ExpireHolds


@dataclass
class AllocateOrder(Command):
    """Allocate every line (sku, qty) of an order, or none of them (whole
    orders); bus.result() tells which batch each line went to."""

    orderid: str
    lines: Sequence[Tuple[str, int]]
    hold_seconds: int = 0


@dataclass
class Confirm(Command):
    """Make every held line of orderid permanent (NotFound: it has none)."""

    orderid: str


@dataclass
class ExpireHolds(Command):
    """Deallocate (reason "expired") every held line whose hold ended by now
    (seconds since 1970, UTC)."""

    now: int


@dataclass
class Deallocate(Command):
    """Take orderid's line of sku off its batch."""

    orderid: str
    sku: str


@dataclass
class ChangeBatchQuantity(Command):
    """Set a batch's purchased quantity; lines that no longer fit are
    deallocated and allocated again."""

    ref: str
    qty: int


@dataclass
class CancelBatch(Command):
    """Remove a batch; its lines are deallocated and allocated again."""

    ref: str


@dataclass
class Allocated(Event):
    """An order line was allocated to batchref (held until expires, seconds
    since 1970, when not 0)."""

    orderid: str
    sku: str
    qty: int
    batchref: str
    expires: int = 0


@dataclass
class Deallocated(Event):
    """An order line left its batch; reason "requested", "stock_reduced" or
    "expired"."""

    orderid: str
    sku: str
    qty: int
    reason: str = "requested"


@dataclass
class OutOfStock(Event):
    """An Allocate found no batch of sku with enough stock."""

    sku: str


@dataclass
class Confirmed(Event):
    """A held line became permanent on batchref."""

    orderid: str
    sku: str
    qty: int
    batchref: str


@dataclass
class Backordered(Event):
    """No batch could take the line: it waits for stock (backorders)."""

    orderid: str
    sku: str
    qty: int


Message = Union[Command, Event]


def eta_text(eta: Date) -> Optional[bytes]:
    """A date, "YYYY-MM-DD" or None as the bytes (or None) the C API takes."""
    if eta is None:
        return None
    if isinstance(eta, (datetime.date, datetime.datetime)):
        eta = eta.strftime("%Y-%m-%d")
    return eta.encode()


def eta_date(raw: Optional[bytes]) -> Optional[datetime.date]:
    """C "YYYY-MM-DD" (bytes or None) → datetime.date or None."""
    if raw is None:
        return None
    return datetime.date.fromisoformat(raw.decode())


_REASONS: Dict[str, int] = {
    "requested": _lib.LA_REASON_REQUESTED,
    "stock_reduced": _lib.LA_REASON_STOCK_REDUCED,
    "expired": _lib.LA_REASON_EXPIRED,
}

KIND_OF: Dict[type, int] = {
    CreateBatch: _lib.LA_CMD_CREATE_BATCH,
    Allocate: _lib.LA_CMD_ALLOCATE,
    Deallocate: _lib.LA_CMD_DEALLOCATE,
    ChangeBatchQuantity: _lib.LA_CMD_CHANGE_BATCH_QUANTITY,
    CancelBatch: _lib.LA_CMD_CANCEL_BATCH,
    Allocated: _lib.LA_EVT_ALLOCATED,
    Deallocated: _lib.LA_EVT_DEALLOCATED,
    OutOfStock: _lib.LA_EVT_OUT_OF_STOCK,
    AllocateOrder: _lib.LA_CMD_ALLOCATE_ORDER,
    Confirm: _lib.LA_CMD_CONFIRM,
    ExpireHolds: _lib.LA_CMD_EXPIRE_HOLDS,
    Confirmed: _lib.LA_EVT_CONFIRMED,
    Backordered: _lib.LA_EVT_BACKORDERED,
}


def _s(value: Optional[str]) -> Optional[bytes]:
    # Non-strings are left to ctypes, whose TypeError names the argument.
    return value.encode() if isinstance(value, str) else value


#: message, out (a c_void_p) → status; fills out with a new la_message.
Builder = Callable[[Any, c_void_p], Any]


def _allocate(lib: Any, m: "Allocate", out: c_void_p) -> Any:
    if m.hold_seconds or m.promise is not None:
        return lib.la_command_allocate_with(
            byref(out), _s(m.orderid), _s(m.sku), m.qty, m.hold_seconds, eta_text(m.promise)
        )
    return lib.la_command_allocate(byref(out), _s(m.orderid), _s(m.sku), m.qty)


def _allocate_order(lib: Any, m: "AllocateOrder", out: c_void_p) -> Any:
    lines = list(m.lines)
    skus = (c_char_p * len(lines))(*(_s(sku) for sku, _ in lines))
    qtys = (c_int64 * len(lines))(*(qty for _, qty in lines))
    return lib.la_command_allocate_order(
        byref(out), _s(m.orderid), skus, qtys, len(lines), m.hold_seconds
    )


def _allocated(lib: Any, m: "Allocated", out: c_void_p) -> Any:
    if m.expires:
        return lib.la_event_allocated_held(
            byref(out), _s(m.orderid), _s(m.sku), m.qty, _s(m.batchref), m.expires
        )
    return lib.la_event_allocated(byref(out), _s(m.orderid), _s(m.sku), m.qty, _s(m.batchref))


def _build(lib: Any) -> Dict[type, Builder]:
    """Per-class constructors: message → rc, filling out (a c_void_p)."""
    return {
        CreateBatch: lambda m, out: lib.la_command_create_batch(
            byref(out), _s(m.ref), _s(m.sku), m.qty, eta_text(m.eta)
        ),
        Allocate: lambda m, out: _allocate(lib, m, out),
        AllocateOrder: lambda m, out: _allocate_order(lib, m, out),
        Confirm: lambda m, out: lib.la_command_confirm(byref(out), _s(m.orderid)),
        ExpireHolds: lambda m, out: lib.la_command_expire_holds(byref(out), m.now),
        Deallocate: lambda m, out: lib.la_command_deallocate(byref(out), _s(m.orderid), _s(m.sku)),
        ChangeBatchQuantity: lambda m, out: lib.la_command_change_batch_quantity(
            byref(out), _s(m.ref), m.qty
        ),
        CancelBatch: lambda m, out: lib.la_command_cancel_batch(byref(out), _s(m.ref)),
        Allocated: lambda m, out: _allocated(lib, m, out),
        Confirmed: lambda m, out: lib.la_event_confirmed(
            byref(out), _s(m.orderid), _s(m.sku), m.qty, _s(m.batchref)
        ),
        Backordered: lambda m, out: lib.la_event_backordered(
            byref(out), _s(m.orderid), _s(m.sku), m.qty
        ),
        Deallocated: lambda m, out: lib.la_event_deallocated(
            byref(out), _s(m.orderid), _s(m.sku), m.qty, _REASONS.get(m.reason, 0)
        ),
        OutOfStock: lambda m, out: lib.la_event_out_of_stock(byref(out), _s(m.sku)),
    }


BUILDERS = _build(_lib.lib)


def to_c(message: Message) -> int:
    """A new la_message pointer (int) for a command or event dataclass."""
    build = BUILDERS.get(type(message))
    if build is None:
        raise TypeError(f"not a command or event of liballocation: {message!r}")
    out = c_void_p()
    check(build(message, out))
    return cast(int, out.value)  # set: the build succeeded


def _text(raw: Optional[bytes]) -> str:
    # Every field from_c reads is set for its kind of message.
    return raw.decode() if raw is not None else ""


def from_c(ptr: int, lib: Any = _lib.lib) -> Message:
    """The dataclass for a la_message the caller does not own (copied out)."""
    kind = lib.la_message_kind_of(ptr)
    if kind == _lib.LA_EVT_ALLOCATED:
        return Allocated(
            _text(lib.la_message_orderid(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
            _text(lib.la_message_batchref(ptr)),
            lib.la_message_expires(ptr),
        )
    if kind == _lib.LA_EVT_CONFIRMED:
        return Confirmed(
            _text(lib.la_message_orderid(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
            _text(lib.la_message_batchref(ptr)),
        )
    if kind == _lib.LA_EVT_BACKORDERED:
        return Backordered(
            _text(lib.la_message_orderid(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
        )
    if kind == _lib.LA_CMD_ALLOCATE_ORDER:
        return AllocateOrder(
            _text(lib.la_message_orderid(ptr)),
            [
                (_text(lib.la_message_line_sku(ptr, i)), lib.la_message_line_qty(ptr, i))
                for i in range(lib.la_message_line_count(ptr))
            ],
            lib.la_message_hold_seconds(ptr),
        )
    if kind == _lib.LA_CMD_CONFIRM:
        return Confirm(_text(lib.la_message_orderid(ptr)))
    if kind == _lib.LA_CMD_EXPIRE_HOLDS:
        return ExpireHolds(lib.la_message_now(ptr))
    if kind == _lib.LA_EVT_DEALLOCATED:
        return Deallocated(
            _text(lib.la_message_orderid(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
            _text(lib.la_message_reason_name(ptr)),
        )
    if kind == _lib.LA_EVT_OUT_OF_STOCK:
        return OutOfStock(_text(lib.la_message_sku(ptr)))
    if kind == _lib.LA_CMD_CREATE_BATCH:
        return CreateBatch(
            _text(lib.la_message_batchref(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
            eta_date(lib.la_message_eta(ptr)),
        )
    if kind == _lib.LA_CMD_ALLOCATE:
        return Allocate(
            _text(lib.la_message_orderid(ptr)),
            _text(lib.la_message_sku(ptr)),
            lib.la_message_qty(ptr),
            promise=eta_date(lib.la_message_promise(ptr)),
            hold_seconds=lib.la_message_hold_seconds(ptr),
        )
    if kind == _lib.LA_CMD_DEALLOCATE:
        return Deallocate(_text(lib.la_message_orderid(ptr)), _text(lib.la_message_sku(ptr)))
    if kind == _lib.LA_CMD_CHANGE_BATCH_QUANTITY:
        return ChangeBatchQuantity(_text(lib.la_message_batchref(ptr)), lib.la_message_qty(ptr))
    if kind == _lib.LA_CMD_CANCEL_BATCH:
        return CancelBatch(_text(lib.la_message_batchref(ptr)))
    raise ValueError(f"unknown message kind {kind}")


def to_json(message: Message, id: Optional[str] = None) -> str:
    """The library's JSON for a command or event dataclass (spec field names)."""
    lib = _lib.lib
    ptr = to_c(message)
    try:
        out = c_void_p()
        check(lib.la_message_to_json(byref(out), ptr, _s(id)))
        try:
            return string_at(out.value or 0).decode()
        finally:
            lib.la_free(out)
    finally:
        lib.la_message_free(ptr)
