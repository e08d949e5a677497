"""Exceptions: one class per liballocation status code.

Each carries the library's message (la_error_last) and the numeric code.
``InvalidSku`` is the book's exception for Allocate with an unknown sku; it
is a ``NotFound``, which is what the library reports.
"""

from . import _lib


class AllocationError(Exception):
    """Base of every error the library reports."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(AllocationError, ValueError):
    code = _lib.LA_EINVAL


class NotFound(AllocationError, LookupError):
    code = _lib.LA_ENOTFOUND


class InvalidSku(NotFound):
    """Allocate named a sku the store does not know ("Invalid sku <SKU>")."""


class Conflict(AllocationError):
    code = _lib.LA_ECONFLICT


class Unsupported(AllocationError):
    code = _lib.LA_EUNSUPPORTED


class NoMemory(AllocationError, MemoryError):
    code = _lib.LA_ENOMEM


class DatabaseError(AllocationError):
    code = _lib.LA_EDB


class IOError_(AllocationError):
    """A file or network operation failed (trailing _: IOError is OSError)."""

    code = _lib.LA_EIO


class UserAbort(AllocationError):
    """A callback asked to abort, e.g. a Python callback raised."""

    code = _lib.LA_EUSER


class StateError(AllocationError):
    code = _lib.LA_ESTATE


BY_CODE = {
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


def error_for(code, message=None):
    """The exception for a negative status code, with the thread's last message."""
    lib = _lib.lib
    if message is None:
        raw = lib.la_error_last()
        message = raw.decode("utf-8", "replace") if raw else ""
    if not message:
        message = lib.la_strerror(code).decode()
    cls = BY_CODE.get(code, AllocationError)
    if cls is NotFound and "Invalid sku " in message:
        cls = InvalidSku
    return cls(message, code)


def check(code):
    """Raise the matching exception when code is negative; else return it."""
    if code < 0:
        raise error_for(code)
    return code
