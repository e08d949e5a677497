"""liballocation from Python: a pure-stdlib ctypes binding.

    import allocation
    from allocation import commands, events, views

    bus = allocation.bootstrap(notify=lambda dest, text: print(dest, text))
    bus.handle(commands.CreateBatch("b1", "LAMP", 100))
    bus.handle(commands.Allocate("o1", "LAMP", 10))   # → "b1"
    views.allocations("o1", bus.store)                # → [{"sku": "LAMP", "batchref": "b1"}]

The shared libraries are found through LA_LIBRARY_PATH (a directory or a
':'-separated list), else ctypes.util.find_library.
"""

from . import _lib
from . import callbacks, commands, errors, events, messages, model, stores, views  # noqa: F401
from .bus import CommandResult, MessageBus, allocate_orders_csv, bootstrap  # noqa: F401
from .callbacks import set_log_handler  # noqa: F401
from .errors import (  # noqa: F401
    AllocationError,
    Conflict,
    DatabaseError,
    InvalidArgument,
    InvalidSku,
    IOError_,
    NoMemory,
    NotFound,
    StateError,
    Unsupported,
    UserAbort,
)
from .model import Batch, OrderLine, Product  # noqa: F401
from .stores import Store  # noqa: F401

__version__ = _lib.lib.la_version().decode()

__all__ = [
    "AllocationError", "Batch", "CommandResult", "Conflict", "DatabaseError", "IOError_", "InvalidArgument",
    "InvalidSku", "MessageBus", "NoMemory", "NotFound", "OrderLine", "Product", "StateError",
    "Store", "Unsupported", "UserAbort", "allocate_orders_csv", "bootstrap", "callbacks",
    "commands", "errors", "events", "messages", "model", "set_log_handler", "stores",
    "version_info", "views",
]


def version_info():
    """(major, minor, patch) of the loaded library."""
    from ctypes import byref, c_int

    parts = [c_int(), c_int(), c_int()]
    _lib.lib.la_version_numbers(*(byref(p) for p in parts))
    return tuple(p.value for p in parts)
