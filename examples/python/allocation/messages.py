"""Commands and events as dataclasses, as in the book.

``to_c`` turns one into a new la_message (the caller frees it); ``from_c``
reads a la_message the library owns into a new dataclass.
"""

import datetime
from ctypes import byref, c_void_p, string_at
from dataclasses import dataclass
from typing import Optional, Union

from . import _lib
from .errors import check

Date = Union[datetime.date, str, None]


class Command:
    """Base of the five commands."""


class Event:
    """Base of the three events."""


@dataclass
class CreateBatch(Command):
    ref: str
    sku: str
    qty: int
    eta: Date = None


@dataclass
class Allocate(Command):
    orderid: str
    sku: str
    qty: int


@dataclass
class Deallocate(Command):
    orderid: str
    sku: str


@dataclass
class ChangeBatchQuantity(Command):
    ref: str
    qty: int


@dataclass
class CancelBatch(Command):
    ref: str


@dataclass
class Allocated(Event):
    orderid: str
    sku: str
    qty: int
    batchref: str


@dataclass
class Deallocated(Event):
    orderid: str
    sku: str
    qty: int
    reason: str = "requested"


@dataclass
class OutOfStock(Event):
    sku: str


def eta_text(eta):
    """A date, "YYYY-MM-DD" or None as the bytes (or None) the C API takes."""
    if eta is None:
        return None
    if isinstance(eta, (datetime.date, datetime.datetime)):
        eta = eta.strftime("%Y-%m-%d")
    return eta.encode()


def eta_date(raw):
    """C "YYYY-MM-DD" (bytes or None) → datetime.date or None."""
    if raw is None:
        return None
    return datetime.date.fromisoformat(raw.decode())


_REASONS = {"requested": _lib.LA_REASON_REQUESTED, "stock_reduced": _lib.LA_REASON_STOCK_REDUCED}

KIND_OF = {
    CreateBatch: _lib.LA_CMD_CREATE_BATCH,
    Allocate: _lib.LA_CMD_ALLOCATE,
    Deallocate: _lib.LA_CMD_DEALLOCATE,
    ChangeBatchQuantity: _lib.LA_CMD_CHANGE_BATCH_QUANTITY,
    CancelBatch: _lib.LA_CMD_CANCEL_BATCH,
    Allocated: _lib.LA_EVT_ALLOCATED,
    Deallocated: _lib.LA_EVT_DEALLOCATED,
    OutOfStock: _lib.LA_EVT_OUT_OF_STOCK,
}


def _s(value):
    # Non-strings are left to ctypes, whose TypeError names the argument.
    return value.encode() if isinstance(value, str) else value


def _build(lib):
    """Per-class constructors: message → rc, filling out (a c_void_p)."""
    return {
        CreateBatch: lambda m, out: lib.la_command_create_batch(
            byref(out), _s(m.ref), _s(m.sku), m.qty, eta_text(m.eta)
        ),
        Allocate: lambda m, out: lib.la_command_allocate(
            byref(out), _s(m.orderid), _s(m.sku), m.qty
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


def to_c(message):
    """A new la_message pointer (int) for a command or event dataclass."""
    build = BUILDERS.get(type(message))
    if build is None:
        raise TypeError(f"not a command or event of liballocation: {message!r}")
    out = c_void_p()
    check(build(message, out))
    return out.value


def _text(raw):
    return raw.decode() if raw is not None else None


def from_c(ptr, lib=_lib.lib):
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


def to_json(message, id: Optional[str] = None):
    """The library's JSON for a command or event dataclass (spec field names)."""
    lib = _lib.lib
    ptr = to_c(message)
    try:
        out = c_void_p()
        check(lib.la_message_to_json(byref(out), ptr, _s(id)))
        try:
            return string_at(out.value).decode()
        finally:
            lib.la_free(out)
    finally:
        lib.la_message_free(ptr)
