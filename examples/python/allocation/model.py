"""The domain model (spec §1.1) without a store: Product, its batches, OrderLine.

A Product owns its C object. Batch objects are views that look their batch
up by reference on every access, since the C pointers they would hold are
only valid until the product changes.
"""

from ctypes import byref, c_char_p, c_void_p
from dataclasses import dataclass

from . import _lib
from ._handle import Handle
from .errors import InvalidArgument, NotFound, check
from .messages import eta_date, eta_text, from_c


@dataclass(frozen=True)
class OrderLine:
    orderid: str
    sku: str
    qty: int


class Batch:
    """A live view of one batch of a product."""

    def __init__(self, product, reference):
        self._product = product
        self.reference = reference

    def _p(self):
        ptr = _lib.lib.la_product_find_batch(self._product.ptr, self.reference.encode())
        if not ptr:
            raise NotFound(f"batch {self.reference} is no longer in product {self._product.sku}")
        return ptr

    @property
    def sku(self):
        return _lib.lib.la_batch_sku(self._p()).decode()

    @property
    def eta(self):
        return eta_date(_lib.lib.la_batch_eta(self._p()))

    @property
    def purchased_quantity(self):
        return _lib.lib.la_batch_purchased_quantity(self._p())

    @property
    def allocated_quantity(self):
        return _lib.lib.la_batch_allocated_quantity(self._p())

    @property
    def available_quantity(self):
        return _lib.lib.la_batch_available_quantity(self._p())

    @property
    def line_count(self):
        return _lib.lib.la_batch_line_count(self._p())

    @property
    def sequence(self):
        return _lib.lib.la_batch_sequence(self._p())

    def __eq__(self, other):
        return isinstance(other, Batch) and other.reference == self.reference

    def __hash__(self):
        return hash(self.reference)

    def __repr__(self):
        return f"<Batch {self.reference}>"


class Product(Handle):
    """The aggregate: Product(sku, batches=[(ref, qty, eta), ...])."""

    def __init__(self, sku, batches=()):
        out = c_void_p()
        check(_lib.lib.la_product_new(byref(out), sku.encode()))
        super().__init__(out.value, _lib.lib.la_product_free)
        for spec in batches:
            self.add_batch(*spec)
        self.clear_events()

    @property
    def sku(self):
        return _lib.lib.la_product_sku(self.ptr).decode()

    @property
    def version_number(self):
        return _lib.lib.la_product_version(self.ptr)

    def add_batch(self, reference, qty, eta=None):
        check(_lib.lib.la_product_add_batch(self.ptr, reference.encode(), qty, eta_text(eta)))
        return Batch(self, reference)

    def allocate(self, line, qty=None):
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
        return ref.value.decode() if ref.value is not None else None

    def deallocate(self, line):
        orderid = line.orderid if isinstance(line, OrderLine) else line
        check(_lib.lib.la_product_deallocate(self.ptr, orderid.encode()))

    def change_batch_quantity(self, reference, qty):
        check(_lib.lib.la_product_change_batch_quantity(self.ptr, reference.encode(), qty))

    def cancel_batch(self, reference):
        check(_lib.lib.la_product_cancel_batch(self.ptr, reference.encode()))

    @property
    def batches(self):
        """Batches in allocation-preference order."""
        lib = _lib.lib
        ptr = self.ptr
        return [
            Batch(self, lib.la_batch_reference(lib.la_product_batch_at(ptr, i)).decode())
            for i in range(lib.la_product_batch_count(ptr))
        ]

    def batch(self, reference):
        if not _lib.lib.la_product_find_batch(self.ptr, reference.encode()):
            return None
        return Batch(self, reference)

    def batch_of(self, orderid):
        """The batch holding orderid's line, or None."""
        ptr = _lib.lib.la_product_find_line(self.ptr, orderid.encode())
        return Batch(self, _lib.lib.la_batch_reference(ptr).decode()) if ptr else None

    @property
    def events(self):
        """Recorded events, oldest first, as dataclasses (copies)."""
        lib = _lib.lib
        ptr = self.ptr
        return [
            from_c(lib.la_product_event_at(ptr, i), lib)
            for i in range(lib.la_product_event_count(ptr))
        ]

    def clear_events(self):
        _lib.lib.la_product_clear_events(self.ptr)
