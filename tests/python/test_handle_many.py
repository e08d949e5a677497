"""MessageBus.handle_many: many commands, one transaction, each with the
result it would have had alone (group commit, bus.h la_bus_handle_many)."""

import json

import pytest

import allocation
from allocation import CommandResult, commands, events, views


def test_each_command_gets_its_own_result(bus):
    results = bus.handle_many(
        [
            commands.CreateBatch("b1", "LAMP", 10, None),
            commands.Allocate("o1", "LAMP", 4),
            commands.Allocate("o2", "NO-SUCH-SKU", 1),
            commands.Allocate("o1", "LAMP", 5),  # same line, another qty: a conflict
            commands.Allocate("o3", "LAMP", 100),  # out of stock: not an error
            commands.Allocate("o4", "LAMP", 6),
        ]
    )
    assert all(isinstance(r, CommandResult) for r in results)
    assert [r.ok for r in results] == [True, True, False, False, True, True]
    assert [r.batchref for r in results] == [None, "b1", None, None, None, "b1"]
    assert isinstance(results[2].error, allocation.InvalidSku)
    assert str(results[2].error) == "Invalid sku NO-SUCH-SKU"
    assert isinstance(results[3].error, allocation.Conflict)
    assert results[0].error is None
    # the failed commands changed nothing; the others are stored
    assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b1"}]
    assert views.allocations("o2", bus.store) == []
    assert views.allocations("o4", bus.store) == [{"sku": "LAMP", "batchref": "b1"}]


def test_events_run_after_the_commit_in_order(bus, notifications, publisher):
    bus.handle_many(
        [
            commands.CreateBatch("b1", "LAMP", 2, None),
            commands.Allocate("o1", "LAMP", 5),
            commands.Allocate("o2", "LAMP", 2),
            commands.Allocate("o3", "LAMP", 1),
        ]
    )
    assert notifications.sent == {"stock@made.com": ["Out of stock for LAMP"] * 2}
    assert [json.loads(text)["orderid"] for _, text in publisher.published] == ["o2"]


def test_reallocation_happens_before_the_next_command(bus):
    results = bus.handle_many(
        [
            commands.CreateBatch("b1", "LAMP", 10, None),
            commands.CreateBatch("b2", "LAMP", 10, "2011-01-02"),
            commands.Allocate("o1", "LAMP", 6),
            commands.ChangeBatchQuantity("b1", 5),  # o1 moves to b2
            commands.Allocate("o2", "LAMP", 5),  # takes b1, which o1 left
        ]
    )
    assert [r.ok for r in results] == [True] * 5
    assert results[4].batchref == "b1"
    assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b2"}]


def test_only_commands_are_accepted(bus):
    with pytest.raises(TypeError):
        bus.handle_many([events.OutOfStock("LAMP")])
    assert bus.handle_many([]) == []
