"""Commands and events as dataclasses, as in the book.

``to_c`` turns one into a new la_message (the caller frees it); ``from_c``
reads a la_message the library owns into a new dataclass.
"""

import datetime
from ctypes import byref, c_void_p, string_at
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Union, cast

from . import _lib
from .errors import check

#: An eta: a date, "YYYY-MM-DD" or None (no eta: the batch is in stock).
Date = Union[datetime.date, str, None]


class Command:
    """Base of the five commands: what bus.handle() is asked to do."""


class Event:
    """Base of the three events: what happened (bus.handle() accepts them too)."""


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
    when out of stock."""

    orderid: str
    sku: str
    qty: int
    promise: Date = None  # the date promised to the customer (policies.py)


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
    """An order line was allocated to batchref."""

    orderid: str
    sku: str
    qty: int
    batchref: str


@dataclass
class Deallocated(Event):
    """An order line left its batch; reason "requested" or "stock_reduced"."""

    orderid: str
    sku: str
    qty: int
    reason: str = "requested"


@dataclass
class OutOfStock(Event):
    """An Allocate found no batch of sku with enough stock."""

    sku: str


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
}


def _s(value: Optional[str]) -> Optional[bytes]:
    # Non-strings are left to ctypes, whose TypeError names the argument.
    return value.encode() if isinstance(value, str) else value


#: message, out (a c_void_p) → status; fills out with a new la_message.
Builder = Callable[[Any, c_void_p], Any]


def _build(lib: Any) -> Dict[type, Builder]:
    """Per-class constructors: message → rc, filling out (a c_void_p)."""
    return {
        CreateBatch: lambda m, out: lib.la_command_create_batch(
            byref(out), _s(m.ref), _s(m.sku), m.qty, eta_text(m.eta)
        ),
        Allocate: lambda m, out: (
            lib.la_command_allocate(byref(out), _s(m.orderid), _s(m.sku), m.qty)
            if m.promise is None
            else lib.la_command_allocate_with(
                byref(out), _s(m.orderid), _s(m.sku), m.qty, 0, eta_text(m.promise)
            )
        ),
        Deallocate: lambda m, out: lib.la_command_deallocate(byref(out), _s(m.orderid), _s(m.sku)),
        ChangeBatchQuantity: lambda m, out: lib.la_command_change_batch_quantity(
            byref(out), _s(m.ref), m.qty
        ),
        CancelBatch: lambda m, out: lib.la_command_cancel_batch(byref(out), _s(m.ref)),
        Allocated: lambda m, out: lib.la_event_allocated(
            byref(out), _s(m.orderid), _s(m.sku), m.qty, _s(m.batchref)
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
        )
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
