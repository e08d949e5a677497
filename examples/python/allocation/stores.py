"""Stores: where products and read models live (one per adapter).

``memory()``, ``sqlite(url)``, ``postgres(conninfo)``, ``csv(folder)``, or
``open(url)``, which picks the adapter from a URL as the CLI does. Each
returns a ``Store``; close it (or use ``with``) when done.
"""

from ctypes import byref, c_double, c_size_t, c_void_p
from typing import Any, Callable, List, Optional, Protocol, Tuple, Union, cast

from . import _lib
from ._handle import CPort, Handle
from .callbacks import string_pair
from .errors import Unsupported, check


class SupportsPublish(Protocol):
    """A publisher object: publish(channel, json_text)."""

    def publish(self, channel: str, json_text: str) -> object:
        """Publish json_text (a JSON object) on channel."""


#: A publisher: a callable publish(channel, json_text), an object with a
#: publish method, or an allocation.redis.RedisPublisher (called from C).
Publisher = Union[Callable[[str, str], object], SupportsPublish]


def publish_function(publish: Publisher, keep: List[Any]) -> Tuple[Any, Optional[int]]:
    """(C publish function, payload) for a publisher; what C may call is
    appended to keep, which must outlive every call."""
    if isinstance(publish, CPort):
        keep.append(publish)
        return publish._c_function()
    pub = publish if callable(publish) else publish.publish
    callback = string_pair(pub, "publish callback", _lib.PUBLISH_FN)
    keep.append(callback)  # the very object: a copy read back from C would not be kept
    return callback, None


class Store(Handle):
    """A la_store. Close it (or use ``with``) when done; buses on it close first."""

    def __init__(self, ptr: int) -> None:
        super().__init__(ptr, _lib.lib.la_store_free)

    @property
    def adapter(self) -> str:
        """"memory", "sqlite", "postgres", "csv"."""
        name: bytes = _lib.lib.la_store_adapter(self.ptr)
        return name.decode()

    @property
    def has_outbox(self) -> bool:
        """True for a store opened with outbox=True (spec §4.2)."""
        return bool(_lib.lib.la_store_has_outbox(self.ptr))

    def relay_outbox(self, publish: Publisher, max: int = 0) -> int:
        """Publish the outbox through publish(channel, json), oldest first;
        at most max messages (0: all). Returns how many were sent."""
        keep: List[Any] = []
        function, payload = publish_function(publish, keep)
        sent = c_size_t()
        check(_lib.lib.la_store_relay_outbox(byref(sent), self.ptr, max, function, payload))
        return sent.value

    def outbox_status(self) -> Tuple[int, float]:
        """(messages not yet published, age in seconds of the oldest: 0.0
        when none); Unsupported for a store without an outbox."""
        pending, age = c_size_t(), c_double()
        check(_lib.lib.la_store_outbox_status(self.ptr, byref(pending), byref(age)))
        return pending.value, age.value

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.adapter
        return f"<allocation.Store {state}>"


def _flags(outbox: bool) -> int:
    return _lib.LA_STORE_OUTBOX if outbox else 0


def adapter_library(libname: str) -> Any:
    """The CDLL of an optional adapter; Unsupported when it cannot be loaded."""
    try:
        return _lib.load(libname)
    except _lib.LibraryNotFound as exc:
        raise Unsupported(f"lib{libname} is not available: {exc}") from None


def new_ptr(out: c_void_p) -> int:
    """The object a constructor that returned LA_OK stored in out."""
    return cast(int, out.value)


def _open_with(libname: str, fname: str, target: str, outbox: bool) -> Store:
    fn = getattr(adapter_library(libname), fname)
    out = c_void_p()
    check(fn(byref(out), target.encode(), _flags(outbox)))
    return Store(new_ptr(out))


def csv_library() -> Any:
    """The CDLL of liballocation-csv (Unsupported when not installed)."""
    return adapter_library("allocation-csv")


def memory() -> Store:
    """A new empty in-memory store."""
    out = c_void_p()
    check(_lib.lib.la_memory_store_new(byref(out)))
    return Store(new_ptr(out))


def sqlite(url: str = "sqlite::memory:", outbox: bool = False) -> Store:
    """A SQLite store: "sqlite:PATH", a bare PATH or "sqlite::memory:"."""
    return _open_with("allocation-sqlite", "la_sqlite_store_open", url, outbox)


def postgres(conninfo: str, outbox: bool = False) -> Store:
    """A PostgreSQL store: any libpq conninfo or postgresql:// URL."""
    return _open_with("allocation-pg", "la_pg_store_open", conninfo, outbox)


def csv(folder: str) -> Store:
    """A store over a folder of CSV files (spec §5): batches.csv, allocations.csv."""
    out = c_void_p()
    check(csv_library().la_csv_store_open(byref(out), folder.encode()))
    return Store(new_ptr(out))


def open(url: str, outbox: bool = False) -> Store:
    """A store for a database URL (spec §7): "memory:", postgres URLs and
    conninfos, else SQLite."""
    if url in ("memory", "memory:"):
        return memory()
    if url.startswith(("postgres://", "postgresql://")) or "=" in url.split("?")[0]:
        return postgres(url, outbox)
    return sqlite(url, outbox)

