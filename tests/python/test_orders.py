"""Whole orders, holds and backorders from Python (issue 13): the commands
AllocateOrder, Confirm, ExpireHolds and Allocate(hold_seconds), BusOptions
version 2 (a clock, flags), per-line results, and the views' held and
waiting lines. On the memory store, which keeps them."""

import datetime

import pytest

import allocation
from allocation import _lib, commands, events, messages, views


class Clock:
    """A test clock the bus reads (seconds since 1970)."""

    def __init__(self, now=1_000_000):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def held_bus(clock):
    with allocation.bootstrap(clock=clock) as bus:
        yield bus


@pytest.fixture
def backorder_bus(clock):
    with allocation.bootstrap(clock=clock, flags=allocation.BACKORDERS) as bus:
        yield bus


def utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_bus_options_version_2_is_the_c_struct():
    opts = _lib.BusOptions()
    assert _lib.lib.la_bus_options_init(opts, _lib.LA_BUS_OPTIONS_VERSION) == 0
    assert opts.version == 2 and opts.flags == 0 and not opts.clock and not opts.policy
    # the C struct: 3 uints, 4 pointers, then clock, payload, flags, policy
    names = [name for name, _ in _lib.BusOptions._fields_]
    assert names[-4:] == ["clock", "clock_payload", "flags", "policy"]


def test_a_whole_order_is_placed_with_a_result_per_line(held_bus):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 10))
    bus.handle(commands.CreateBatch("b2", "TABLE", 10))
    assert bus.handle(commands.AllocateOrder("o1", [("TABLE", 3), ("LAMP", 4)])) is None
    result = bus.result()
    assert result.ok and result.outcome == "allocated"
    assert result.lines == (allocation.LineResult("TABLE", "b2", False),
                            allocation.LineResult("LAMP", "b1", False))
    # the view lists lines in allocation order: the order's lines went in sku order
    assert views.allocations("o1", bus) == [{"sku": "LAMP", "batchref": "b1"},
                                            {"sku": "TABLE", "batchref": "b2"}]


def test_a_short_order_changes_nothing_and_names_its_short_lines(held_bus):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 10))
    bus.handle(commands.CreateBatch("b2", "TABLE", 2))
    seen = []
    bus.subscribe(events.OutOfStock, seen.append)
    bus.handle(commands.AllocateOrder("o1", [("LAMP", 3), ("TABLE", 4)]))
    result = bus.result()
    assert result.outcome == "out_of_stock"
    assert [(line.sku, line.batchref, line.short) for line in result.lines] == [
        ("LAMP", None, False), ("TABLE", None, True)]
    assert seen == [events.OutOfStock("TABLE")]
    assert views.allocations("o1", bus) == []
    assert next(views.all_batches(bus, "LAMP"))["available"] == 10


def test_bad_orders_raise_and_change_nothing(held_bus):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 10))
    with pytest.raises(allocation.InvalidArgument, match=r"lines\[1\]\.sku"):
        bus.handle(commands.AllocateOrder("o1", [("LAMP", 1), ("LAMP", 2)]))
    with pytest.raises(allocation.InvalidArgument):
        bus.handle(commands.AllocateOrder("o1", []))
    with pytest.raises(allocation.InvalidArgument):
        bus.handle(commands.AllocateOrder("o1", [("LAMP", 1)] * 0 + [(f"S{i}", 1)
                                                                     for i in range(1001)]))
    with pytest.raises(allocation.InvalidArgument):
        bus.handle(commands.Allocate("o1", "LAMP", 1, hold_seconds=86401))
    with pytest.raises(allocation.InvalidSku):
        bus.handle(commands.AllocateOrder("o1", [("LAMP", 1), ("NOPE", 1)]))
    assert views.allocations("o1", bus) == []


def test_a_hold_expires_on_the_bus_clock(held_bus, clock):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 10))
    got = []
    bus.subscribe(events.Allocated, got.append)
    bus.subscribe(events.Deallocated, got.append)
    assert bus.handle(commands.Allocate("o1", "LAMP", 4, hold_seconds=60)) == "b1"
    assert got == [events.Allocated("o1", "LAMP", 4, "b1", clock.now + 60)]
    assert views.allocations("o1", bus) == [
        {"sku": "LAMP", "batchref": "b1", "expires": utc(clock.now + 60)}]
    row = next(views.all_batches(bus, "LAMP"))
    assert row["held"] == 4 and row["allocated"] == 4
    bus.handle(commands.ExpireHolds(clock.now + 59))
    assert views.allocations("o1", bus) != []
    bus.handle(commands.ExpireHolds(clock.now + 60))
    assert views.allocations("o1", bus) == []
    assert got[-1] == events.Deallocated("o1", "LAMP", 4, "expired")
    assert "held" not in next(views.all_batches(bus, "LAMP"))


