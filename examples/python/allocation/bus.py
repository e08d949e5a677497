"""The message bus (spec §1.3) and the book's bootstrap().

``bootstrap`` wires a store, a notifications port and a publisher written in
Python as plain callables into a la_bus. The C callbacks made for them live
exactly as long as the bus.
"""

import time
from ctypes import byref, c_size_t, c_uint64, c_void_p
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    Type,
    Union,
)

from . import _lib
from . import stores as _stores
from ._handle import Borrowers, Closable, CPort
from .callbacks import report_exception, status_of, string_pair
from .errors import StateError, check, error_for
from .errors import AllocationError
from .messages import BUILDERS, KIND_OF, Allocate, Command, Event, Message, from_c
from .policies import PolicyLike, pointer_of
from .stores import Publisher, Store, new_ptr, publish_function

_ROUTABLE = {_lib.LA_EVT_OUT_OF_STOCK, _lib.LA_EVT_ALLOCATED}


#: la_bus_options.flags: a line that finds no room waits (backorders).
BACKORDERS = _lib.LA_BUS_BACKORDERS

#: The clock port: the time now in seconds since 1970 (UTC).
Clock = Callable[[], int]

_OUTCOMES = {
    _lib.LA_OUTCOME_DONE: "done",
    _lib.LA_OUTCOME_ALLOCATED: "allocated",
    _lib.LA_OUTCOME_OUT_OF_STOCK: "out_of_stock",
    _lib.LA_OUTCOME_BACKORDERED: "backordered",
}


@dataclass(frozen=True)
class LineResult:
    """One line of an AllocateOrder's result: the batch it went to (None
    when the order was not placed), and whether its sku was short."""

    sku: str
    batchref: Optional[str]
    short: bool


