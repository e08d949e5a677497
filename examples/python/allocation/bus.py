"""The message bus (spec §1.3) and the book's bootstrap().

``bootstrap`` wires a store, a notifications port and a publisher written in
Python as plain callables into a la_bus. The C callbacks made for them live
exactly as long as the bus.
"""

from ctypes import byref, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass
from typing import Optional

from . import _lib
from . import stores as _stores
from .callbacks import report_exception, status_of, string_pair
from .errors import StateError, check, error_for
from .errors import AllocationError
from .messages import BUILDERS, KIND_OF, Allocate, Command, Event, from_c

_ROUTABLE = {_lib.LA_EVT_OUT_OF_STOCK, _lib.LA_EVT_ALLOCATED}


@dataclass(frozen=True)
class CommandResult:
    """What one command of MessageBus.handle_many came to.

    status is 0 or the negative status code; batchref the batch an Allocate
    went to (None when out of stock, failed, or not an Allocate); error the
    exception the command would have raised alone (None when it succeeded).
    """

    status: int
    batchref: Optional[str]
    error: Optional[AllocationError]

    @property
    def ok(self) -> bool:
        return self.status == 0


class _BusState:
    """The la_bus pointer and the C callbacks it calls.

    Holds no reference to the bus object or the store, so the store can keep
    it (to free the bus first) without a reference cycle.
    """

    def __init__(self, free):
        self.ptr = None
        self.free = free
        self.callbacks = []
        self.nesting = 0  # > 0 while one of this bus's event handlers runs

    def close(self):
        if self.nesting:
            # Freeing a bus under its own la_bus_handle would pull the
            # memory from under the C code that called this handler.
            raise StateError("a bus cannot be closed from inside its own event handler")
        ptr, self.ptr = self.ptr, None
        if ptr is not None:
            self.free(ptr)
        self.callbacks = []


def _options(keep, notify, publish, max_retries, retry_delay_us):
    """la_bus_options with Python ports; their C callbacks are appended to keep."""
    opts = _lib.BusOptions()
    check(_lib.lib.la_bus_options_init(byref(opts), _lib.LA_BUS_OPTIONS_VERSION))
    if max_retries is not None:
        opts.max_retries = max_retries
    if retry_delay_us is not None:
        opts.retry_delay_us = retry_delay_us
    if notify is not None:
        send = notify if callable(notify) else notify.send
        callback = string_pair(send, "notify callback", _lib.NOTIFY_FN)
        keep.append(callback)  # the very object: reading opts.notify back would copy
        opts.notify = callback
    if publish is not None:
        pub = publish if callable(publish) else publish.publish
        callback = string_pair(pub, "publish callback", _lib.PUBLISH_FN)
        keep.append(callback)
        opts.publish = callback
    return opts


def _event_kind(event_class):
    kind = KIND_OF.get(event_class)
    if kind is None or not issubclass(event_class, Event):
        raise TypeError(f"not an event class: {event_class!r}")
    return kind