def test_confirm_makes_a_held_order_permanent(held_bus, clock):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 10))
    bus.handle(commands.CreateBatch("b2", "TABLE", 10))
    bus.handle(commands.AllocateOrder("o1", [("LAMP", 1), ("TABLE", 2)], hold_seconds=30))
    assert all("expires" in row for row in views.allocations("o1", bus))
    bus.handle(commands.Confirm("o1"))
    bus.handle(commands.ExpireHolds(clock.now + 3600))
    assert views.allocations("o1", bus) == [{"sku": "LAMP", "batchref": "b1"},
                                            {"sku": "TABLE", "batchref": "b2"}]
    with pytest.raises(allocation.NotFound, match="Unknown order nobody"):
        bus.handle(commands.Confirm("nobody"))


def test_backorders_wait_and_fill_when_stock_arrives(backorder_bus):
    bus = backorder_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 2))
    assert bus.handle(commands.Allocate("o1", "LAMP", 5)) is None
    assert bus.result().outcome == "backordered"
    assert views.allocations("o1", bus) == [
        {"sku": "LAMP", "batchref": None, "status": "backordered"}]
    assert next(views.all_batches(bus, "LAMP"))["waiting"] == 5
    assert bus.handle(commands.Allocate("o2", "LAMP", 1)) == "b1"  # fits: placed at once
    bus.handle(commands.CreateBatch("b2", "LAMP", 10))
    assert views.allocations("o1", bus) == [{"sku": "LAMP", "batchref": "b2"}]
    assert all("waiting" not in row for row in views.all_batches(bus, "LAMP"))


def test_without_backorders_the_book_is_unchanged(held_bus):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 2))
    assert bus.handle(commands.Allocate("o1", "LAMP", 5)) is None
    assert bus.result().outcome == "out_of_stock"
    bus.handle(commands.CreateBatch("b2", "LAMP", 10))
    assert views.allocations("o1", bus) == []


def test_handle_many_gives_per_line_results(held_bus):
    bus = held_bus
    bus.handle(commands.CreateBatch("b1", "LAMP", 3))
    results = bus.handle_many([
        commands.AllocateOrder("o1", [("LAMP", 2)]),
        commands.AllocateOrder("o2", [("LAMP", 2)]),
        commands.Confirm("o1"),
    ])
    assert [r.outcome for r in results] == ["allocated", "out_of_stock", "done"]
    assert results[0].lines[0].batchref == "b1" and results[1].lines[0].short
    assert bus.result(1) == results[1]
    with pytest.raises(IndexError):
        bus.result(3)


def test_a_clock_that_raises_falls_back_to_the_system_time(caplog):
    def broken():
        raise RuntimeError("no clock")

    with allocation.bootstrap(clock=broken) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 2))
        bus.handle(commands.Allocate("o1", "LAMP", 1, hold_seconds=10))
        (row,) = views.allocations("o1", bus)
        expires = datetime.datetime.strptime(row["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        delta = expires - datetime.datetime.now(datetime.timezone.utc)
        assert datetime.timedelta(seconds=5) < delta <= datetime.timedelta(seconds=11)


def test_new_messages_round_trip_through_c():
    for message in [
        commands.Allocate("o1", "LAMP", 3, hold_seconds=90),
        commands.AllocateOrder("o1", [("LAMP", 1), ("TABLE", 2)], hold_seconds=5),
        commands.Confirm("o1"),
        commands.ExpireHolds(1234),
        events.Allocated("o1", "LAMP", 3, "b1", 5000),
        events.Confirmed("o1", "LAMP", 3, "b1"),
        events.Backordered("o1", "LAMP", 3),
    ]:
        ptr = messages.to_c(message)
        try:
            back = messages.from_c(ptr)
        finally:
            _lib.lib.la_message_free(ptr)
        if isinstance(message, commands.AllocateOrder):
            back.lines = list(back.lines)
            message.lines = list(message.lines)
        assert back == message


@pytest.mark.sqlite
def test_holds_and_waiting_lines_outlive_the_store_on_sqlite(sqlite_url, clock):
    with allocation.bootstrap(sqlite_url, clock=clock, flags=allocation.BACKORDERS) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5))
        bus.handle(commands.AllocateOrder("o1", [("LAMP", 4)], hold_seconds=60))
        assert bus.result().outcome == "allocated"
        bus.handle(commands.Allocate("o2", "LAMP", 3))
        assert bus.result().outcome == "backordered"
    with allocation.bootstrap(sqlite_url, clock=clock, flags=allocation.BACKORDERS) as bus:
        assert views.allocations("o1", bus) == [
            {"sku": "LAMP", "batchref": "b1", "expires": utc(clock.now + 60)}]
        assert views.allocations("o2", bus) == [
            {"sku": "LAMP", "batchref": None, "status": "backordered"}]
        row = next(views.all_batches(bus, "LAMP"))
        assert (row["held"], row["waiting"]) == (4, 3)
        bus.handle(commands.ExpireHolds(clock.now + 60))  # frees 4: the waiting line fits
        assert views.allocations("o1", bus) == []
        assert views.allocations("o2", bus) == [{"sku": "LAMP", "batchref": "b1"}]
