"""allocation.redis: publisher, consumer and outbox relay against a real
redis-server (a private one per test, from tests/support/redis_server.sh)."""

import json
import os
import subprocess
import sys
import threading
import time

import pytest

import allocation
from allocation import commands, stores, views
from allocation.redis import RedisConsumer, RedisPublisher, RedisRelay

pytestmark = pytest.mark.redis


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def subscribed(client, channel="allocation_required"):
    return lambda: dict(client.pubsub_numsub(channel)).get(channel, 0) >= 1


class Subscription:
    """A redis-py subscriber to one pub/sub channel, collecting JSON messages."""

    def __init__(self, client, channel):
        self.pubsub = client.pubsub()
        self.pubsub.subscribe(channel)
        assert self.pubsub.get_message(timeout=5)["type"] == "subscribe"

    def next(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.pubsub.get_message(timeout=0.1)
            if m and m["type"] == "message":
                return json.loads(m["data"])
        raise AssertionError("nothing was published")


def outbox_store(path):
    return stores.sqlite(f"sqlite:{path}", outbox=True)


def test_publish_on_pubsub_adds_an_id(redis_server):
    client = redis_server.client()
    sub = Subscription(client, "line_allocated")
    with RedisPublisher(redis_server.url) as pub:
        pub.publish("line_allocated", '{"orderid": "o1"}')
        pub.publish("line_allocated", '{"id": "mine", "orderid": "o2"}')
    first, second = sub.next(), sub.next()
    assert first["orderid"] == "o1" and first["id"]
    assert second == {"id": "mine", "orderid": "o2"}


def test_publish_on_streams(redis_server):
    with RedisPublisher(redis_server.url, mode="streams") as pub:
        pub.publish("line_allocated", '{"id": "e1", "orderid": "o1"}')
    [(_, fields)] = redis_server.client().xrange("line_allocated")
    assert fields["id"] == "e1"
    assert json.loads(fields["json"]) == {"id": "e1", "orderid": "o1"}


def test_the_bus_publishes_allocations_through_the_publisher(redis_server):
    sub = Subscription(redis_server.client(), "line_allocated")
    with RedisPublisher(redis_server.url) as pub, allocation.bootstrap(publish=pub) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 10))
        assert bus.handle(commands.Allocate("o1", "LAMP", 3)) == "b1"
        message = sub.next()
        assert bus.stats()["handler_failures"] == 0
    assert {k: message[k] for k in ("orderid", "sku", "qty", "batchref")} == {
        "orderid": "o1", "sku": "LAMP", "qty": 3, "batchref": "b1"}


def test_publishing_while_redis_is_down_raises_io_error(redis_server):
    with RedisPublisher(redis_server.url) as pub:
        pub.publish("line_allocated", "{}")
        redis_server.stop()
        with pytest.raises(allocation.IOError_):
            pub.publish("line_allocated", "{}")
        redis_server.start()
        pub.publish("line_allocated", "{}")  # connects again by itself


def test_bad_arguments_are_refused(redis_server, tmp_path):
    with pytest.raises(allocation.InvalidArgument, match="mode"):
        RedisPublisher(redis_server.url, mode="carrier-pigeon")
    with pytest.raises(allocation.InvalidArgument):
        RedisPublisher("http://127.0.0.1:6379")
    with stores.memory() as store, pytest.raises(allocation.Unsupported):
        RedisRelay(redis_server.url, store)  # no outbox


def test_consumer_turns_messages_into_commands(redis_server):
    client = redis_server.client()
    sub = Subscription(client, "line_allocated")
    with RedisPublisher(redis_server.url) as pub, allocation.bootstrap(publish=pub) as bus, \
            RedisConsumer(redis_server.url, bus) as consumer:
        consumer.start()
        assert consumer.running
        assert wait_until(subscribed(client))
        with pytest.raises(allocation.StateError, match="in use by a RedisConsumer"):
            bus.handle(commands.CreateBatch("b0", "LAMP", 1))
        with pytest.raises(allocation.StateError, match="already running"):
            consumer.start()
        client.publish("batch_created", json.dumps({"ref": "b1", "sku": "LAMP", "qty": 10}))
        client.publish("allocation_required",
                       json.dumps({"orderid": "o1", "sku": "LAMP", "qty": 4}))
        client.publish("allocation_required", "this is not JSON")
        assert sub.next()["orderid"] == "o1"
        assert wait_until(lambda: consumer.stats()["malformed"] == 1)
        consumer.stop()
        assert not consumer.running
        assert consumer.stats() == {"applied": 2, "malformed": 1, "duplicates": 0, "failed": 0}
        # Stopped, the bus is the caller's again.
        assert views.allocations("o1", bus) == [{"sku": "LAMP", "batchref": "b1"}]
        assert bus.handle(commands.Allocate("o2", "LAMP", 1)) == "b1"


def test_one_consumer_at_a_time_per_bus(redis_server):
    with allocation.bootstrap() as bus, RedisConsumer(redis_server.url, bus) as first, \
            RedisConsumer(redis_server.url, bus) as second:
        first.start()
        with pytest.raises(allocation.StateError, match="already in use by a RedisConsumer"):
            second.start()
        with pytest.raises(allocation.StateError, match="already in use"):
            second.run()
        assert first.running and not second.running
        with pytest.raises(allocation.StateError, match="in use by a RedisConsumer"):
            bus.handle(commands.CreateBatch("b1", "LAMP", 1))
        first.stop()
        second.start()  # the bus is free now
        second.stop()
        bus.handle(commands.CreateBatch("b1", "LAMP", 1))


