"""Allocation policies (policy.h): the rule that chooses a line's batch.

A policy is a plain function ``choose(line, batches)``: ``line`` is the
order line being placed (a LineView: orderid, sku, qty, promise) and
``batches`` the product's batches in preference order (BatchView: index,
reference, sku, eta, purchased, available, sequence — copies, read-only).
It returns the chosen BatchView, its index, or None (no batch: out of
stock). ``Policy(choose, name)`` makes it a la_policy the library calls
through ctypes; pass it (or a built-in's name, "book" or "latest-in-time")
as ``policy=`` to bootstrap() or MessageBus.

The library checks every answer: an index out of range or a batch without
room fails the command with UserAbort naming the policy, and nothing
changes. The binding adds one check of its own: a BatchView of another sku
(kept from an earlier call) is refused the same way. A policy that raises
is logged (logger "allocation", with the traceback) and fails the command
as UserAbort; it never unwinds into C.
"""

import datetime
import traceback
from ctypes import addressof, byref
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Sequence, Union

from . import _lib
from .errors import InvalidArgument, check
from .messages import eta_date


@dataclass(frozen=True)
class BatchView:
    """One batch as a policy sees it: a copy, in preference order."""

    index: int
    reference: str
    sku: str
    eta: Optional[datetime.date]  # None: in stock
    purchased: int
    available: int
    sequence: int  # creation order


@dataclass(frozen=True)
class LineView:
    """The order line being placed."""

    orderid: str
    sku: str
    qty: int
    promise: Optional[datetime.date]  # the date promised to the customer, or None


#: A policy function: (line, batches in preference order) → choice or None.
ChooseFn = Callable[[LineView, Sequence[BatchView]], Union[BatchView, int, None]]


def _batches(lib: Any, product: int) -> List[BatchView]:
    views = []
    for i in range(lib.la_product_batch_count(product)):
        b = lib.la_product_batch_at(product, i)
        views.append(
            BatchView(
                i,
                lib.la_batch_reference(b).decode(),
                lib.la_batch_sku(b).decode(),
                eta_date(lib.la_batch_eta(b)),
                lib.la_batch_purchased_quantity(b),
                lib.la_batch_available_quantity(b),
                lib.la_batch_sequence(b),
            )
        )
    return views


def _index_of(answer: object, line: LineView, batches: Sequence[BatchView]) -> int:
    """The C answer for a Python one; a BatchView of another sku or a
    value of another type is refused (ValueError, TypeError)."""
    if answer is None:
        return _lib.LA_POLICY_NONE
    if isinstance(answer, BatchView):
        if answer.sku != line.sku:
            raise ValueError(
                f"chose batch {answer.reference} of sku {answer.sku} for a line of {line.sku}"
            )
        return answer.index
    if type(answer) is int:
        if answer < 0:
            raise ValueError(f"chose batch index {answer}")
        return answer  # range and room: the library checks
    raise TypeError(f"a policy returns a BatchView, an index or None, not {type(answer).__name__}")


def _fail(what: str, error: BaseException) -> int:
    """Log the traceback and make the exception the thread's last error."""
    try:
        lib = _lib.lib
        lib.la_log(
            _lib.LA_LOG_ERROR,
            b"%s",
            f"Python {what} raised: {traceback.format_exc().rstrip()}".encode("utf-8", "replace"),
        )
        text = f"{type(error).__name__}: {error}"
        lib.la_error_set(_lib.LA_EUSER, b"%s", text.encode("utf-8", "replace"))
    except BaseException:
        pass
    return _lib.LA_EUSER


class Policy:
    """A Python function as an allocation policy (la_policy).

    Keeps the C struct and the ctypes callback alive as long as it lives;
    a bus given this policy keeps it as long as the bus lives.
    """

    def __init__(self, choose: ChooseFn, name: Optional[str] = None) -> None:
        self.name: str = name or str(getattr(choose, "__name__", "python-policy"))
        self._choose = choose
        lib = _lib.lib
        what = f"allocation policy {self.name}"

        def trampoline(
            out: Any, product: int, orderid: bytes, qty: int, promise: Optional[bytes], _: Any
        ) -> int:
            try:
                sku = lib.la_product_sku(product).decode()
                line = LineView(orderid.decode(), sku, qty, eta_date(promise))
                batches = _batches(lib, product)
                out[0] = _index_of(choose(line, batches), line, batches)
                return _lib.LA_OK
            except BaseException as error:
                return _fail(what, error)

        self._callback = _lib.POLICY_CHOOSE_FN(trampoline)
        self._name_bytes = self.name.encode()
        self._struct = _lib.Policy()
        check(lib.la_policy_init(byref(self._struct), _lib.LA_POLICY_VERSION))
        self._struct.name = self._name_bytes
        self._struct.choose = self._callback
        check(lib.la_policy_check(byref(self._struct)))

    @property
    def ptr(self) -> int:
        """The la_policy pointer (valid as long as this object)."""
        return addressof(self._struct)

    def __repr__(self) -> str:
        return f"Policy({self.name!r})"


def builtin(name: str) -> int:
    """The la_policy pointer of a built-in policy ("book", "latest-in-time");
    InvalidArgument for another name."""
    ptr: Optional[int] = _lib.lib.la_policy_builtin(name.encode())
    if not ptr:
        raise InvalidArgument(f"unknown allocation policy {name!r} (book or latest-in-time)")
    return ptr


#: What bootstrap() and MessageBus take as policy=.
PolicyLike = Union[Policy, str, None]


def pointer_of(policy: PolicyLike) -> Optional[int]:
    """The la_policy pointer for policy= (None: the default, book)."""
    if policy is None:
        return None
    if isinstance(policy, str):
        return builtin(policy)
    if isinstance(policy, Policy):
        return policy.ptr
    raise TypeError(f"policy must be a Policy or a built-in's name, not {type(policy).__name__}")

