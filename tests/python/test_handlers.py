"""The book's service-layer tests (test_handlers.py) on the in-memory store,
with a notifications port and a publisher written in Python."""

import json
from datetime import date

import pytest

import allocation
from allocation import InvalidSku, NotFound, commands, events, views


def batch_row(bus, ref):
    (row,) = [r for r in views.all_batches(bus.store) if r["ref"] == ref]
    return row


class TestAddBatch:
    def test_for_new_product(self, bus):
        bus.handle(commands.CreateBatch("b1", "CRUNCHY-ARMCHAIR", 100, None))
        row = batch_row(bus, "b1")
        assert (row["sku"], row["purchased"], row["available"]) == ("CRUNCHY-ARMCHAIR", 100, 100)

    def test_for_existing_product(self, bus):
        bus.handle(commands.CreateBatch("b1", "GARISH-RUG", 100, None))
        bus.handle(commands.CreateBatch("b2", "GARISH-RUG", 99, None))
        refs = [r["ref"] for r in views.all_batches(bus.store, sku="GARISH-RUG")]
        assert refs == ["b1", "b2"]

    def test_redelivered_batch_is_a_no_op_and_a_different_one_conflicts(self, bus):
        bus.handle(commands.CreateBatch("b1", "GARISH-RUG", 100, "2011-01-02"))
        bus.handle(commands.CreateBatch("b1", "GARISH-RUG", 100, date(2011, 1, 2)))
        with pytest.raises(allocation.Conflict):
            bus.handle(commands.CreateBatch("b1", "GARISH-RUG", 5, None))
        assert batch_row(bus, "b1")["eta"] == date(2011, 1, 2)


class TestAllocate:
    def test_allocates(self, bus):
        bus.handle(commands.CreateBatch("batch1", "COMPLICATED-LAMP", 100, None))
        assert bus.handle(commands.Allocate("o1", "COMPLICATED-LAMP", 10)) == "batch1"
        assert batch_row(bus, "batch1")["available"] == 90

    def test_errors_for_invalid_sku(self, bus):
        bus.handle(commands.CreateBatch("b1", "AREALSKU", 100, None))
        with pytest.raises(InvalidSku, match="Invalid sku NONEXISTENTSKU"):
            bus.handle(commands.Allocate("o1", "NONEXISTENTSKU", 10))

    def test_invalid_sku_is_a_not_found(self, bus):
        with pytest.raises(NotFound) as info:
            bus.handle(commands.Allocate("o1", "NOPE", 1))
        assert info.value.code == allocation._lib.LA_ENOTFOUND
        assert str(info.value) == "Invalid sku NOPE"

    def test_sends_email_on_out_of_stock_error(self, bus, notifications):
        bus.handle(commands.CreateBatch("b1", "POPULAR-CURTAINS", 9, None))
        assert bus.handle(commands.Allocate("o1", "POPULAR-CURTAINS", 10)) is None
        assert notifications.sent["stock@made.com"] == ["Out of stock for POPULAR-CURTAINS"]

    def test_out_of_stock_route_is_configurable(self, notifications):
        with allocation.bootstrap(
            notify=notifications, routes={events.OutOfStock: "ops@example.com"}
        ) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 1, None))
            bus.handle(commands.Allocate("o1", "LAMP", 2))
        assert notifications.sent == {"ops@example.com": ["Out of stock for LAMP"]}

    def test_allocated_notification_is_opt_in(self, bus, notifications):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.Allocate("o1", "LAMP", 2))
        assert notifications.sent == {}
        bus.set_route(events.Allocated, "sales@made.com")
        bus.handle(commands.Allocate("o2", "LAMP", 3))
        assert notifications.sent == {"sales@made.com": ["Allocated order o2 LAMP x3 to batch b1"]}

    def test_publishes_allocated_on_line_allocated(self, bus, publisher):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.Allocate("o1", "LAMP", 2))
        ((channel, payload),) = publisher.published
        assert channel == "line_allocated"
        assert json.loads(payload) == {"orderid": "o1", "sku": "LAMP", "qty": 2, "batchref": "b1"}

    def test_idempotent_per_order_and_sku(self, bus, publisher):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        assert bus.handle(commands.Allocate("o1", "LAMP", 2)) == "b1"
        assert bus.handle(commands.Allocate("o1", "LAMP", 2)) == "b1"
        assert batch_row(bus, "b1")["allocated"] == 2
        assert len(publisher.published) == 1


class TestChangeBatchQuantity:
    def test_changes_available_quantity(self, bus):
        bus.handle(commands.CreateBatch("batch1", "ADORABLE-SETTEE", 100, None))
        assert batch_row(bus, "batch1")["available"] == 100
        bus.handle(commands.ChangeBatchQuantity("batch1", 50))
        assert batch_row(bus, "batch1")["available"] == 50

    def test_reallocates_if_necessary(self, bus):
        history = [
            commands.CreateBatch("batch1", "INDIFFERENT-TABLE", 50, None),
            commands.CreateBatch("batch2", "INDIFFERENT-TABLE", 50, date.today()),
            commands.Allocate("order1", "INDIFFERENT-TABLE", 20),
            commands.Allocate("order2", "INDIFFERENT-TABLE", 20),
        ]
        for msg in history:
            bus.handle(msg)
        assert batch_row(bus, "batch1")["available"] == 10
        assert batch_row(bus, "batch2")["available"] == 50
        bus.handle(commands.ChangeBatchQuantity("batch1", 25))
        # order1 or order2 is deallocated, leaving 25 - 20 = 5; 20 reallocated to batch2
        assert batch_row(bus, "batch1")["available"] == 5
        assert batch_row(bus, "batch2")["available"] == 30
        assert views.allocations("order2", bus.store) == [
            {"sku": "INDIFFERENT-TABLE", "batchref": "batch2"}
        ]

    def test_unknown_batch_reference(self, bus):
        with pytest.raises(NotFound, match="Invalid batch reference nope"):
            bus.handle(commands.ChangeBatchQuantity("nope", 1))


