"""views.history (issue 14, docs/history.md): an order's story through the
binding, on the memory store and on SQLite across connections; a CSV folder
keeps none."""

import datetime

import pytest

import allocation
from allocation import _lib, commands, errors, stores, views


def story(bus):
    bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
    bus.handle(commands.CreateBatch("b2", "LAMP", 10, datetime.date(2031, 1, 1)))
    bus.handle(commands.Allocate("o1", "LAMP", 8))
    bus.handle(commands.ChangeBatchQuantity("b1", 5))  # moves o1 to b2
    bus.handle(commands.Deallocate("o1", "LAMP"))


EXPECTED = [
    ("Allocated", "b1", None),
    ("Deallocated", "b1", "stock_reduced"),
    ("Allocated", "b2", None),
    ("Deallocated", "b2", "requested"),
]


def check(history, before):
    after = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    assert [(e["event"], e["batchref"], e["reason"]) for e in history] == EXPECTED
    for e in history:
        assert e["sku"] == "LAMP" and e["qty"] == 8 and e["expires"] is None
        assert e["at"].tzinfo is datetime.timezone.utc
        assert before <= e["at"] <= after, e
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def test_history_on_the_memory_store(bus):
    before = now()
    story(bus)
    check(views.history("o1", bus), before)
    assert views.history("nobody", bus) == []
    with pytest.raises(errors.InvalidArgument):
        views.history("", bus)


def test_history_on_sqlite_survives_reopening(sqlite_url):
    before = now()
    with stores.sqlite(sqlite_url) as store:
        with allocation.bootstrap(store) as bus:
            story(bus)
    with stores.sqlite(sqlite_url) as again:
        check(views.history("o1", again), before)


@pytest.mark.skipif(not _lib.available("allocation-csv"), reason="liballocation-csv not built")
def test_a_csv_folder_keeps_no_history(tmp_path):
    (tmp_path / "batches.csv").write_text("ref,sku,qty,eta\n")
    with stores.csv(str(tmp_path)) as store:
        with pytest.raises(errors.Unsupported, match="history"):
            views.history("o1", store)
