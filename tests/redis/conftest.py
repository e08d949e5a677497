"""Fixtures for the Redis end-to-end tests: a private redis-server per test
(started by tests/support/redis_server.sh on a free loopback port, so a test
may stop and restart it) and the real allocation-server with --redis.

ctest sets ALLOCATION_SERVER (the binary) and REDIS_SERVER_SCRIPT, and for the
PostgreSQL runs LA_TEST_PG_CONNINFO_FILE (the postgres_server fixture's
conninfo). By hand:
    ALLOCATION_SERVER=build/examples/server/allocation-server \\
        /usr/bin/python3 -m pytest -q tests/redis -m "not postgres"
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sqlite3
import sys
import threading
import time
import uuid

import pytest
import redis
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from servers import redis_server  # noqa: E402,F401  (a fixture)

SERVER = os.environ.get("ALLOCATION_SERVER")
PG_CONNINFO_FILE = os.environ.get("LA_TEST_PG_CONNINFO_FILE")
PSQL = os.environ.get("LA_TEST_PSQL", "/usr/bin/psql")
LISTENING = re.compile(r"listening on (http://[^ /]+/)")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs the test PostgreSQL server")


def pytest_collection_modifyitems(config, items):
    skip = None
    if not SERVER:
        skip = pytest.mark.skip(reason="ALLOCATION_SERVER is not set")
    elif not shutil.which("redis-server"):
        skip = pytest.mark.skip(reason="redis-server is not installed")
    for item in items:
        if skip:
            item.add_marker(skip)
        elif "postgres" in item.keywords and not PG_CONNINFO_FILE:
            item.add_marker(pytest.mark.skip(reason="LA_TEST_PG_CONNINFO_FILE is not set"))


class Store:
    """Where the service keeps its data: a SQLite file or a fresh PostgreSQL
    database; sql() runs a statement on it from the side (as an operator would)."""

    def __init__(self, kind, url):
        self.kind = kind
        self.url = url

    def sql(self, statement):
        if self.kind == "sqlite":
            db = sqlite3.connect(self.url[len("sqlite:"):], timeout=10)
            db.executescript(statement)
            db.close()
        else:
            subprocess.run([PSQL, self.url, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement],
                           check=True, capture_output=True)


def pg_conninfo(dbname=None):
    with open(PG_CONNINFO_FILE) as f:
        conninfo = f.read().strip()
    if dbname:
        conninfo = re.sub(r"dbname=\S+", "", conninfo).strip() + f" dbname={dbname}"
    return conninfo


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield Store("sqlite", f"sqlite:{tmp_path / 'allocation.db'}")
        return
    name = "redis_e2e_" + uuid.uuid4().hex[:12]
    admin = Store("postgres", pg_conninfo())
    admin.sql(f"CREATE DATABASE {name}")
    try:
        yield Store("postgres", pg_conninfo(name))
    finally:
        admin.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class Service:
    """One allocation-server process with --redis."""

    def __init__(self, workdir, db, redis_url, mode="pubsub", env=None):
        self.workdir = workdir
        self.db = db
        self.redis_url = redis_url
        self.mode = mode
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.starts = 0
        self.start()

    def start(self, env=None):
        self.starts += 1
        self.log_path = os.path.join(self.workdir, f"server-{self.starts}.log")
        self.log = open(self.log_path, "wb")
        cmd = [SERVER, "--listen", "127.0.0.1:0", "--db", self.db, "--quiet",
               "--redis", self.redis_url, "--redis-mode", self.mode]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log,
                                     env=dict(self.env, **(env or {})))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = LISTENING.search(self.read_log())
            if m:
                self.url = m.group(1).rstrip("/")
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"server did not start:\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def post(self, path, body):
        return requests.post(self.url + path, json=body, timeout=10)

    def add_batch(self, ref, sku, qty, eta=None):
        r = self.post("/add_batch", {"ref": ref, "sku": sku, "qty": qty, "eta": eta})
        assert r.status_code == 201, r.text

    def allocate(self, orderid, sku, qty):
        return self.post("/allocate", {"orderid": orderid, "sku": sku, "qty": qty})

    def allocations(self, orderid):
        r = requests.get(f"{self.url}/allocations/{orderid}", timeout=10)
        return r.json() if r.status_code == 200 else []

    def batches(self, sku):
        r = requests.get(f"{self.url}/batches", params={"sku": sku}, timeout=10)
        assert r.status_code == 200, r.text
        return {b["ref"]: b for b in r.json()["batches"]}

    def stop(self):
        """SIGTERM: a clean shutdown (exit status 0)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"server did not stop:\n{self.read_log()}")
            assert rc == 0, f"server exited {rc}:\n{self.read_log()}"
        self.proc = None

    def kill(self):
        """SIGKILL: a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def service_factory(tmp_path, store):
    services = []

    def make(redis_url, mode="pubsub", env=None, db=None):
        s = Service(str(tmp_path), db or store.url, redis_url, mode, env)
        services.append(s)
        return s

    yield make
    for s in services:
        s.kill()


class Subscriber:
    """Collects what is published on line_allocated, reconnecting by itself
    (pub/sub) or reading the stream from its start (streams)."""

    def __init__(self, server, mode="pubsub", channel="line_allocated"):
        self.server = server
        self.mode = mode
        self.channel = channel
        self.messages = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if mode == "pubsub":
            assert self.subscribed.wait(5), "test subscriber could not subscribe"

    def _run(self):
        last_id = "0"
        while not self.stopping.is_set():
            try:
                client = self.server.client(socket_timeout=1, socket_connect_timeout=1)
                if self.mode == "pubsub":
                    pubsub = client.pubsub()
                    pubsub.subscribe(self.channel)
                    self.subscribed.set()
                    while not self.stopping.is_set():
                        m = pubsub.get_message(timeout=0.2)
                        if m and m["type"] == "message":
                            with self.lock:
                                self.messages.append(json.loads(m["data"]))
                else:
                    while not self.stopping.is_set():
                        got = client.xread({self.channel: last_id}, block=200, count=100)
                        for _, entries in got or []:
                            for entry_id, fields in entries:
                                last_id = entry_id
                                with self.lock:
                                    self.messages.append(json.loads(fields["json"]))
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                self.subscribed.clear()
                time.sleep(0.005)

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = [m for m in self.snapshot() if predicate(m)]
            if got:
                return got
            time.sleep(0.01)
        return []

    def wait_count(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.snapshot()) < n:
            time.sleep(0.01)
        return self.snapshot()

    def close(self):
        self.stopping.set()
        self.thread.join(5)


@pytest.fixture
def subscriber_factory():
    subs = []

    def make(server, mode="pubsub"):
        s = Subscriber(server, mode)
        subs.append(s)
        return s

    yield make
    for s in subs:
        s.close()


def wait_until(predicate, timeout=5.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wait_consumer_ready(server, mode, timeout=5.0):
    """The service's consumer is listening: subscribed, or its group exists."""
    client = server.client()
    if mode == "pubsub":
        ok = wait_until(
            lambda: dict(client.pubsub_numsub("change_batch_quantity")).get(
                "change_batch_quantity", 0) >= 1, timeout)
    else:
        def group_exists():
            try:
                return any(g["name"] == "allocation"
                           for g in client.xinfo_groups("change_batch_quantity"))
            except redis.ResponseError:
                return False
        ok = wait_until(group_exists, timeout)
    assert ok, "the service's consumer is not listening"
