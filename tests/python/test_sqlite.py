"""Integration through the binding on SQLite files."""

import json
import sqlite3
import threading

import pytest

import allocation
from allocation import commands, stores, views

pytestmark = pytest.mark.sqlite


def test_allocations_persist_across_connections(sqlite_url):
    with allocation.bootstrap(sqlite_url) as bus:
        assert bus.store.adapter == "sqlite"
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, "2011-01-01"))
        bus.handle(commands.CreateBatch("b0", "LAMP", 10, None))
        assert bus.handle(commands.Allocate("o1", "LAMP", 3)) == "b0"
    with stores.open(sqlite_url) as store:
        assert views.allocations("o1", store) == [{"sku": "LAMP", "batchref": "b0"}]
        rows = list(views.all_batches(store))
        assert [(r["ref"], r["available"]) for r in rows] == [("b0", 7), ("b1", 10)]


def test_invalid_sku_on_sqlite(sqlite_store):
    with allocation.bootstrap(sqlite_store) as bus:
        with pytest.raises(allocation.InvalidSku, match="Invalid sku NOPE"):
            bus.handle(commands.Allocate("o1", "NOPE", 1))


def test_out_of_stock_notification_on_sqlite(sqlite_store, notifications):
    with allocation.bootstrap(sqlite_store, notify=notifications) as bus:
        bus.handle(commands.CreateBatch("b1", "POPULAR-CURTAINS", 9, None))
        assert bus.handle(commands.Allocate("o1", "POPULAR-CURTAINS", 10)) is None
    assert notifications.sent == {"stock@made.com": ["Out of stock for POPULAR-CURTAINS"]}


def test_change_quantity_reallocates_on_sqlite(sqlite_store):
    with allocation.bootstrap(sqlite_store) as bus:
        bus.handle(commands.CreateBatch("batch1", "TABLE", 50, None))
        bus.handle(commands.CreateBatch("batch2", "TABLE", 50, "2030-01-01"))
        bus.handle(commands.Allocate("order1", "TABLE", 20))
        bus.handle(commands.Allocate("order2", "TABLE", 20))
        bus.handle(commands.ChangeBatchQuantity("batch1", 25))
        rows = {r["ref"]: r for r in views.all_batches(sqlite_store)}
        assert (rows["batch1"]["available"], rows["batch2"]["available"]) == (5, 30)
        assert views.allocations("order2", sqlite_store) == [{"sku": "TABLE", "batchref": "batch2"}]


def test_outbox_relay_through_python_publisher(tmp_path):
    published = []
    with stores.sqlite(f"sqlite:{tmp_path / 'outbox.db'}", outbox=True) as store:
        assert store.has_outbox
        with allocation.bootstrap(store) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
            bus.handle(commands.Allocate("o1", "LAMP", 2))
            bus.handle(commands.Allocate("o2", "LAMP", 3))
        assert store.relay_outbox(lambda ch, text: published.append((ch, json.loads(text)))) == 2
        assert store.relay_outbox(lambda ch, text: published.append(None)) == 0
    assert [ch for ch, _ in published] == ["line_allocated"] * 2
    assert [(m["orderid"], m["qty"], m["batchref"]) for _, m in published] == [
        ("o1", 2, "b1"),
        ("o2", 3, "b1"),
    ]


def test_outbox_status_counts_what_the_relay_has_yet_to_publish(tmp_path):
    with stores.sqlite(f"sqlite:{tmp_path / 'outbox.db'}", outbox=True) as store:
        assert store.outbox_status() == (0, 0.0)
        with allocation.bootstrap(store) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
            bus.handle(commands.Allocate("o1", "LAMP", 2))
            bus.handle(commands.Allocate("o2", "LAMP", 3))
        pending, age = store.outbox_status()
        assert pending == 2 and 0.0 <= age < 60.0, (pending, age)
        assert store.relay_outbox(lambda ch, text: None) == 2
        assert store.outbox_status() == (0, 0.0)
    with stores.sqlite(f"sqlite:{tmp_path / 'plain.db'}") as store:
        with pytest.raises(allocation.Unsupported, match="outbox"):
            store.outbox_status()


def test_outbox_publisher_that_raises_keeps_the_message(tmp_path):
    with stores.sqlite(f"sqlite:{tmp_path / 'outbox.db'}", outbox=True) as store:
        with allocation.bootstrap(store) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
            bus.handle(commands.Allocate("o1", "LAMP", 2))

        def fails(channel, text):
            raise ConnectionError("redis is down")

        with pytest.raises(allocation.UserAbort, match="redis is down"):
            store.relay_outbox(fails)
        assert store.relay_outbox(lambda ch, text: None) == 1


def test_bad_url_is_an_error(tmp_path):
    with pytest.raises(allocation.AllocationError):
        stores.sqlite(f"sqlite:{tmp_path}/no/such/dir/x.db")


def test_ten_threads_each_with_its_own_bus_and_file(tmp_path):
    """Separate handles work in parallel (common.h): no errors, no mix-ups."""
    per_thread = 200
    failures = []
    results = {}

    def worker(n):
        try:
            url = f"sqlite:{tmp_path / f'thread{n}.db'}"
            with allocation.bootstrap(url) as bus:
                bus.handle(commands.CreateBatch(f"t{n}-b1", "SKU", per_thread // 2, None))
                bus.handle(commands.CreateBatch(f"t{n}-b2", "SKU", per_thread, "2030-01-01"))
                refs = [bus.handle(commands.Allocate(f"o{i}", "SKU", 1)) for i in range(per_thread)]
                results[n] = (refs, views.allocations(f"o{per_thread - 1}", bus.store))
        except BaseException as exc:  # reported below, with the thread number
            failures.append((n, repr(exc)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for n, (refs, last) in results.items():
        half = per_thread // 2
        assert refs == [f"t{n}-b1"] * half + [f"t{n}-b2"] * half
        assert last == [{"sku": "SKU", "batchref": f"t{n}-b2"}]
    assert len(results) == 10


def test_finish_reallocations_places_a_line_a_crash_left_pending(sqlite_url, notifications):
    """A pending-reallocation row as a killed process leaves it (docs/reliability.md):
    finish_reallocations notifies its OutOfStock again, or places it once stock came."""
    with allocation.bootstrap(sqlite_url, notify=notifications) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 10, None))
        bus.handle(commands.Allocate("o1", "LAMP", 10))
        bus.handle(commands.CancelBatch("b1"))
        assert notifications.sent == {"stock@made.com": ["Out of stock for LAMP"]}
        assert bus.finish_reallocations() == 0  # forgotten once notified
    with sqlite3.connect(sqlite_url[len("sqlite:"):]) as con:
        con.execute("INSERT INTO pending_reallocations VALUES ('o1', 'LAMP', 10)")
    with allocation.bootstrap(sqlite_url, notify=notifications) as bus:
        assert bus.finish_reallocations() == 1
        assert notifications.sent["stock@made.com"] == ["Out of stock for LAMP"] * 2
        bus.handle(commands.CreateBatch("b2", "LAMP", 10, None))
        assert bus.finish_reallocations() == 0
    with sqlite3.connect(sqlite_url[len("sqlite:"):]) as con:
        con.execute("INSERT INTO pending_reallocations VALUES ('o1', 'LAMP', 10)")
    with allocation.bootstrap(sqlite_url) as bus:
        assert bus.finish_reallocations() == 1
        assert views.allocations("o1", bus.store) == [{"sku": "LAMP", "batchref": "b2"}]
