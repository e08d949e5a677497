"""Owning wrappers for C handles: context managers, safe and idempotent frees."""

import weakref
from types import TracebackType
from typing import Any, Callable, Optional, Protocol, Tuple, Type, TypeVar

from .errors import StateError

_H = TypeVar("_H", bound="Handle")


class Closable(Protocol):
    """Anything with close(): what borrows a C object from a Handle."""

    def close(self) -> None: ...


class Borrowers:
    """What borrows a C object and must be closed before that object is freed
    (buses on a store, a consumer on a bus, ...). Held weakly: a borrower
    that is collected has closed itself, and a borrower may keep its owner
    alive without a reference cycle."""

    def __init__(self) -> None:
        self._items: "weakref.WeakValueDictionary[int, Closable]" = weakref.WeakValueDictionary()

    def add(self, item: Closable) -> None:
        self._items[id(item)] = item

    def remove(self, item: Closable) -> None:
        self._items.pop(id(item), None)

    def close_all(self) -> None:
        items = list(self._items.values())
        self._items.clear()
        for item in items:
            item.close()


class Handle:
    """Owns one C object and the function that frees it.

    The free function is kept on the instance, so ``__del__`` needs no module
    global and stays safe while the interpreter shuts down. ``close`` may be
    called any number of times; only the first frees, after closing whatever
    borrowed the object.
    """

    _ptr: Optional[int] = None
    _free: Optional[Callable[[int], None]] = None
    _borrowers: Optional[Borrowers] = None  # made by the first _lend

    def __init__(self, ptr: Optional[int], free: Callable[[int], None]) -> None:
        self._free = free
        self._ptr = ptr

    @property
    def ptr(self) -> int:
        """The C pointer; StateError once closed."""
        ptr = self._ptr
        if ptr is None:
            raise StateError(f"{type(self).__name__} is closed")
        return ptr

    @property
    def closed(self) -> bool:
        """True once closed: the C object is freed."""
        return self._ptr is None

    def _lend(self, borrower: Closable) -> None:
        """borrower uses this C object: close it before freeing the object."""
        if self._borrowers is None:
            self._borrowers = Borrowers()
        self._borrowers.add(borrower)

    def _unlend(self, borrower: Closable) -> None:
        if self._borrowers is not None:
            self._borrowers.remove(borrower)

    def close(self) -> None:
        """Close what borrows this object, then free it. Safe to repeat."""
        if self._borrowers is not None:
            self._borrowers.close_all()
        ptr, self._ptr = self._ptr, None
        if ptr is not None and self._free is not None:
            self._free(ptr)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class CPort(Handle):
    """A port implemented in C (an SMTP or Redis handle): a bus calls its C
    function directly, with the handle as payload, without going through
    Python. Buses using it are closed before it is freed."""

    def _c_function(self) -> Tuple[Any, int]:
        """(the C function as a NOTIFY_FN or PUBLISH_FN, the payload)."""
        raise NotImplementedError
