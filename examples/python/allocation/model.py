"""The domain model (spec §1.1) without a store: Product, its batches, OrderLine.

A Product owns its C object. Batch objects are views that look their batch
up by reference on every access, since the C pointers they would hold are
only valid until the product changes.
"""

import datetime
from ctypes import byref, c_char_p, c_void_p
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple, Union

from . import _lib
from ._handle import Handle
from .errors import InvalidArgument, NotFound, check
from .messages import Date, Message, eta_date, eta_text, from_c
from .stores import new_ptr


@dataclass(frozen=True)
class OrderLine:
    """A customer's order line: qty units of sku for order orderid."""

    orderid: str
    sku: str
    qty: int


class Batch:
    """A live view of one batch of a product."""

    def __init__(self, product: "Product", reference: str) -> None:
        self._product = product
        self.reference = reference

    def _p(self) -> int:
        ptr: Optional[int] = _lib.lib.la_product_find_batch(
            self._product.ptr, self.reference.encode()
        )
        if not ptr:
            raise NotFound(f"batch {self.reference} is no longer in product {self._product.sku}")
        return ptr

    @property
    def sku(self) -> str:
        """The product's sku."""
        sku: bytes = _lib.lib.la_batch_sku(self._p())
        return sku.decode()

    @property
    def eta(self) -> Optional[datetime.date]:
        """None for a batch in stock."""
        return eta_date(_lib.lib.la_batch_eta(self._p()))

    @property
    def purchased_quantity(self) -> int:
        """The batch's quantity."""
        qty: int = _lib.lib.la_batch_purchased_quantity(self._p())
        return qty

    @property
    def allocated_quantity(self) -> int:
        """The sum of its order lines' quantities."""
        qty: int = _lib.lib.la_batch_allocated_quantity(self._p())
        return qty

    @property
    def available_quantity(self) -> int:
        """purchased_quantity - allocated_quantity."""
        qty: int = _lib.lib.la_batch_available_quantity(self._p())
        return qty

    @property
    def line_count(self) -> int:
        """How many order lines are allocated to the batch."""
        count: int = _lib.lib.la_batch_line_count(self._p())
        return count

    @property
    def sequence(self) -> int:
        """Creation order within the product (ties between equal etas)."""
        sequence: int = _lib.lib.la_batch_sequence(self._p())
        return sequence

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Batch) and other.reference == self.reference

    def __hash__(self) -> int:
        return hash(self.reference)

    def __repr__(self) -> str:
        return f"<Batch {self.reference}>"


#: A batch to start a Product with: (ref, qty) or (ref, qty, eta).
BatchSpec = Union[Tuple[str, int], Tuple[str, int, Date]]


class Product(Handle):
    """The aggregate (spec §1.1): Product(sku, batches=[(ref, qty, eta), ...]).

    Owns its C object: a context manager; close() frees it.
    """

    def __init__(self, sku: str, batches: Iterable[BatchSpec] = ()) -> None:
        out = c_void_p()
        check(_lib.lib.la_product_new(byref(out), sku.encode()))
        super().__init__(new_ptr(out), _lib.lib.la_product_free)
        for spec in batches:
            self.add_batch(*spec)
        self.clear_events()

    @property
    def sku(self) -> str:
        """The product's sku."""
        sku: bytes = _lib.lib.la_product_sku(self.ptr)
        return sku.decode()

    @property
    def version_number(self) -> int:
        """Bumped by every change (optimistic concurrency)."""
        version: int = _lib.lib.la_product_version(self.ptr)
        return version

    def add_batch(self, reference: str, qty: int, eta: Date = None) -> Batch:
        """Add a batch; eta None means in stock."""
        check(_lib.lib.la_product_add_batch(self.ptr, reference.encode(), qty, eta_text(eta)))
        return Batch(self, reference)

    def allocate(self, line: Union[OrderLine, str], qty: Optional[int] = None) -> Optional[str]:
        """Allocate an OrderLine (or orderid, qty): the batch ref, or None if out of stock."""
        if isinstance(line, OrderLine):
            orderid, qty = line.orderid, line.qty
            if line.sku != self.sku:
                # A C product only holds its own sku's batches: say so
                # rather than answer "out of stock".
                raise InvalidArgument(
                    f"order line sku {line.sku} does not match product {self.sku}"
                )
        else:
            orderid = line
        ref = c_char_p()
        check(_lib.lib.la_product_allocate(byref(ref), self.ptr, orderid.encode(), qty))
        return ref.value.decode() if ref.value is not None else None  # None: out of stock

    def deallocate(self, line: Union[OrderLine, str]) -> None:
        """Take an order line (or orderid) off its batch."""
        orderid = line.orderid if isinstance(line, OrderLine) else line
        check(_lib.lib.la_product_deallocate(self.ptr, orderid.encode()))

    def change_batch_quantity(self, reference: str, qty: int) -> None:
        """Set a batch's quantity; lines that no longer fit are deallocated."""
        check(_lib.lib.la_product_change_batch_quantity(self.ptr, reference.encode(), qty))

    def cancel_batch(self, reference: str) -> None:
        """Remove a batch; its lines are deallocated (and events recorded)."""
        check(_lib.lib.la_product_cancel_batch(self.ptr, reference.encode()))

    @property
    def batches(self) -> List[Batch]:
        """Batches in allocation-preference order."""
        lib = _lib.lib
        ptr = self.ptr
        return [
            Batch(self, lib.la_batch_reference(lib.la_product_batch_at(ptr, i)).decode())
            for i in range(lib.la_product_batch_count(ptr))
        ]

    def batch(self, reference: str) -> Optional[Batch]:
        """The batch with that reference, or None."""
        if not _lib.lib.la_product_find_batch(self.ptr, reference.encode()):
            return None
        return Batch(self, reference)

    def batch_of(self, orderid: str) -> Optional[Batch]:
        """The batch holding orderid's line, or None."""
        ptr = _lib.lib.la_product_find_line(self.ptr, orderid.encode())
        return Batch(self, _lib.lib.la_batch_reference(ptr).decode()) if ptr else None

    @property
    def events(self) -> List[Message]:
        """Recorded events, oldest first, as dataclasses (copies)."""
        lib = _lib.lib
        ptr = self.ptr
        return [
            from_c(lib.la_product_event_at(ptr, i), lib)
            for i in range(lib.la_product_event_count(ptr))
        ]

    def clear_events(self) -> None:
        """Forget the recorded events."""
        _lib.lib.la_product_clear_events(self.ptr)
