"""Allocation policies from Python (issue 14): a Python function as the
la_policy of a bus through ctypes, the built-ins by name, the promise date
of an Allocate, and every bad answer refused with nothing changed."""

import datetime
import gc
import logging

import pytest

import allocation
from allocation import commands, policies, views
from allocation.policies import BatchView, LineView, Policy


def three_batches(bus):
    bus.handle(commands.CreateBatch("stock", "LAMP", 10, None))
    bus.handle(commands.CreateBatch("march", "LAMP", 10, "2030-03-01"))
    bus.handle(commands.CreateBatch("june", "LAMP", 10, "2030-06-01"))


def available(bus):
    return {b["ref"]: b["available"] for b in views.batches(bus.store).batches}


def test_a_python_function_chooses_the_batch_and_sees_the_line_and_batches():
    seen = []

    def largest_eta_last(line, batches):
        seen.append((line, list(batches)))
        return batches[-1]

    with allocation.bootstrap(policy=Policy(largest_eta_last)) as bus:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 2, "2030-07-01")) == "june"
    line, batches = seen[0]
    assert line == LineView("o1", "LAMP", 2, datetime.date(2030, 7, 1))
    assert [(b.index, b.reference, b.eta, b.purchased, b.available) for b in batches] == [
        (0, "stock", None, 10, 10),
        (1, "march", datetime.date(2030, 3, 1), 10, 10),
        (2, "june", datetime.date(2030, 6, 1), 10, 10),
    ]
    assert [b.sequence for b in batches] == sorted(b.sequence for b in batches)
    assert {b.sku for b in batches} == {"LAMP"}


def test_an_index_and_none_are_answers_too():
    answers = iter([1, None])
    with allocation.bootstrap(policy=Policy(lambda line, batches: next(answers), "scripted")) as bus:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 2)) == "march"
        assert bus.handle(commands.Allocate("o2", "LAMP", 2)) is None  # out of stock
        assert views.allocations("o2", bus.store) == []


def test_the_built_ins_by_name():
    with allocation.bootstrap(policy="latest-in-time") as bus:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 2, datetime.date(2030, 4, 1))) == "march"
        assert bus.handle(commands.Allocate("o2", "LAMP", 2)) == "stock"
    with allocation.bootstrap(policy="book") as bus:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 2, "2030-07-01")) == "stock"
    with pytest.raises(allocation.InvalidArgument, match="unknown allocation policy 'fifo'"):
        allocation.bootstrap(policy="fifo")


def test_a_bad_promise_is_refused_naming_the_field():
    with allocation.bootstrap() as bus:
        three_batches(bus)
        with pytest.raises(allocation.InvalidArgument, match="promise"):
            bus.handle(commands.Allocate("o1", "LAMP", 2, "2030-02-30"))


@pytest.mark.parametrize("answer, words", [
    (7, "out of range: LAMP has 3 batches"),
    (0, "chose batch stock for o1, which has 10 available for a line of 11"),
    ("stock", "TypeError: a policy returns a BatchView, an index or None, not str"),
    (-1, "ValueError: chose batch index -1"),
])
def test_a_bad_answer_fails_the_command_and_changes_nothing(answer, words):
    with allocation.bootstrap(policy=Policy(lambda line, batches: answer, "planted")) as bus:
        three_batches(bus)
        before = available(bus)
        with pytest.raises(allocation.UserAbort) as raised:
            bus.handle(commands.Allocate("o1", "LAMP", 11))
        assert "allocation policy planted" in str(raised.value)
        assert words in str(raised.value)
        assert available(bus) == before
        assert views.allocations("o1", bus.store) == []


def test_a_batch_of_another_sku_is_refused():
    kept = {}

    def remembers(line, batches):
        kept.setdefault("first", batches[0])  # a TABLE batch, kept across calls
        return kept["first"]

    with allocation.bootstrap(policy=Policy(remembers, "stale")) as bus:
        bus.handle(commands.CreateBatch("t1", "TABLE", 10, None))
        assert bus.handle(commands.Allocate("o1", "TABLE", 1)) == "t1"
        three_batches(bus)
        before = available(bus)
        with pytest.raises(allocation.UserAbort, match="chose batch t1 of sku TABLE for a line of LAMP"):
            bus.handle(commands.Allocate("o2", "LAMP", 1))
        assert available(bus) == before


def test_a_policy_that_raises_is_logged_and_the_command_fails_cleanly(caplog):
    def broken(line, batches):
        raise RuntimeError("rules table missing")

    with allocation.bootstrap(policy=Policy(broken)) as bus:
        three_batches(bus)
        before = available(bus)
        with caplog.at_level(logging.ERROR, logger="allocation"):
            with pytest.raises(allocation.UserAbort) as raised:
                bus.handle(commands.Allocate("o1", "LAMP", 1))
        assert "allocation policy broken" in str(raised.value)
        assert "RuntimeError: rules table missing" in str(raised.value)
        assert available(bus) == before
        # the bus goes on: the next command runs normally
        bus.handle(commands.CreateBatch("more", "LAMP", 5, None))
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "allocation")
    assert "Python allocation policy broken raised: Traceback" in logged
    assert "RuntimeError: rules table missing" in logged


def test_the_bus_keeps_the_policy_alive():
    bus = allocation.bootstrap(policy=Policy(lambda line, batches: len(batches) - 1, "last"))
    gc.collect()  # the Policy object has no other reference
    try:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 1)) == "june"
    finally:
        bus.close()


def test_a_policy_must_be_a_policy_or_a_name():
    with pytest.raises(TypeError, match="policy must be a Policy"):
        allocation.bootstrap(policy=lambda line, batches: None)


@pytest.mark.sqlite
def test_a_python_policy_on_sqlite(tmp_path):
    url = "sqlite:" + str(tmp_path / "policy.db")
    with allocation.bootstrap(url, policy=Policy(lambda line, batches: batches[1], "second")) as bus:
        three_batches(bus)
        assert bus.handle(commands.Allocate("o1", "LAMP", 3)) == "march"
        with pytest.raises(allocation.UserAbort):
            bus.handle(commands.Allocate("o2", "LAMP", 30))
        assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "march"}]
        assert views.allocations("o2", bus.store) == []


def test_views_are_read_only():
    view = BatchView(0, "b1", "LAMP", None, 10, 10, 1)
    with pytest.raises(AttributeError):
        view.available = 99  # type: ignore[misc]
    assert policies.LineView("o", "LAMP", 1, None).promise is None