class TestDeallocateAndCancel:
    def test_deallocate_updates_read_model_and_is_not_reallocated(self, bus):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.Allocate("o1", "LAMP", 2))
        bus.handle(commands.Deallocate("o1", "LAMP"))
        assert views.allocations("o1", bus.store) == []
        assert batch_row(bus, "b1")["available"] == 10

    def test_deallocate_unknown_line(self, bus):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        with pytest.raises(NotFound):
            bus.handle(commands.Deallocate("o1", "LAMP"))

    def test_cancel_batch_reallocates_its_lines(self, bus):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.CreateBatch("b2", "LAMP", 10, "2030-01-01"))
        bus.handle(commands.Allocate("o1", "LAMP", 4))
        bus.handle(commands.CancelBatch("b1"))
        assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b2"}]
        assert [r["ref"] for r in views.all_batches(bus.store)] == ["b2"]


class TestViews:
    def test_allocations_view(self, bus):
        bus.handle(commands.CreateBatch("sku1batch", "sku1", 50, None))
        bus.handle(commands.CreateBatch("sku2batch", "sku2", 50, date.today()))
        bus.handle(commands.Allocate("order1", "sku1", 20))
        bus.handle(commands.Allocate("order1", "sku2", 20))
        bus.handle(commands.CreateBatch("sku1batch-later", "sku1", 50, date.today()))
        bus.handle(commands.Allocate("otherorder", "sku1", 30))
        bus.handle(commands.Allocate("otherorder", "sku2", 10))
        assert views.allocations("order1", bus.store) == [
            {"sku": "sku1", "batchref": "sku1batch"},
            {"sku": "sku2", "batchref": "sku2batch"},
        ]

    def test_deallocation(self, bus):
        bus.handle(commands.CreateBatch("b1", "sku1", 50, None))
        bus.handle(commands.CreateBatch("b2", "sku1", 50, date.today()))
        bus.handle(commands.Allocate("o1", "sku1", 40))
        bus.handle(commands.ChangeBatchQuantity("b1", 10))
        assert views.allocations("o1", bus.store) == [{"sku": "sku1", "batchref": "b2"}]

    def test_unknown_order_is_empty(self, bus):
        assert views.allocations("nobody", bus) == []

    def test_dashboard_paginates(self, bus):
        for i in range(25):
            bus.handle(commands.CreateBatch(f"b{i:02}", f"sku{i % 3}", 10 + i, None))
        bus.handle(commands.Allocate("o1", "sku0", 5))
        first = views.batches(bus.store, limit=10)
        assert len(first.batches) == 10 and first.next is not None
        rows = list(views.all_batches(bus.store, page_size=7))
        assert sorted(r["ref"] for r in rows) == [f"b{i:02}" for i in range(25)]
        assert [r["sku"] for r in rows] == sorted(r["sku"] for r in rows)
        (b00,) = [r for r in rows if r["ref"] == "b00"]
        assert (b00["allocated"], b00["available"], b00["lines"]) == (5, 5, 1)
        with pytest.raises(allocation.InvalidArgument):
            views.batches(bus.store, after="not a cursor")


class TestCustomHandlers:
    def test_subscribed_handler_receives_event_dataclass(self, bus):
        seen = []
        bus.subscribe(events.Allocated, seen.append)
        bus.subscribe(events.OutOfStock, seen.append)
        bus.handle(commands.CreateBatch("b1", "LAMP", 3, None))
        bus.handle(commands.Allocate("o1", "LAMP", 2))
        bus.handle(commands.Allocate("o2", "LAMP", 2))
        assert seen == [events.Allocated("o1", "LAMP", 2, "b1"), events.OutOfStock("LAMP")]

    def test_handler_can_handle_follow_up_commands(self, bus):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.CreateBatch("b2", "LAMP", 10, "2030-01-01"))
        # Move every allocation on to b2 by cancelling b1 when it is used.
        bus.subscribe(events.Allocated, lambda e: e.batchref == "b1" and bus.handle(
            commands.CancelBatch("b1")))
        bus.handle(commands.Allocate("o1", "LAMP", 1))
        assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b2"}]

    def test_handling_an_event_runs_its_handlers(self, bus, notifications):
        bus.handle(events.OutOfStock("LAMP"))
        assert notifications.sent == {"stock@made.com": ["Out of stock for LAMP"]}

    def test_stats_count_commands(self, bus):
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.Allocate("o1", "LAMP", 1))
        stats = bus.stats()
        assert stats["commands"] == 2 and stats["events"] >= 1 and stats["handler_failures"] == 0

    def test_notifications_object_or_callable(self):
        sent = []
        with allocation.bootstrap(notify=lambda d, m: sent.append((d, m))) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 0, None))
            bus.handle(commands.Allocate("o1", "LAMP", 1))
        assert sent == [("stock@made.com", "Out of stock for LAMP")]


def test_allocate_from_a_handler_is_queued_and_returns_none(bus):
    answers = []
    bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
    bus.handle(commands.CreateBatch("c1", "CHAIR", 10, None))

    def also_a_chair(event):
        if event.sku == "LAMP":
            answers.append(bus.handle(commands.Allocate(event.orderid, "CHAIR", 1)))

    bus.subscribe(events.Allocated, also_a_chair)
    assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "b1"
    assert answers == [None]
    assert views.allocations("o1", bus.store) == [
        {"sku": "LAMP", "batchref": "b1"},
        {"sku": "CHAIR", "batchref": "c1"},
    ]
