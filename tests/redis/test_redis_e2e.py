"""External events end to end (spec §4, issue 6): allocation-server with
--redis over SQLite with a transactional outbox, and a real redis-server that
the tests start, stop and restart."""

import json
import threading
import time

import pytest
import requests

from conftest import wait_consumer_ready, wait_until

MODES = ["pubsub", "streams"]


def send(server, mode, channel, payload):
    """Publish an inbound message the way an upstream service would."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    client = server.client()
    if mode == "pubsub":
        client.publish(channel, body)
    else:
        client.xadd(channel, {"json": body})


def start(redis_server, service_factory, subscriber_factory, mode, **kw):
    svc = service_factory(redis_server.url, mode, **kw)
    wait_consumer_ready(redis_server, mode)
    return svc, subscriber_factory(redis_server, mode)


@pytest.mark.parametrize("mode", MODES)
def test_book_scenario_change_batch_quantity_reallocates(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode)
    svc.add_batch("earlier", "LAMP", 10, "2011-01-01")
    svc.add_batch("later", "LAMP", 10, "2011-01-02")
    assert svc.allocate("o1", "LAMP", 10).status_code == 202
    assert svc.allocations("o1") == [{"sku": "LAMP", "batchref": "earlier"}]
    first = sub.wait_for(lambda m: m["orderid"] == "o1")
    assert first and first[0]["batchref"] == "earlier"

    sent = time.monotonic()
    send(redis_server, mode, "change_batch_quantity", {"batchref": "earlier", "qty": 5})
    got = sub.wait_for(lambda m: m["batchref"] == "later", timeout=3)
    assert got, f"no line_allocated within 3 s; got {sub.snapshot()}"
    assert time.monotonic() - sent < 3
    msg = got[0]
    assert (msg["orderid"], msg["sku"], msg["qty"], msg["batchref"]) == ("o1", "LAMP", 10, "later")
    assert msg["id"] and msg["id"] != first[0]["id"], "each message has its own id"
    assert svc.allocations("o1") == [{"sku": "LAMP", "batchref": "later"}]
    batches = svc.batches("LAMP")
    assert (batches["earlier"]["purchased"], batches["earlier"]["allocated"]) == (5, 0)
    assert batches["later"]["allocated"] == 10
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_book_scenario_on_the_memory_store_publishes_from_the_bus(
        redis_server, service_factory, subscriber_factory, store, mode):
    """No outbox: the bus's Allocated handler publishes after commit (the book's way)."""
    if store.kind != "sqlite":
        pytest.skip("the memory store does not depend on the database under test")
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode, db="memory:")
    svc.add_batch("earlier", "LAMP", 10, "2011-01-01")
    svc.add_batch("later", "LAMP", 10, "2011-01-02")
    assert svc.allocate("o1", "LAMP", 10).status_code == 202
    assert sub.wait_for(lambda m: m["batchref"] == "earlier")
    send(redis_server, mode, "change_batch_quantity", {"batchref": "earlier", "qty": 5})
    got = sub.wait_for(lambda m: m["batchref"] == "later", timeout=3)
    assert got and got[0]["orderid"] == "o1"
    assert len({m["id"] for m in sub.snapshot()}) == 2, "the publisher gives each an id"
    assert svc.allocations("o1") == [{"sku": "LAMP", "batchref": "later"}]
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_every_inbound_channel_drives_the_service(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode)
    send(redis_server, mode, "batch_created",
         {"ref": "b-stock", "sku": "CHAIR", "qty": 5, "eta": None})
    send(redis_server, mode, "batch_created",
         {"ref": "b-boat", "sku": "CHAIR", "qty": 5, "eta": "2031-03-01"})
    send(redis_server, mode, "allocation_required", {"orderid": "o7", "sku": "CHAIR", "qty": 4})
    assert sub.wait_for(lambda m: m["orderid"] == "o7" and m["batchref"] == "b-stock")
    send(redis_server, mode, "batch_cancelled", {"ref": "b-stock"})
    assert sub.wait_for(lambda m: m["orderid"] == "o7" and m["batchref"] == "b-boat")
    assert svc.allocations("o7") == [{"sku": "CHAIR", "batchref": "b-boat"}]
    assert set(svc.batches("CHAIR")) == {"b-boat"}
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_malformed_and_failing_messages_are_skipped(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode)
    for channel, body in [
        ("change_batch_quantity", "not json at all"),
        ("change_batch_quantity", "[1, 2, 3]"),
        ("change_batch_quantity", {"batchref": "b1"}),
        ("change_batch_quantity", {"batchref": "b1", "qty": "five"}),
        ("change_batch_quantity", {"batchref": "no-such-batch", "qty": 1}),
        ("batch_created", {"ref": "b1", "sku": "S", "qty": 1, "eta": "2011-13-01"}),
        ("allocation_required", {"orderid": "o1", "sku": "S", "qty": -2}),
        ("allocation_required", {"orderid": "o1", "sku": "UNKNOWN", "qty": 2}),
        ("batch_cancelled", {}),
    ]:
        send(redis_server, mode, channel, body)
    send(redis_server, mode, "batch_created", {"ref": "b1", "sku": "S", "qty": 10, "eta": None})
    send(redis_server, mode, "allocation_required", {"orderid": "o1", "sku": "S", "qty": 2})
    assert sub.wait_for(lambda m: m["orderid"] == "o1"), "the consumer kept running"
    assert svc.allocations("o1") == [{"sku": "S", "batchref": "b1"}]
    if mode == "streams":  # skipped entries are acknowledged, not retried forever
        client = redis_server.client()
        for stream in ["change_batch_quantity", "batch_created", "allocation_required",
                       "batch_cancelled"]:
            assert wait_until(lambda: client.xpending(stream, "allocation")["pending"] == 0)
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_redelivered_message_id_is_handled_once(
        redis_server, service_factory, subscriber_factory, mode):
    svc, _ = start(redis_server, service_factory, subscriber_factory, mode)
    svc.add_batch("b", "S", 10)
    svc.add_batch("c", "S", 10)
    send(redis_server, mode, "change_batch_quantity", {"id": "m1", "batchref": "b", "qty": 7})
    send(redis_server, mode, "change_batch_quantity", {"id": "m1", "batchref": "b", "qty": 3})
    send(redis_server, mode, "change_batch_quantity", {"id": "m2", "batchref": "c", "qty": 5})
    assert wait_until(lambda: svc.batches("S")["c"]["purchased"] == 5)
    assert svc.batches("S")["b"]["purchased"] == 7
    svc.stop()


def allocate_all(svc, orders):
    for orderid in orders:
        r = svc.allocate(orderid, "RUG", 1)
        assert r.status_code == 202, r.text  # the HTTP API keeps serving


@pytest.mark.parametrize("mode", MODES)
def test_redis_down_during_allocations_every_event_published_in_order(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode)
    svc.add_batch("big", "RUG", 1000)
    orders = [f"o{i:02d}" for i in range(30)]
    allocate_all(svc, orders[:10])
    assert len(sub.wait_count(10)) == 10

    redis_server.stop()
    allocate_all(svc, orders[10:20])
    time.sleep(0.5)  # the relay fails and backs off meanwhile
    if mode == "pubsub":
        # Pub/sub keeps nothing for absent subscribers: come back behind a
        # password until the test's subscriber is in, then open the door.
        assert wait_until(lambda: not sub.subscribed.is_set())
        redis_server.password = "let-me-in"
        redis_server.start("--requirepass", "let-me-in")
        assert sub.subscribed.wait(5)
        redis_server.client().config_set("requirepass", "")
        redis_server.password = None
    else:
        redis_server.start()
    allocate_all(svc, orders[20:])
    got = sub.wait_count(30, timeout=15)
    assert [m["orderid"] for m in got] == orders
    assert len({m["id"] for m in got}) == 30
    svc.stop()


def test_redis_down_under_load_every_committed_event_is_published(
        redis_server, service_factory):
    """Four clients allocate without pause while Redis (keeping its data on
    disk this time) is stopped for 2 s and started again: HTTP keeps
    answering 202, and once Redis is back every committed allocation's
    line_allocated is in the stream (at least once, one id per allocation)."""
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    redis_server.stop()
    redis_server.start(*aof)
    svc = service_factory(redis_server.url, "streams")
    wait_consumer_ready(redis_server, "streams")
    svc.add_batch("big", "RUG", 1_000_000)

    stop = threading.Event()
    acked, refused = [], []

    def client(n):
        session = requests.Session()
        i = 0
        while not stop.is_set():
            orderid = f"load-{n}-{i}"
            i += 1
            r = session.post(svc.url + "/allocate",
                             json={"orderid": orderid, "sku": "RUG", "qty": 1}, timeout=10)
            (acked if r.status_code == 202 else refused).append((orderid, r.status_code))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    redis_server.stop()
    down = time.monotonic()
    during = len(acked)
    time.sleep(2)
    during = len(acked) - during
    redis_server.start(*aof)
    back = time.monotonic()
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join(30)
    assert not refused, refused[:5]
    assert during > 0, "no allocation was answered while Redis was down"

    expected = {orderid for orderid, _ in acked}
    client = redis_server.client()

    def published():
        ids = {}
        for _, fields in client.xrange("line_allocated"):
            m = json.loads(fields["json"])
            ids.setdefault(m["orderid"], set()).add(m["id"])
        return ids

    assert wait_until(lambda: expected <= set(published()), timeout=20), \
        f"{len(expected - set(published()))} committed allocations never published"
    ids = published()
    assert set(ids) == expected, set(ids) - expected
    assert all(len(v) == 1 for v in ids.values()), "an allocation published under two ids"
    entries = len(client.xrange("line_allocated"))
    print(f"\nredis down under load: {len(expected)} allocations ({during} while Redis was down "
          f"{back - down:.1f} s), {entries} stream entries ({entries - len(expected)} repeated)")
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_sigkill_between_commit_and_publish_publishes_after_restart(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode,
                     env={"ALLOCATION_TEST_RELAY_DELAY_MS": "5000"})
    svc.add_batch("b1", "TABLE", 10)
    assert svc.allocate("o1", "TABLE", 3).status_code == 202
    assert svc.allocations("o1") == [{"sku": "TABLE", "batchref": "b1"}]  # committed
    time.sleep(0.3)
    assert sub.snapshot() == [], "the relay is still inside its test delay"
    svc.kill()
    assert sub.wait_for(lambda m: True, timeout=0.5) == []

    svc.start(env={"ALLOCATION_TEST_RELAY_DELAY_MS": "0"})
    got = sub.wait_for(lambda m: m["orderid"] == "o1", timeout=5)
    assert got and got[0]["batchref"] == "b1"
    time.sleep(0.3)
    assert len(sub.snapshot()) == 1
    svc.stop()


REFUSE_DOOMED = {
    "sqlite": """CREATE TRIGGER refuse_doomed BEFORE INSERT ON outbox
                 WHEN NEW.payload LIKE '%"orderid":"doomed"%'
                 BEGIN SELECT RAISE(ABORT, 'test: refused'); END;""",
    "postgres": """CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql
                   AS $$ BEGIN RAISE EXCEPTION 'test: refused'; END $$;
                   CREATE TRIGGER refuse_doomed BEFORE INSERT ON outbox FOR EACH ROW
                   WHEN (NEW.payload LIKE '%"orderid":"doomed"%')
                   EXECUTE FUNCTION refuse_doomed();""",
}


def test_a_rolled_back_allocation_publishes_nothing(
        redis_server, service_factory, subscriber_factory, store):
    svc, sub = start(redis_server, service_factory, subscriber_factory, "pubsub")
    svc.add_batch("b1", "SOFA", 10)
    # Make the outbox write of one order fail: its whole transaction rolls back.
    store.sql(REFUSE_DOOMED[store.kind])

    r = svc.allocate("doomed", "SOFA", 2)
    assert r.status_code >= 400, r.text
    assert svc.allocate("fine", "SOFA", 3).status_code == 202
    assert sub.wait_for(lambda m: m["orderid"] == "fine")
    time.sleep(0.3)
    assert [m["orderid"] for m in sub.snapshot()] == ["fine"]
    assert svc.allocations("doomed") == []
    assert svc.batches("SOFA")["b1"]["allocated"] == 3
    svc.stop()


DROP_REFUSE_DOOMED = {
    "sqlite": "DROP TRIGGER refuse_doomed;",
    "postgres": "DROP TRIGGER refuse_doomed ON outbox;",
}


def test_streams_a_database_failure_leaves_the_entry_pending_until_it_succeeds(
        redis_server, service_factory, subscriber_factory, store):
    svc, sub = start(redis_server, service_factory, subscriber_factory, "streams")
    svc.add_batch("b1", "SOFA", 10)
    store.sql(REFUSE_DOOMED[store.kind])  # the database refuses this order's commit
    send(redis_server, "streams", "allocation_required",
         {"orderid": "doomed", "sku": "SOFA", "qty": 2})
    client = redis_server.client()
    time.sleep(1.5)  # the consumer's own retries are over by now
    assert client.xpending("allocation_required", "allocation")["pending"] == 1
    assert svc.allocations("doomed") == []

    store.sql(DROP_REFUSE_DOOMED[store.kind])  # the database recovers
    assert sub.wait_for(lambda m: m["orderid"] == "doomed", timeout=10)
    assert wait_until(lambda: client.xpending("allocation_required", "allocation")["pending"] == 0)
    assert svc.allocations("doomed") == [{"sku": "SOFA", "batchref": "b1"}]
    svc.stop()


def test_streams_messages_added_while_the_service_is_down_apply_exactly_once(
        redis_server, service_factory, subscriber_factory):
    svc, sub = start(redis_server, service_factory, subscriber_factory, "streams")
    svc.add_batch("A", "LAMP", 20, "2011-01-01")
    svc.add_batch("B", "LAMP", 1000, "2011-01-02")
    orders = [f"o{i:02d}" for i in range(1, 21)]
    for orderid in orders:
        assert svc.allocate(orderid, "LAMP", 1).status_code == 202
    assert len(sub.wait_count(20)) == 20
    svc.stop()

    # Each message takes one unit off A: one line (the most recent) moves to B.
    client = redis_server.client()
    for k in range(1, 21):
        client.xadd("change_batch_quantity", {"json": json.dumps({"batchref": "A", "qty": 20 - k})})

    svc.start()
    got = sub.wait_count(40, timeout=15)
    moved = got[20:]
    assert [m["orderid"] for m in moved] == list(reversed(orders))
    assert all(m["batchref"] == "B" for m in moved)
    batches = svc.batches("LAMP")
    assert (batches["A"]["purchased"], batches["A"]["allocated"]) == (0, 0)
    assert batches["B"]["allocated"] == 20
    assert client.xpending("change_batch_quantity", "allocation")["pending"] == 0
    assert client.zcard("allocation:processed:allocation") == 20

    svc.stop()
    svc.start()  # nothing is applied a second time
    time.sleep(1)
    assert len(sub.snapshot()) == 40
    assert client.zcard("allocation:processed:allocation") == 20
    svc.stop()


def test_the_start_line_names_redis_without_its_password(redis_server, service_factory):
    redis_server.stop()
    redis_server.password = "hunter7"
    redis_server.start("--requirepass", "hunter7")
    url = redis_server.url.replace("redis://", "redis://:hunter7@")
    svc = service_factory(url)
    log = svc.read_log()
    assert "redis redis://:***@127.0.0.1:" in log, log
    assert "hunter7" not in log


@pytest.mark.parametrize("mode", MODES)
def test_whole_orders_from_order_allocation_required(
        redis_server, service_factory, subscriber_factory, mode):
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode)
    svc.add_batch("b-lamp", "LAMP", 10)
    svc.add_batch("b-table", "TABLE", 2)
    send(redis_server, mode, "order_allocation_required",
         {"id": "ord-1", "orderid": "o1",
          "lines": [{"sku": "TABLE", "qty": 2}, {"sku": "LAMP", "qty": 3}]})
    assert wait_until(lambda: len([m for m in sub.snapshot() if m["orderid"] == "o1"]) == 2)
    got = [m for m in sub.snapshot() if m["orderid"] == "o1"]
    assert sorted((m["sku"], m["qty"], m["batchref"]) for m in got) == [
        ("LAMP", 3, "b-lamp"), ("TABLE", 2, "b-table")]
    assert sorted(svc.allocations("o1"), key=lambda a: a["sku"]) == [
        {"sku": "LAMP", "batchref": "b-lamp"}, {"sku": "TABLE", "batchref": "b-table"}]
    # short of TABLE: nothing of o2 is stored, nothing published for it
    send(redis_server, mode, "order_allocation_required",
         {"orderid": "o2", "lines": [{"sku": "LAMP", "qty": 1}, {"sku": "TABLE", "qty": 1}]})
    # malformed (a sku twice): skipped, the consumer goes on
    send(redis_server, mode, "order_allocation_required",
         {"orderid": "o3", "lines": [{"sku": "LAMP", "qty": 1}, {"sku": "LAMP", "qty": 1}]})
    send(redis_server, mode, "allocation_required", {"orderid": "o4", "sku": "LAMP", "qty": 1})
    assert sub.wait_for(lambda m: m["orderid"] == "o4")
    assert svc.allocations("o2") == [] and svc.allocations("o3") == []
    assert not [m for m in sub.snapshot() if m["orderid"] in ("o2", "o3")]
    assert svc.batches("LAMP")["b-lamp"]["allocated"] == 4
    svc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_holds_from_redis_messages(
        redis_server, service_factory, subscriber_factory, store, mode):
    """hold_seconds on allocation_required and order_allocation_required, on
    the memory store (it keeps holds); the server expires them."""
    if store.kind != "sqlite":
        pytest.skip("the memory store does not depend on the database under test")
    svc, sub = start(redis_server, service_factory, subscriber_factory, mode, db="memory:")
    svc.add_batch("b1", "LAMP", 10)
    send(redis_server, mode, "allocation_required",
         {"orderid": "cart", "sku": "LAMP", "qty": 2, "hold_seconds": 1})
    send(redis_server, mode, "order_allocation_required",
         {"orderid": "order", "hold_seconds": 600, "lines": [{"sku": "LAMP", "qty": 3}]})
    assert sub.wait_for(lambda m: m["orderid"] == "order")
    (held,) = svc.allocations("order")
    assert held["batchref"] == "b1" and held["expires"].endswith("Z")
    # the 1 s hold is gone by the server's own expiry
    assert wait_until(lambda: svc.allocations("cart") == [], timeout=4)
    assert svc.batches("LAMP")["b1"]["allocated"] == 3
    svc.stop()
