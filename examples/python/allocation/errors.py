"""Exceptions: one class per liballocation status code.

Each carries the library's message (la_error_last) and the numeric code.
``InvalidSku`` is the book's exception for Allocate with an unknown sku; it
is a ``NotFound``, which is what the library reports.
"""

from typing import Dict, Optional, Type

from . import _lib


class AllocationError(Exception):
    """Base of every error the library reports.

    ``message`` is the library's text (la_error_last), ``code`` the status
    (a negative LA_E* number, see allocation._lib).
    """

    code: Optional[int] = None

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(AllocationError, ValueError):
    """LA_EINVAL: an argument was missing, malformed or out of range."""

    code = _lib.LA_EINVAL


class NotFound(AllocationError, LookupError):
    """LA_ENOTFOUND: no such batch, order line or product."""

    code = _lib.LA_ENOTFOUND


class InvalidSku(NotFound):
    """Allocate named a sku the store does not know ("Invalid sku <SKU>")."""


class Conflict(AllocationError):
    """LA_ECONFLICT: another writer changed the product first (optimistic
    concurrency); the bus already retried."""

    code = _lib.LA_ECONFLICT


class Unsupported(AllocationError):
    """LA_EUNSUPPORTED: the store or build cannot do that (also: an adapter
    library that is not installed)."""

    code = _lib.LA_EUNSUPPORTED


class NoMemory(AllocationError, MemoryError):
    """LA_ENOMEM: an allocation failed."""

    code = _lib.LA_ENOMEM


class DatabaseError(AllocationError):
    """LA_EDB: the database failed or could not be reached."""

    code = _lib.LA_EDB


class IOError_(AllocationError):
    """A file or network operation failed (trailing _: IOError is OSError)."""

    code = _lib.LA_EIO


class UserAbort(AllocationError):
    """A callback asked to abort, e.g. a Python callback raised."""

    code = _lib.LA_EUSER


class StateError(AllocationError):
    """LA_ESTATE: the object cannot do that now (e.g. it is closed)."""

    code = _lib.LA_ESTATE


BY_CODE: Dict[Optional[int], Type[AllocationError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        Conflict,
        Unsupported,
        NoMemory,
        DatabaseError,
        IOError_,
        UserAbort,
        StateError,
    )
}


def error_for(code: int, message: Optional[str] = None) -> AllocationError:
    """The exception for a negative status code, with the thread's last message."""
    lib = _lib.lib
    if message is None:
        raw: Optional[bytes] = lib.la_error_last()
        message = raw.decode("utf-8", "replace") if raw else ""
    if not message:
        strerror: bytes = lib.la_strerror(code)
        message = strerror.decode()
    cls = BY_CODE.get(code, AllocationError)
    if cls is NotFound and "Invalid sku " in message:
        cls = InvalidSku
    return cls(message, code)


def check(code: int) -> int:
    """Raise the matching exception when code is negative; else return it."""
    if code < 0:
        raise error_for(code)
    return code