class MessageBus:
    """A la_bus on a store. Use one bus per thread (bus.h)."""

    def __init__(
        self,
        store,
        notify=None,
        publish=None,
        *,
        max_retries=None,
        retry_delay_us=None,
        owns_store=False,
    ):
        lib = _lib.lib
        self._state = _BusState(lib.la_bus_free)
        self._store = store
        self._owns_store = owns_store
        opts = _options(self._state.callbacks, notify, publish, max_retries, retry_delay_us)
        out = c_void_p()
        check(lib.la_bus_new(byref(out), store.ptr, byref(opts)))
        self._state.ptr = out.value
        store._attach(self._state)
        # Hot-path functions bound once (handle is called in tight loops).
        self._handle = lib.la_bus_handle
        self._message_free = lib.la_message_free
        self._result = lib.la_bus_result_batchref

    def _keep(self, callback):
        self._state.callbacks.append(callback)
        return callback

    @property
    def ptr(self):
        ptr = self._state.ptr
        if ptr is None:
            raise StateError("MessageBus is closed")
        return ptr

    @property
    def store(self):
        return self._store

    @property
    def closed(self):
        return self._state.ptr is None

    def handle(self, message):
        """Handle a command or event dataclass and everything it leads to.

        Returns the batch reference for Allocate (None when out of stock),
        else None. A failed command raises the matching AllocationError.
        Called from one of this bus's event handlers, the message is queued
        (bus.h) and None returned: its outcome is not known yet.
        """
        ptr = self._state.ptr
        if ptr is None:
            raise StateError("MessageBus is closed")
        build = BUILDERS.get(type(message))
        if build is None:
            raise TypeError(f"not a command or event of liballocation: {message!r}")
        out = c_void_p()
        rc = build(message, out)
        if rc < 0:
            raise error_for(rc)
        msg = out.value
        rc = self._handle(ptr, msg)
        if rc < 0:
            error = error_for(rc)
            self._message_free(msg)
            raise error
        self._message_free(msg)
        if type(message) is Allocate and not self._state.nesting:
            ref = self._result(ptr)
            return ref.decode() if ref is not None else None
        return None

    def handle_many(self, commands):
        """Handle many commands in one transaction (group commit).

        Each command is atomic on its own and gets the result it would have
        had alone (bus.h, la_bus_handle_many): returns one CommandResult per
        command, in order. Raises the matching AllocationError only when the
        transaction as a whole failed (a store error, or conflicts past the
        retries): then no command took effect.
        """
        ptr = self._state.ptr
        if ptr is None:
            raise StateError("MessageBus is closed")
        if self._state.nesting:
            raise StateError("handle_many cannot be called from an event handler")
        commands = list(commands)
        built = (c_void_p * len(commands))()
        try:
            for i, command in enumerate(commands):
                build = BUILDERS.get(type(command))
                if build is None or not isinstance(command, Command):
                    raise TypeError(f"not a command of liballocation: {command!r}")
                out = c_void_p()
                rc = build(command, out)
                if rc < 0:
                    raise error_for(rc)
                built[i] = out.value
            lib = _lib.lib
            rc = lib.la_bus_handle_many(ptr, built, len(commands))
            if rc < 0:
                raise error_for(rc)
            results = []
            for i in range(lib.la_bus_result_count(ptr)):
                status = lib.la_bus_result_status(ptr, i)
                ref = lib.la_bus_result_batchref_at(ptr, i)
                error = None
                if status < 0:
                    text = lib.la_bus_result_error(ptr, i)
                    error = error_for(status, text.decode("utf-8", "replace") if text else "")
                results.append(
                    CommandResult(status, ref.decode() if ref is not None else None, error)
                )
            return results
        finally:
            for msg in built:
                if msg:
                    self._message_free(msg)

    def subscribe(self, event_class, handler):
        """Run handler(event) for every event of that class, after earlier ones.

        An exception in handler is logged and counts as a failed handler.
        """
        kind = _event_kind(event_class)
        name = getattr(handler, "__qualname__", repr(handler))
        lib = _lib.lib

        state = self._state

        def trampoline(bus, event, payload):
            state.nesting += 1
            try:
                return status_of(handler(from_c(event, lib)))
            except BaseException:
                return report_exception(f"event handler {name}")
            finally:
                state.nesting -= 1

        callback = _lib.EVENT_HANDLER_FN(trampoline)
        check(lib.la_bus_subscribe(self.ptr, kind, callback, None))
        self._keep(callback)

    def set_route(self, event_class, destination):
        """Send notifications for OutOfStock or Allocated to destination (None: none)."""
        kind = _event_kind(event_class)
        if kind not in _ROUTABLE:
            raise TypeError(f"{event_class.__name__} has no notification route")
        dest = destination.encode() if destination is not None else None
        check(_lib.lib.la_bus_set_route(self.ptr, kind, dest))

    def stats(self):
        """Counters since the bus was made."""
        values = [c_uint64() for _ in range(4)]
        _lib.lib.la_bus_stats(self.ptr, *(byref(v) for v in values))
        names = ("commands", "events", "retries", "handler_failures")
        return {name: v.value for name, v in zip(names, values)}

    def close(self):
        """Free the bus (and its store when bootstrap made it). Safe to repeat."""
        state = getattr(self, "_state", None)
        if state is None:
            return
        store = self._store
        if state.ptr is not None and store is not None:
            store._detach(state)
        state.close()
        if self._owns_store and store is not None:
            store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def bootstrap(
    store=None,
    notify=None,
    publish=None,
    *,
    handlers=None,
    routes=None,
    max_retries=None,
    retry_delay_us=None,
):
    """A ready bus, as the book's bootstrap(): dependencies injected.

    store: a Store, a database URL (opened and owned by the bus) or None for
    a new in-memory store (owned). notify(destination, text) and
    publish(channel, json) are plain callables (or objects with send /
    publish methods). handlers: {EventClass: [handler, ...]}; routes:
    {OutOfStock or Allocated: destination or None}.
    """
    owns = False
    if store is None:
        store, owns = _stores.memory(), True
    elif isinstance(store, str):
        store, owns = _stores.open(store), True
    try:
        bus = MessageBus(
            store,
            notify,
            publish,
            max_retries=max_retries,
            retry_delay_us=retry_delay_us,
            owns_store=owns,
        )
    except BaseException:
        if owns:
            store.close()
        raise
    for event_class, destination in (routes or {}).items():
        bus.set_route(event_class, destination)
    for event_class, fns in (handlers or {}).items():
        for fn in fns if isinstance(fns, (list, tuple)) else [fns]:
            bus.subscribe(event_class, fn)
    return bus


def allocate_orders_csv(folder, notify=None, publish=None, *, max_retries=None):
    """Allocate every line of folder/orders.csv (spec §5), all or nothing.

    Returns (allocated, out_of_stock): lines allocated (or already) and
    lines that found no stock. Needs liballocation-csv.
    """
    fn = _stores.csv_library().la_csv_allocate_orders
    keep = []
    opts = _options(keep, notify, publish, max_retries, None)
    allocated, out_of_stock = c_size_t(), c_size_t()
    check(fn(byref(allocated), byref(out_of_stock), folder.encode(), byref(opts)))
    return allocated.value, out_of_stock.value
