"""Python callbacks that raise: logged through the library's log path,
counted as failed handlers, never a crash."""

import logging

import pytest

import allocation
from allocation import commands, events, views


def boom(*args):
    raise RuntimeError("boom from Python")


def test_raising_event_handler_is_logged_and_others_still_run(bus, caplog):
    seen = []
    bus.subscribe(events.Allocated, boom)
    bus.subscribe(events.Allocated, seen.append)
    bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
    with caplog.at_level(logging.DEBUG, logger="allocation"):
        assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
    assert seen == [events.Allocated("o1", "LAMP", 1, "b1")]
    assert bus.stats()["handler_failures"] >= 1
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "allocation")
    assert "RuntimeError: boom from Python" in logged
    assert "event handler boom" in logged
    # The command's own work stands: the read model has the allocation.
    assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b1"}]


def test_raising_notifications_port_does_not_fail_the_command(caplog):
    with allocation.bootstrap(notify=boom) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 0, None))
        with caplog.at_level(logging.ERROR, logger="allocation"):
            assert bus.handle(commands.Allocate("o1", "LAMP", 1)) is None
        assert bus.stats()["handler_failures"] >= 1
    assert any("notify callback" in r.getMessage() for r in caplog.records)


def test_raising_publisher_does_not_fail_the_command(caplog):
    with allocation.bootstrap(publish=boom) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
        with caplog.at_level(logging.ERROR, logger="allocation"):
            assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
    assert any("publish callback" in r.getMessage() for r in caplog.records)


def test_handler_returning_a_status_is_a_failed_handler(bus):
    bus.subscribe(events.Allocated, lambda e: allocation._lib.LA_EIO)
    bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
    bus.handle(commands.Allocate("o1", "LAMP", 1))
    assert bus.stats()["handler_failures"] == 1


def test_base_exceptions_are_caught_too(bus):
    def exits(event):
        raise SystemExit(3)

    bus.subscribe(events.Allocated, exits)
    bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
    assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"


def test_log_handler_can_be_replaced(bus):
    lines = []
    allocation.set_log_handler(lambda level, text: lines.append((level, text)))
    try:
        bus.subscribe(events.Allocated, boom)
        bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
        bus.handle(commands.Allocate("o1", "LAMP", 1))
    finally:
        allocation.set_log_handler(None)
    assert any(level == 1 and "boom from Python" in text for level, text in lines)


def test_callbacks_live_as_long_as_the_bus(notifications):
    import gc

    bus = allocation.bootstrap(notify=notifications.send)
    bus.subscribe(events.OutOfStock, lambda e: None)
    gc.collect()  # nothing but the bus holds the C callbacks
    bus.handle(commands.CreateBatch("b1", "LAMP", 0, None))
    bus.handle(commands.Allocate("o1", "LAMP", 1))
    bus.close()
    assert notifications.sent == {"stock@made.com": ["Out of stock for LAMP"]}


def test_relay_outbox_on_memory_store_is_unsupported():
    with allocation.stores.memory() as store:
        with pytest.raises(allocation.Unsupported):
            store.relay_outbox(lambda channel, text: None)


def test_closing_the_bus_inside_its_handler_is_refused(bus):
    errors = []

    def closes(event):
        try:
            bus.close()
        except allocation.StateError as exc:
            errors.append(str(exc))

    bus.subscribe(events.Allocated, closes)
    bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
    assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
    assert errors and not bus.closed


def test_a_raising_log_handler_is_ignored(bus):
    allocation.set_log_handler(boom)
    try:
        bus.subscribe(events.Allocated, boom)  # makes the library log
        bus.handle(commands.CreateBatch("b1", "LAMP", 5, None))
        assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
    finally:
        allocation.set_log_handler(None)