@dataclass(frozen=True)
class CommandResult:
    """What one command of MessageBus.handle_many (or the last handle) came to.

    status is 0 or the negative status code; batchref the batch an Allocate
    went to (None when out of stock, failed, or not an Allocate); error the
    exception the command would have raised alone (None when it succeeded);
    outcome "allocated", "out_of_stock", "backordered" or "done" (not an
    allocation, or failed); lines the lines of an AllocateOrder, in its order.
    """

    status: int
    batchref: Optional[str]
    error: Optional[AllocationError]
    outcome: str = "done"
    lines: Tuple[LineResult, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the command succeeded (an Allocate out of stock included)."""
        return self.status == 0


class SupportsSend(Protocol):
    """A notifications port object, as in the book: send(destination, message)."""

    def send(self, destination: str, message: str) -> object:
        """Deliver message to destination (an e-mail address)."""


#: The notifications port: a callable notify(destination, message), an
#: object with a send method, or an allocation.smtp.SmtpNotifications
#: (called from C).
Notifications = Union[Callable[[str, str], object], SupportsSend]

#: An event handler: called with the event dataclass; its result is ignored
#: unless it is a negative status code (the handler failed).
EventHandler = Callable[[Any], object]


class _BusState:
    """The la_bus pointer and the C callbacks it calls.

    Holds no reference to the bus object, the store or the ports, so they
    can keep it (to free the bus first) without a reference cycle.
    """

    def __init__(self, free: Callable[[int], None]) -> None:
        self.ptr: Optional[int] = None
        self.free = free
        self.callbacks: List[Any] = []
        self.nesting = 0  # > 0 while one of this bus's event handlers runs
        self.lent_to: Optional[str] = None  # what runs the bus on its own thread
        self.borrowers = Borrowers()  # e.g. a Redis consumer: closed first

    def close(self) -> None:
        if self.nesting:
            # Freeing a bus under its own la_bus_handle would pull the
            # memory from under the C code that called this handler.
            raise StateError("a bus cannot be closed from inside its own event handler")
        self.borrowers.close_all()
        ptr, self.ptr = self.ptr, None
        if ptr is not None:
            self.free(ptr)
        self.callbacks = []


def _notify_function(notify: Notifications, keep: List[Any]) -> Tuple[Any, Optional[int]]:
    """(C notify function, payload) for a notifications port; see publish_function."""
    if isinstance(notify, CPort):
        keep.append(notify)
        return notify._c_function()
    send = notify if callable(notify) else notify.send
    callback = string_pair(send, "notify callback", _lib.NOTIFY_FN)
    keep.append(callback)  # the very object: reading opts.notify back would copy
    return callback, None


def _clock_function(clock: Clock, keep: List[Any]) -> Any:
    """C clock function for clock(); an exception is logged and the system's
    time used instead (the library needs a time)."""

    def trampoline(payload: Any) -> int:
        try:
            return int(clock())
        except BaseException:
            report_exception("clock")
            return int(time.time())

    callback = _lib.CLOCK_FN(trampoline)
    keep.append(callback)
    return callback


def _options(
    keep: List[Any],
    notify: Optional[Notifications],
    publish: Optional[Publisher],
    max_retries: Optional[int],
    retry_delay_us: Optional[int],
    clock: Optional[Clock] = None,
    flags: int = 0,
    policy: PolicyLike = None,
) -> _lib.BusOptions:
    """la_bus_options with the given ports; what C may call is appended to keep."""
    opts = _lib.BusOptions()
    check(_lib.lib.la_bus_options_init(byref(opts), _lib.LA_BUS_OPTIONS_VERSION))
    opts.flags = flags
    if clock is not None:
        opts.clock = _clock_function(clock, keep)
    if max_retries is not None:
        opts.max_retries = max_retries
    if retry_delay_us is not None:
        opts.retry_delay_us = retry_delay_us
    if notify is not None:
        opts.notify, opts.notify_payload = _notify_function(notify, keep)
    if publish is not None:
        opts.publish, opts.publish_payload = publish_function(publish, keep)
    if policy is not None:
        opts.policy = pointer_of(policy)
        keep.append(policy)  # its C struct and callback live as long as the bus
    return opts


def _decoded(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode() if raw is not None else None


def _result_at(ptr: int, i: int) -> CommandResult:
    """Command i's result, read from the bus at ptr."""
    lib = _lib.lib
    status = lib.la_bus_result_status(ptr, i)
    error: Optional[AllocationError] = None
    if status < 0:
        text: Optional[bytes] = lib.la_bus_result_error(ptr, i)
        error = error_for(status, text.decode("utf-8", "replace") if text else "")
    lines = tuple(
        LineResult(
            _decoded(lib.la_bus_result_line_sku(ptr, i, n)) or "",
            _decoded(lib.la_bus_result_line_batchref(ptr, i, n)),
            bool(lib.la_bus_result_line_short(ptr, i, n)),
        )
        for n in range(lib.la_bus_result_line_count(ptr, i))
    )
    outcome = _OUTCOMES.get(lib.la_bus_result_outcome(ptr, i), "done")
    return CommandResult(
        status, _decoded(lib.la_bus_result_batchref_at(ptr, i)), error, outcome, lines
    )


def _event_kind(event_class: type) -> int:
    kind = KIND_OF.get(event_class)
    if kind is None or not issubclass(event_class, Event):
        raise TypeError(f"not an event class: {event_class!r}")
    return kind


class MessageBus:
    """The message bus (spec §1.3): handles commands and events on a store,
    calling the notifications port, the publisher and event handlers.

    Made by bootstrap() (usually) or MessageBus(store, notify, publish).
    max_retries and retry_delay_us tune the retries after a Conflict (None:
    the library's defaults). clock() gives the time for holds (seconds since
    1970; None: the system's); flags BACKORDERS makes lines that find no
    room wait for stock. policy: the allocation policy, a
    policies.Policy or a built-in's name ("book", the default, or
    "latest-in-time"). A context manager; close() frees it (and the
    store, when bootstrap opened that store). Use one bus per thread.
    """

    def __init__(
        self,
        store: Store,
        notify: Optional[Notifications] = None,
        publish: Optional[Publisher] = None,
        *,
        max_retries: Optional[int] = None,
        retry_delay_us: Optional[int] = None,
        owns_store: bool = False,
        clock: Optional[Clock] = None,
        flags: int = 0,
        policy: PolicyLike = None,
    ) -> None:
        lib = _lib.lib
        self._state = _BusState(lib.la_bus_free)
        self._store = store
        self._owns_store = owns_store
        keep: List[Any] = []
        opts = _options(
            keep, notify, publish, max_retries, retry_delay_us, clock, flags, policy
        )
        # C ports (SMTP, Redis) are kept by the bus, which they close before
        # they are freed; the state keeps only the Python callbacks.
        self._ports = [k for k in keep if isinstance(k, CPort)]
        self._state.callbacks = [k for k in keep if not isinstance(k, CPort)]
        out = c_void_p()
        check(lib.la_bus_new(byref(out), store.ptr, byref(opts)))
        self._state.ptr = new_ptr(out)
        for owner in [store, *self._ports]:
            owner._lend(self._state)
        # Hot-path functions bound once (handle is called in tight loops).
        self._handle = lib.la_bus_handle
        self._message_free = lib.la_message_free
        self._result = lib.la_bus_result_batchref

    def _keep(self, callback: Any) -> Any:
        self._state.callbacks.append(callback)
        return callback

    def _lend(self, borrower: Closable) -> None:
        """borrower uses this bus's C object: closed before the bus is freed."""
        self._state.borrowers.add(borrower)

    def _unlend(self, borrower: Closable) -> None:
        self._state.borrowers.remove(borrower)

    def _lend_thread(self, user: Optional[str]) -> None:
        """user (e.g. "a RedisConsumer") runs this bus on a thread of its own
        from now on (None: no more); handle() refuses meanwhile."""
        if user is not None and self._state.lent_to is not None:
            raise StateError(f"MessageBus is already in use by {self._state.lent_to}")
        self._state.lent_to = user

    @property
    def ptr(self) -> int:
        """The la_bus pointer; StateError once closed."""
        ptr = self._state.ptr
        if ptr is None:
            raise StateError("MessageBus is closed")
        return ptr

    @property
    def store(self) -> Store:
        """The store this bus works on."""
        return self._store

    @property
    def closed(self) -> bool:
        """True once closed (by close(), or by closing its store or a port)."""
        return self._state.ptr is None

    def handle(self, message: Message) -> Optional[str]:
        """Handle a command or event dataclass and everything it leads to.

        Returns the batch reference for Allocate (None when out of stock),
        else None. A failed command raises the matching AllocationError.
        Called from one of this bus's event handlers, the message is queued
        (bus.h) and None returned: its outcome is not known yet.
        """
        state = self._state
        ptr = state.ptr
        if ptr is None or state.lent_to is not None:
            what = f"in use by {state.lent_to}" if ptr else "closed"
            raise StateError(f"MessageBus is {what}")
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
        if type(message) is Allocate and not state.nesting:
            ref: Optional[bytes] = self._result(ptr)
            return ref.decode() if ref is not None else None
        return None

    def handle_many(self, commands: Iterable[Message]) -> List[CommandResult]:
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
        batch = list(commands)
        built = (c_void_p * len(batch))()
        try:
            for i, command in enumerate(batch):
                build = BUILDERS.get(type(command))
                if build is None or not isinstance(command, Command):
                    raise TypeError(f"not a command of liballocation: {command!r}")
                out = c_void_p()
                rc = build(command, out)
                if rc < 0:
                    raise error_for(rc)
                built[i] = out.value
            lib = _lib.lib
            rc = lib.la_bus_handle_many(ptr, built, len(batch))
            if rc < 0:
                raise error_for(rc)
            return [_result_at(ptr, i) for i in range(lib.la_bus_result_count(ptr))]
        finally:
            for msg in built:
                if msg:
                    self._message_free(msg)

    def result(self, index: int = 0) -> CommandResult:
        """The result of command index of the last handle (index 0) or
        handle_many: e.g. the batch of each line of an AllocateOrder, or
        whether an Allocate was backordered. IndexError out of range."""
        ptr = self.ptr
        if not 0 <= index < _lib.lib.la_bus_result_count(ptr):
            raise IndexError(f"no result {index} of the last call")
        return _result_at(ptr, index)

    def finish_reallocations(self) -> int:
        """Finish the reallocations a crashed process left pending (bus.h,
        la_bus_finish_reallocations): each line placed, or its OutOfStock
        handled again. Call it after opening a store; returns how many."""
        if self._state.nesting:
            raise StateError("finish_reallocations cannot be called from an event handler")
        finished = c_size_t()
        check(_lib.lib.la_bus_finish_reallocations(self.ptr, byref(finished)))
        return finished.value

    def subscribe(self, event_class: Type[Event], handler: EventHandler) -> None:
        """Run handler(event) for every event of that class, after earlier ones.

        An exception in handler is logged and counts as a failed handler.
        """
        kind = _event_kind(event_class)
        name = getattr(handler, "__qualname__", repr(handler))
        lib = _lib.lib

        state = self._state

        def trampoline(bus: Any, event: int, payload: Any) -> int:
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

    def set_route(self, event_class: Type[Event], destination: Optional[str]) -> None:
        """Send notifications for OutOfStock or Allocated to destination (None: none)."""
        kind = _event_kind(event_class)
        if kind not in _ROUTABLE:
            raise TypeError(f"{event_class.__name__} has no notification route")
        dest = destination.encode() if destination is not None else None
        check(_lib.lib.la_bus_set_route(self.ptr, kind, dest))

    def stats(self) -> Dict[str, int]:
        """Counters since the bus was made: commands, events, retries and
        handler_failures."""
        values = [c_uint64() for _ in range(4)]
        _lib.lib.la_bus_stats(self.ptr, *(byref(v) for v in values))
        names = ("commands", "events", "retries", "handler_failures")
        return {name: v.value for name, v in zip(names, values)}

    def close(self) -> None:
        """Free the bus (and its store when bootstrap made it). Safe to repeat."""
        state = getattr(self, "_state", None)
        if state is None:
            return
        store = self._store
        lent = state.ptr is not None
        state.close()  # StateError from inside its own event handler: nothing changed
        if lent:
            for owner in [store, *self._ports]:
                owner._unlend(state)
        self._ports = []
        if self._owns_store:
            store.close()

    def __enter__(self) -> "MessageBus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def bootstrap(
    store: Union[Store, str, None] = None,
    notify: Optional[Notifications] = None,
    publish: Optional[Publisher] = None,
    *,
    handlers: Optional[Mapping[Type[Event], Union[EventHandler, Iterable[EventHandler]]]] = None,
    routes: Optional[Mapping[Type[Event], Optional[str]]] = None,
    max_retries: Optional[int] = None,
    retry_delay_us: Optional[int] = None,
    clock: Optional[Clock] = None,
    flags: int = 0,
    policy: PolicyLike = None,
) -> MessageBus:
    """A ready bus, as the book's bootstrap(): dependencies injected.

    store: a Store, a database URL (opened and owned by the bus) or None for
    a new in-memory store (owned). notify(destination, text) and
    publish(channel, json) are plain callables, objects with send /
    publish methods, or the C ports allocation.smtp.SmtpNotifications and
    allocation.redis.RedisPublisher. handlers: {EventClass: [handler, ...]};
    routes: {OutOfStock or Allocated: destination or None}. policy: the
    allocation policy (allocation.policies; None: "book"). clock and flags:
    see MessageBus.
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
            clock=clock,
            flags=flags,
            policy=policy,
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


def allocate_orders_csv(
    folder: str,
    notify: Optional[Notifications] = None,
    publish: Optional[Publisher] = None,
    *,
    max_retries: Optional[int] = None,
) -> Tuple[int, int]:
    """Allocate every line of folder/orders.csv (spec §5), all or nothing.

    Returns (allocated, out_of_stock): lines allocated (or already) and
    lines that found no stock. Needs liballocation-csv.
    """
    fn = _stores.csv_library().la_csv_allocate_orders
    keep: List[Any] = []
    opts = _options(keep, notify, publish, max_retries, None)
    allocated, out_of_stock = c_size_t(), c_size_t()
    check(fn(byref(allocated), byref(out_of_stock), folder.encode(), byref(opts)))
    return allocated.value, out_of_stock.value
