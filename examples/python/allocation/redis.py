"""External events over Redis (spec §4): liballocation-redis from Python.

* ``RedisPublisher(url)``: publishes messages; give it to a bus
  (``bootstrap(publish=...)``) or to ``store.relay_outbox``, which then
  call its C function directly.
* ``RedisConsumer(url, bus)``: turns the inbound channels
  (``change_batch_quantity``, ``batch_created``, ``batch_cancelled``,
  ``allocation_required``, ``order_allocation_required``) into commands on a bus.
* ``RedisRelay(url, store)``: publishes a store's transactional outbox
  (a store opened with ``outbox=True``).

mode is "pubsub" (PUBLISH / SUBSCRIBE, the book's contract) or "streams"
(XADD, XREADGROUP, XACK: durable); URLs are "redis://host[:port][/db]",
"redis://:password@host:port/db" or "unix:/path/to/socket". See
docs/redis.md for the messages and the delivery rules.

    import allocation
    from allocation import stores
    from allocation.redis import RedisConsumer, RedisRelay

    url, db = "redis://127.0.0.1:6379", "sqlite:shop.db"
    with stores.sqlite(db, outbox=True) as bus_store, \\
            stores.sqlite(db, outbox=True) as relay_store, \\
            allocation.bootstrap(bus_store) as bus, \\
            RedisRelay(url, relay_store) as relay, \\
            RedisConsumer(url, bus, relay=relay) as consumer:
        relay.start()
        consumer.start()    # both run on threads of their own until closed
        ...

A consumer runs the bus on its own thread, and a relay the store: use them
for nothing else meanwhile (bus.handle raises StateError while a consumer
runs it). Closing a bus, store or relay first closes what borrowed it.
"""

import atexit
import threading
import weakref
from ctypes import byref, c_size_t, c_uint64, c_void_p, cast
from typing import Any, Callable, Dict, Optional, Tuple

from . import _lib
from ._handle import CPort, Handle
from .bus import MessageBus
from .errors import InvalidArgument, StateError, check
from .stores import Store, adapter_library, new_ptr

_MODES = {"pubsub": _lib.LA_REDIS_PUBSUB, "streams": _lib.LA_REDIS_STREAMS}


def _library() -> Any:
    return adapter_library("allocation-redis")


def _mode(mode: str) -> int:
    value = _MODES.get(mode)
    if value is None:
        raise InvalidArgument(f'redis mode must be "pubsub" or "streams", not {mode!r}')
    return value


class RedisPublisher(CPort):
    """Publishes JSON messages to Redis: PUBLISH channel json, or in streams
    mode XADD channel * id <id> json <json>.

    A message without an "id" field is given a unique one. The URL is
    checked now (InvalidArgument); the connection is made on first use and
    made again after a failure. A context manager; close() first closes the
    buses that use it.
    """

    def __init__(self, url: str, mode: str = "pubsub") -> None:
        lib = _library()
        out = c_void_p()
        check(lib.la_redis_new(byref(out), url.encode(), _mode(mode)))
        super().__init__(new_ptr(out), lib.la_redis_free)
        self._publish = lib.la_redis_publish
        self.mode = mode

    def publish(self, channel: str, json_text: str) -> None:
        """Publish json_text (a JSON object) on channel now; IOError_ when
        Redis cannot be reached (after one reconnection attempt)."""
        check(self._publish(channel.encode(), json_text.encode(), self.ptr))

    def _c_function(self) -> Tuple[Any, int]:
        return _lib.PUBLISH_FN(cast(self._publish, c_void_p).value or 0), self.ptr

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.mode
        return f"<allocation.redis.RedisPublisher {state}>"


