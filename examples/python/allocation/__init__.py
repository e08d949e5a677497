"""liballocation from Python: the allocation service of "Architecture
Patterns with Python", its domain and message bus in C, through ctypes.

    import allocation
    from allocation import commands, events, views

    with allocation.bootstrap(notify=lambda dest, text: print(dest, text)) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 100))
        bus.handle(commands.Allocate("o1", "LAMP", 10))   # → "b1"
        views.allocations("o1", bus)                      # → [{"sku": "LAMP", "batchref": "b1"}]

Modules:
    commands, events    the messages, as dataclasses
    bus                 MessageBus and bootstrap(): the service layer
    stores              memory(), sqlite(), postgres(), csv(), open(url): Store
    views               the read models: allocations(), batches(), history()
    model               the domain model alone: Product, Batch, OrderLine
    policies            allocation policies: Policy(fn) for a rule of one's own
    errors              one exception class per status code (AllocationError)
    callbacks           the library's log lines: logger "allocation"
    smtp                SmtpNotifications: the notifications port by e-mail
    redis               RedisPublisher, RedisConsumer, RedisRelay (spec §4)

The shared libraries (liballocation.so.1 and its adapters) are looked for in
LA_LIBRARY_PATH, then where ``cmake --install`` installed this package's
libraries, then in the prefix this package is installed in, then by the
system's loader: see allocation._lib.search_dirs(). ``python3 -m
allocation`` tells which ones it found.
"""

from ctypes import byref, c_int
from typing import Dict, Tuple

from . import _lib
from . import callbacks, commands, errors, events, messages, model, policies  # noqa: F401
from . import stores, views  # noqa: F401
from . import redis, smtp  # noqa: F401
from .bus import BACKORDERS, CommandResult, LineResult, MessageBus  # noqa: F401
from .bus import allocate_orders_csv, bootstrap  # noqa: F401
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

#: The version of the loaded liballocation ("1.0.0").
__version__: str = _lib.lib.la_version().decode()

__all__ = [
    "AllocationError", "BACKORDERS", "Batch", "CommandResult", "LineResult", "Conflict", "DatabaseError", "IOError_",
    "InvalidArgument", "InvalidSku", "MessageBus", "NoMemory", "NotFound", "OrderLine", "Product", "StateError",
    "Store", "Unsupported", "UserAbort", "allocate_orders_csv", "bootstrap", "callbacks",
    "commands", "errors", "events", "library_paths", "messages", "model", "policies", "redis",
    "set_log_handler", "smtp", "stores", "version_info", "views",
]


def version_info() -> Tuple[int, int, int]:
    """(major, minor, patch) of the loaded library."""
    major, minor, patch = c_int(), c_int(), c_int()
    _lib.lib.la_version_numbers(byref(major), byref(minor), byref(patch))
    return major.value, minor.value, patch.value


def library_paths() -> Dict[str, str]:
    """{library name: file} of every liballocation library that loads: the
    core and the adapters that are installed (each is loaded to tell)."""
    return {name: _lib.path_of(name) for name in _lib.LIBRARIES if _lib.available(name)}
