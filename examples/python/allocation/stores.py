"""Stores: where products and read models live (one per adapter)."""

from ctypes import byref, c_size_t, c_void_p

from . import _lib
from ._handle import Handle
from .callbacks import string_pair
from .errors import Unsupported, check


class Store(Handle):
    """A la_store. Close it (or use ``with``) when done; buses on it close first."""

    def __init__(self, ptr):
        super().__init__(ptr, _lib.lib.la_store_free)
        # Buses running on this store, closed before it (bus.h: free the
        # buses first). Held strongly: each entry holds no reference back.
        self._buses = {}

    def _attach(self, bus_state):
        self._buses[id(bus_state)] = bus_state

    def _detach(self, bus_state):
        self._buses.pop(id(bus_state), None)

    def close(self):
        buses = getattr(self, "_buses", None)
        if buses:
            for state in list(buses.values()):
                state.close()
            buses.clear()
        super().close()

    @property
    def adapter(self):
        """"memory", "sqlite", "postgres", ..."""
        return _lib.lib.la_store_adapter(self.ptr).decode()

    @property
    def has_outbox(self):
        return bool(_lib.lib.la_store_has_outbox(self.ptr))

    def relay_outbox(self, publish, max=0):
        """Publish the outbox through publish(channel, json); returns how many were sent."""
        callback = string_pair(publish, "publish callback", _lib.PUBLISH_FN)
        sent = c_size_t()
        check(_lib.lib.la_store_relay_outbox(byref(sent), self.ptr, max, callback, None))
        return sent.value

    def __repr__(self):
        state = "closed" if self.closed else self.adapter
        return f"<allocation.Store {state}>"


def _flags(outbox):
    return _lib.LA_STORE_OUTBOX if outbox else 0


def _adapter(libname):
    if not _lib.available(libname):
        raise Unsupported(f"lib{libname} is not available (set LA_LIBRARY_PATH)")
    return _lib.load(libname)


def _open_with(libname, fname, target, outbox):
    fn = getattr(_adapter(libname), fname)
    out = c_void_p()
    check(fn(byref(out), target.encode(), _flags(outbox)))
    return Store(out.value)


def csv_library():
    return _adapter("allocation-csv")


def memory():
    """A new empty in-memory store."""
    out = c_void_p()
    check(_lib.lib.la_memory_store_new(byref(out)))
    return Store(out.value)


def sqlite(url="sqlite::memory:", outbox=False):
    """A SQLite store: "sqlite:PATH", a bare PATH or "sqlite::memory:"."""
    return _open_with("allocation-sqlite", "la_sqlite_store_open", url, outbox)


def postgres(conninfo, outbox=False):
    """A PostgreSQL store: any libpq conninfo or postgresql:// URL."""
    return _open_with("allocation-pg", "la_pg_store_open", conninfo, outbox)


def csv(folder):
    """A store over a folder of CSV files (spec §5): batches.csv, allocations.csv."""
    out = c_void_p()
    check(csv_library().la_csv_store_open(byref(out), folder.encode()))
    return Store(out.value)


def open(url, outbox=False):
    """A store for a database URL (spec §7): "memory:", postgres URLs and
    conninfos, else SQLite."""
    if url in ("memory", "memory:"):
        return memory()
    if url.startswith(("postgres://", "postgresql://")) or "=" in url.split("?")[0]:
        return postgres(url, outbox)
    return sqlite(url, outbox)