class _Runner(Handle):
    """A C object whose run() blocks until its stop(), which any thread may
    call: run in the caller's thread, or start() on a thread of its own."""

    def __init__(
        self, ptr: int, lib: Any, prefix: str, on_run: Optional[Callable[[bool], None]] = None
    ) -> None:
        super().__init__(ptr, getattr(lib, prefix + "free"))
        self._run_c = getattr(lib, prefix + "run")
        self._stop_c = getattr(lib, prefix + "stop")
        self._on_run = on_run  # told True before a run (may refuse), False after
        self._lock = threading.Lock()
        self._running = False
        self._idle = threading.Event()
        self._idle.set()
        self._runner: Optional[int] = None  # the thread in run()
        self._thread: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None

    @property
    def running(self) -> bool:
        """True from start() or run() until stopped."""
        return self._running

    def _claim(self) -> int:
        """Mark it running (StateError if it is, or if what it runs is in
        use); its pointer."""
        ptr = self.ptr
        with self._lock:
            if self._running:
                raise StateError(f"{type(self).__name__} is already running")
            if self._on_run is not None:
                self._on_run(True)
            self._running = True
            self._idle.clear()
            self._error = None
            _RUNNING.add(self)
        return ptr

    def run(self) -> None:
        """Run in this thread until stop() is called from another one.
        StateError if already running."""
        self._serve(self._claim())

    def _serve(self, ptr: int) -> None:
        self._runner = threading.get_ident()
        try:
            check(self._run_c(ptr))
        finally:
            if self._on_run is not None:
                self._on_run(False)
            self._runner = None
            self._running = False
            _RUNNING.discard(self)
            self._idle.set()

    def start(self) -> None:
        """Run on a new daemon thread until stop() or close(). StateError if
        already running; an error of the run is raised by stop()."""
        ptr = self._claim()
        thread = threading.Thread(
            target=self._serve_thread, args=(ptr,), name=type(self).__name__, daemon=True
        )
        self._thread = thread
        thread.start()

    def _serve_thread(self, ptr: int) -> None:
        try:
            self._serve(ptr)
        except BaseException as exc:  # handed to the thread that stops
            self._error = exc

    def stop(self) -> None:
        """Ask run() to return and wait until it has (from any thread but
        the running one); re-raises an error the background run ended with."""
        if self._ptr is None:
            return
        if self._running:
            if self._runner == threading.get_ident():
                raise StateError(f"{type(self).__name__} cannot stop itself from its own thread")
            self._stop_c(self._ptr)
            self._idle.wait()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Close what borrowed it, stop, then free. Safe to repeat."""
        if self._borrowers is not None:
            self._borrowers.close_all()
        try:
            self.stop()
        finally:
            super().close()


_RUNNING: "weakref.WeakSet[_Runner]" = weakref.WeakSet()


@atexit.register
def _stop_all_at_exit() -> None:
    """Stop what still runs at exit, so that no C thread calls into Python
    (a handler, the log sink) while the interpreter is finalised."""
    for runner in list(_RUNNING):
        try:
            runner.stop()
        except BaseException:
            pass


class RedisRelay(_Runner):
    """Publishes the transactional outbox of store (opened with outbox=True,
    else Unsupported) to Redis, oldest first.

    start() (or run()) polls the outbox every 10 ms, sooner after wake(),
    and retries with backoff while Redis is down; flush() publishes what is
    queued once, without a thread. The store is borrowed: open one for the
    relay alone. A context manager; close() stops it and frees it.
    """

    def __init__(self, url: str, store: Store, mode: str = "pubsub") -> None:
        lib = _library()
        out = c_void_p()
        check(lib.la_redis_relay_new(byref(out), url.encode(), _mode(mode), store.ptr))
        super().__init__(new_ptr(out), lib, "la_redis_relay_")
        self._flush = lib.la_redis_relay_flush
        self._wake = lib.la_redis_relay_wake
        self._stats = lib.la_redis_relay_stats
        self.store = store
        self.mode = mode
        store._lend(self)

    def flush(self) -> int:
        """Publish what is queued now, once; returns how many were published.
        IOError_ when Redis cannot be reached (the rest stays queued)."""
        if self._running:
            raise StateError("RedisRelay is running: it flushes by itself (see wake())")
        sent = c_size_t()
        check(self._flush(self.ptr, byref(sent)))
        return sent.value

    def wake(self) -> None:
        """Make a running relay poll now. Any thread."""
        self._wake(self.ptr)

    def stats(self) -> Dict[str, int]:
        """Messages published and failed publish attempts so far."""
        published, failures = c_uint64(), c_uint64()
        self._stats(self.ptr, byref(published), byref(failures))
        return {"published": published.value, "failures": failures.value}

    def close(self) -> None:
        super().close()
        store = getattr(self, "store", None)  # None: __init__ failed
        if store is not None:
            store._unlend(self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("running" if self.running else self.mode)
        return f"<allocation.redis.RedisRelay {state}>"


class RedisConsumer(_Runner):
    """Turns the inbound channels into commands on bus:

    ==========================  ===============================  ===================
    channel                     JSON                             command
    ==========================  ===============================  ===================
    change_batch_quantity       {"batchref", "qty"}              ChangeBatchQuantity
    batch_created               {"ref", "sku", "qty", "eta"}     CreateBatch
    batch_cancelled             {"ref"}                          CancelBatch
    allocation_required         {"orderid", "sku", "qty"}        Allocate
    order_allocation_required   {"orderid", "lines": [...]}      AllocateOrder
    ==========================  ===============================  ===================

    start() (or run()) subscribes (streams: reads as member ``consumer`` of
    the consumer group ``group``, both "allocation" by default) and
    reconnects by itself while Redis is down; a malformed message is logged
    and skipped, a message already handled is skipped. relay (optional) is
    woken after each command, so what it caused is published at once. While
    the consumer runs, the bus is its alone: bus.handle raises StateError.
    A context manager; close() stops it and frees it.
    """

    def __init__(
        self,
        url: str,
        bus: MessageBus,
        mode: str = "pubsub",
        *,
        group: Optional[str] = None,
        consumer: Optional[str] = None,
        relay: Optional[RedisRelay] = None,
    ) -> None:
        lib = _library()
        out = c_void_p()
        check(lib.la_redis_consumer_new(byref(out), url.encode(), _mode(mode), bus.ptr))
        super().__init__(new_ptr(out), lib, "la_redis_consumer_", self._lend_bus)
        self._stats = lib.la_redis_consumer_stats
        self._set_relay = lib.la_redis_consumer_set_relay
        self.bus = bus
        self.mode = mode
        self.relay: Optional[RedisRelay] = None
        bus._lend(self)
        if group is not None or consumer is not None:
            check(
                lib.la_redis_consumer_set_group(
                    self.ptr,
                    group.encode() if group is not None else None,
                    consumer.encode() if consumer is not None else None,
                )
            )
        if relay is not None:
            self.set_relay(relay)

    def _lend_bus(self, running: bool) -> None:
        self.bus._lend_thread("a RedisConsumer" if running else None)

    def set_relay(self, relay: Optional[RedisRelay]) -> None:
        """Wake relay after every command applied (None: no relay). Not
        while running."""
        if self._running:
            raise StateError("RedisConsumer is running: set its relay before start()")
        if self.relay is not None:
            self.relay._unlend(self)
        self._set_relay(self.ptr, relay.ptr if relay is not None else None)
        self.relay = relay
        if relay is not None:
            relay._lend(self)  # closing the relay closes this consumer first

    def stats(self) -> Dict[str, int]:
        """Counters so far: commands applied, messages skipped as malformed
        or as already handled (duplicates), commands that failed. Any thread."""
        values = [c_uint64() for _ in range(4)]
        self._stats(self.ptr, *(byref(v) for v in values))
        names = ("applied", "malformed", "duplicates", "failed")
        return {name: v.value for name, v in zip(names, values)}

    def close(self) -> None:
        super().close()
        for owner in (getattr(self, "bus", None), getattr(self, "relay", None)):
            if owner is not None:  # None: no relay, or __init__ failed
                owner._unlend(self)

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("running" if self.running else self.mode)
        return f"<allocation.redis.RedisConsumer {state}>"