def test_consumer_run_blocks_until_stopped_from_another_thread(redis_server):
    client = redis_server.client()
    with allocation.bootstrap() as bus, RedisConsumer(redis_server.url, bus) as consumer:
        stopper = threading.Thread(
            target=lambda: wait_until(subscribed(client)) and consumer.stop())
        stopper.start()
        consumer.run()  # returns once the other thread stopped it
        stopper.join()
        assert not consumer.running


def test_streams_consumer_and_relay_publish_from_the_outbox(redis_server, tmp_path):
    client = redis_server.client()
    db = tmp_path / "shop.db"
    with outbox_store(db) as bus_store, outbox_store(db) as relay_store, \
            allocation.bootstrap(bus_store) as bus, \
            RedisRelay(redis_server.url, relay_store, mode="streams") as relay, \
            RedisConsumer(redis_server.url, bus, "streams", group="shop", consumer="c1",
                          relay=relay) as consumer:
        relay.start()
        consumer.start()
        client.xadd("batch_created", {"json": json.dumps({"ref": "b1", "sku": "LAMP", "qty": 5})})
        client.xadd("allocation_required", {"orderid": "o1", "sku": "LAMP", "qty": "2"})
        assert wait_until(lambda: client.xlen("line_allocated") == 1)
        [(_, fields)] = client.xrange("line_allocated")
        assert json.loads(fields["json"])["orderid"] == "o1"
        assert [g["name"] for g in client.xinfo_groups("allocation_required")] == ["shop"]
        assert wait_until(lambda: client.xpending("allocation_required", "shop")["pending"] == 0)
        consumer.stop()
        relay.stop()
        assert relay.stats() == {"published": 1, "failures": 0}
        assert consumer.stats()["applied"] == 2


def test_relay_flush_publishes_what_is_queued(redis_server, tmp_path):
    db = tmp_path / "shop.db"
    sub = Subscription(redis_server.client(), "line_allocated")
    with outbox_store(db) as store, allocation.bootstrap(store) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5))
        bus.handle(commands.Allocate("o1", "LAMP", 1))
        bus.handle(commands.Allocate("o2", "LAMP", 1))
    with outbox_store(db) as store, RedisRelay(redis_server.url, store) as relay:
        assert relay.flush() == 2
        assert relay.flush() == 0
        assert [sub.next()["orderid"], sub.next()["orderid"]] == ["o1", "o2"]
        redis_server.stop()
        with outbox_store(db) as writer, allocation.bootstrap(writer) as bus:
            bus.handle(commands.Allocate("o3", "LAMP", 1))
        with pytest.raises(allocation.IOError_):
            relay.flush()
        assert relay.stats() == {"published": 2, "failures": 1}


def test_closing_an_owner_closes_what_borrows_it(redis_server, tmp_path):
    client = redis_server.client()
    # Closing the bus stops and frees its running consumer first.
    bus = allocation.bootstrap()
    consumer = RedisConsumer(redis_server.url, bus)
    consumer.start()
    assert wait_until(subscribed(client))
    bus.close()
    assert consumer.closed and not consumer.running
    assert wait_until(lambda: not subscribed(client)())
    # Closing the store closes its relay, and the relay the consumer using it.
    store = outbox_store(tmp_path / "shop.db")
    relay = RedisRelay(redis_server.url, store)
    with allocation.bootstrap() as bus:
        consumer = RedisConsumer(redis_server.url, bus, relay=relay)
        relay.start()
        consumer.start()
        store.close()
        assert relay.closed and consumer.closed and not bus.closed
        bus.handle(commands.CreateBatch("b1", "LAMP", 1))  # the bus is free again
    with pytest.raises(allocation.StateError, match="RedisRelay is closed"):
        relay.flush()


def test_what_still_runs_at_exit_is_stopped(redis_server, tmp_path):
    # A program that starts a consumer and a relay and exits without
    # stopping them: they are stopped at exit (before its own first exit
    # handler runs, as the package's is registered later), and it exits 0.
    program = """
import atexit, sys, time
atexit.register(lambda: print("running after exit:", consumer.running or relay.running))
import allocation
from allocation import stores
from allocation.redis import RedisConsumer, RedisRelay
url, db = sys.argv[1], "sqlite:" + sys.argv[2]
bus = allocation.bootstrap(stores.sqlite(db, outbox=True))
relay = RedisRelay(url, stores.sqlite(db, outbox=True))
consumer = RedisConsumer(url, bus, relay=relay)
relay.start()
consumer.start()
time.sleep(0.3)
print("exiting")
"""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(allocation.__file__)))
    done = subprocess.run([sys.executable, "-c", program, redis_server.url,
                           str(tmp_path / "shop.db")], capture_output=True, text=True,
                          timeout=30, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (
        0, "exiting\nrunning after exit: False\n", "")
    assert wait_until(lambda: not subscribed(redis_server.client())())
