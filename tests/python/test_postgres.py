"""Integration through the binding on PostgreSQL (the test server of the
PostgreSQL adapter's tests: its conninfo is in LA_TEST_PG_CONNINFO_FILE)."""

import ctypes
import ctypes.util
import os
import threading
import uuid

import pytest

import allocation
from allocation import _lib, commands, stores, views

pytestmark = pytest.mark.postgres


def sql(conninfo, statement):
    """Run one statement through libpq (ctypes: the suite needs no driver)."""
    pq = ctypes.CDLL(ctypes.util.find_library("pq"))
    pq.PQconnectdb.restype = ctypes.c_void_p
    pq.PQconnectdb.argtypes = [ctypes.c_char_p]
    pq.PQexec.restype = ctypes.c_void_p
    pq.PQexec.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    pq.PQresultStatus.argtypes = [ctypes.c_void_p]
    pq.PQclear.argtypes = [ctypes.c_void_p]
    pq.PQfinish.argtypes = [ctypes.c_void_p]
    pq.PQerrorMessage.restype = ctypes.c_char_p
    pq.PQerrorMessage.argtypes = [ctypes.c_void_p]
    conn = pq.PQconnectdb(conninfo.encode())
    try:
        result = pq.PQexec(conn, statement.encode())
        ok = pq.PQresultStatus(result) == 1  # PGRES_COMMAND_OK
        pq.PQclear(result)
        assert ok, pq.PQerrorMessage(conn)
    finally:
        pq.PQfinish(conn)


@pytest.fixture(scope="module")
def conninfo():
    """A conninfo on a schema of this module's own: the server is shared with
    the adapter's suites running at the same time."""
    path = os.environ.get("LA_TEST_PG_CONNINFO_FILE")
    if not path:
        pytest.skip("LA_TEST_PG_CONNINFO_FILE not set (run through ctest -L postgres)")
    if not _lib.available("allocation-pg"):
        pytest.skip("liballocation-pg not built")
    with open(path) as f:
        base = f.read().strip()
    schema = f"py_{uuid.uuid4().hex[:12]}"
    sql(base, f"CREATE SCHEMA {schema}")
    yield f"{base} options='-csearch_path={schema}'"
    sql(base, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sku():
    # The database is shared by the whole run: unique names keep tests apart.
    return f"SKU-{uuid.uuid4().hex[:12]}"


def test_allocate_and_read_model(conninfo, sku, notifications):
    with stores.postgres(conninfo) as store:
        assert store.adapter == "postgres"
        with allocation.bootstrap(store, notify=notifications) as bus:
            bus.handle(commands.CreateBatch(f"{sku}-b1", sku, 10, "2030-01-01"))
            bus.handle(commands.CreateBatch(f"{sku}-b0", sku, 10, None))
            assert bus.handle(commands.Allocate(f"{sku}-o1", sku, 4)) == f"{sku}-b0"
            assert bus.handle(commands.Allocate(f"{sku}-o2", sku, 40)) is None
    assert notifications.sent == {"stock@made.com": [f"Out of stock for {sku}"]}
    with stores.open(conninfo) as store:
        assert views.allocations(f"{sku}-o1", store) == [{"sku": sku, "batchref": f"{sku}-b0"}]
        rows = list(views.all_batches(store, sku=sku))
        assert [(r["ref"], r["allocated"]) for r in rows] == [(f"{sku}-b0", 4), (f"{sku}-b1", 0)]


def test_invalid_sku_on_postgres(conninfo, sku):
    with allocation.bootstrap(stores.postgres(conninfo)) as bus:
        with pytest.raises(allocation.InvalidSku, match=f"Invalid sku {sku}"):
            bus.handle(commands.Allocate("o1", sku, 1))


def test_change_quantity_reallocates_on_postgres(conninfo, sku):
    with allocation.bootstrap(stores.postgres(conninfo)) as bus:
        bus.handle(commands.CreateBatch(f"{sku}-1", sku, 50, None))
        bus.handle(commands.CreateBatch(f"{sku}-2", sku, 50, "2030-01-01"))
        bus.handle(commands.Allocate(f"{sku}-o1", sku, 20))
        bus.handle(commands.Allocate(f"{sku}-o2", sku, 20))
        bus.handle(commands.ChangeBatchQuantity(f"{sku}-1", 25))
        rows = {r["ref"]: r["available"] for r in views.all_batches(bus.store, sku=sku)}
        assert rows == {f"{sku}-1": 5, f"{sku}-2": 30}


def test_threads_share_a_sku_without_overselling(conninfo, sku):
    with allocation.bootstrap(stores.postgres(conninfo)) as bus:
        bus.handle(commands.CreateBatch(f"{sku}-b", sku, 100, None))
    failures, refs = [], []

    def worker(n):
        try:
            with allocation.bootstrap(stores.postgres(conninfo), max_retries=50) as bus:
                for i in range(30):
                    refs.append(bus.handle(commands.Allocate(f"{sku}-{n}-{i}", sku, 1)))
        except BaseException as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert refs.count(f"{sku}-b") == 100 and refs.count(None) == 20
    with stores.postgres(conninfo) as store:
        (row,) = views.all_batches(store, sku=sku)
        assert (row["allocated"], row["lines"]) == (100, 100)
