"""Operators' endpoints (issue 16): /healthz, /readyz (also with PostgreSQL
stopped and started again under a running server), /metrics read with the
Prometheus client's own parser, and the OpenAPI document served."""

import json
import os
import pathlib
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import unique

ROOT = pathlib.Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "tests" / "support" / "pg_server.sh"


def test_healthz_and_readyz(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"status": "ok"}
    r = server.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}
    assert server.session.head(server.url + "/healthz").status_code == 200


def metrics(server):
    """{(name, frozenset(labels)): value} and the families, via the real parser."""
    r = server.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples, families = {}, {}
    for family in text_string_to_metric_families(r.text):
        families[family.name] = family
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, families


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_commands_and_latency(server):
    before, families = metrics(server)
    for name, kind in [("allocation_http_requests", "counter"),
                       ("allocation_http_request_duration_seconds", "histogram"),
                       ("allocation_commands", "counter"),
                       ("allocation_command_conflict_retries", "counter"),
                       ("allocation_store_errors", "counter"),
                       ("allocation_write_batch_size", "histogram"),
                       ("allocation_http_requests_in_flight", "gauge")]:
        assert families[name].type == kind, name

    sku, batch = unique("sku"), unique("batch")
    assert server.post("/add_batch", json={"ref": batch, "sku": sku, "qty": 2}).status_code == 201
    assert server.post("/allocate", json={"orderid": unique("o"), "sku": sku, "qty": 2}).status_code == 202
    assert server.post("/allocate", json={"orderid": unique("o"), "sku": sku, "qty": 1}).status_code == 202
    assert server.post("/allocate", json={"orderid": "o", "sku": unique("nope"), "qty": 1}).status_code == 400
    assert server.post("/allocate", json={"orderid": "o", "sku": sku}).status_code == 400
    assert server.post("/add_batch", json={"ref": batch, "sku": sku, "qty": 3}).status_code == 409
    assert server.get("/nowhere").status_code == 404
    after, _ = metrics(server)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    req = "allocation_http_requests_total"
    assert moved(req, route="add_batch", code="201") == 1
    assert moved(req, route="add_batch", code="409") == 1
    assert moved(req, route="allocate", code="202") == 2
    assert moved(req, route="allocate", code="400") == 2
    assert moved(req, route="unmatched", code="404") == 1
    # The /metrics request that produced `before` is counted in `after`.
    assert moved(req, route="metrics", code="200") == 1
    cmd = "allocation_commands_total"
    assert moved(cmd, kind="allocate", outcome="allocated") == 1
    assert moved(cmd, kind="allocate", outcome="out_of_stock") == 1
    assert moved(cmd, kind="allocate", outcome="rejected") == 1
    assert moved(cmd, kind="allocate", outcome="invalid") == 1
    assert moved(cmd, kind="add_batch", outcome="ok") == 1
    assert moved(cmd, kind="add_batch", outcome="conflict") == 1
    lat = "allocation_http_request_duration_seconds"
    assert moved(lat + "_count", route="allocate") == 4
    assert moved(lat + "_bucket", route="allocate", le="+Inf") == 4
    assert moved(lat + "_sum", route="allocate") > 0
    assert value(after, "allocation_store_errors_total") == 0
    # Five commands reached the write pipeline (not the one refused for a
    # missing field), one at a time: five units of work of one command.
    batches = "allocation_write_batch_size"
    assert moved(batches + "_count") == 5
    assert moved(batches + "_sum") == 5
    assert moved(batches + "_bucket", le="1") == 5


def test_metrics_of_smtp_queue(tmp_path, sqlite_url, start_server):
    # An SMTP server that is not there: the notification waits in the queue
    # and then fails; the queue gauge and the failure counter show it.
    server = start_server(sqlite_url, "--smtp", "smtp://127.0.0.1:9")
    samples, families = metrics(server)
    assert families["allocation_smtp_queue_length"].type == "gauge"
    assert value(samples, "allocation_smtp_failed_total") == 0
    sku = unique("sku")
    assert server.post("/allocate", json={"orderid": "o", "sku": sku, "qty": 1}).status_code == 400
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 1}).status_code == 201
    assert server.post("/allocate", json={"orderid": "o1", "sku": sku, "qty": 5}).status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        samples, _ = metrics(server)
        if value(samples, "allocation_smtp_failed_total") == 1:
            break
        time.sleep(0.1)
    assert value(samples, "allocation_smtp_failed_total") == 1
    assert value(samples, "allocation_smtp_queue_length") == 0


def test_openapi_document_is_served(module_server):
    r = module_server.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == json.loads((ROOT / "docs" / "openapi.json").read_text())


def pg_ctl(pg_dir, action):
    """Stop or start the PostgreSQL server of pg_server.sh in pg_dir, keeping
    its data and port."""
    data = (pg_dir / "datadir").read_text().strip()
    port = (pg_dir / "port").read_text().strip()
    cmd = ["/usr/lib/postgresql/15/bin/pg_ctl", action, "-D", f"{data}/pgdata", "-w", "-t", "60"]
    if action == "start":
        cmd += ["-l", f"{data}/server.log", "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={data}"]
    else:
        cmd += ["-m", "fast"]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=90)


@pytest.fixture
def own_postgres(tmp_path):
    """A PostgreSQL server of this test's own, which it may stop and start."""
    pg_dir = tmp_path / "pg"
    subprocess.run(["sh", str(PG_SCRIPT), "start", str(pg_dir)], check=True,
                   capture_output=True, timeout=120)
    try:
        yield pg_dir, (pg_dir / "conninfo").read_text().strip()
    finally:
        subprocess.run(["sh", str(PG_SCRIPT), "stop", str(pg_dir)], capture_output=True,
                       timeout=120)


@pytest.mark.postgres
def test_readyz_follows_postgres_down_and_up(own_postgres, start_server):
    pg_dir, conninfo = own_postgres
    server = start_server(conninfo, "--threads", "2")
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 9}).status_code == 201
    assert server.get("/readyz").status_code == 200
    pg_ctl(pg_dir, "stop")
    try:
        r = server.get("/readyz")
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "unavailable" and body["message"]
        port = (pg_dir / "port").read_text().strip()
        r = server.post("/allocate", json={"orderid": unique("o"), "sku": sku, "qty": 1})
        assert r.status_code == 503
        # Redacted: neither the server's address nor libpq's text reaches the client.
        for reply in (body["message"], r.json()["message"]):
            assert port not in reply and "127.0.0.1" not in reply
            assert "connection" not in reply.lower() and "postgres" not in reply.lower()
        assert server.get("/healthz").status_code == 200  # alive all the same
        samples, _ = metrics(server)
        assert value(samples, "allocation_store_errors_total") >= 2
    finally:
        pg_ctl(pg_dir, "start")
    deadline = time.monotonic() + 10
    while server.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.get("/readyz").json() == {"status": "ok"}
    r = server.post("/allocate", json={"orderid": unique("o"), "sku": sku, "qty": 1})
    assert r.status_code == 202, r.text
    assert "server closed the connection" not in r.text
    assert "connection" in server.read_log().lower()  # the detail went to the log


REDIS_SCRIPT = ROOT / "tests" / "support" / "redis_server.sh"


@pytest.fixture
def own_redis(tmp_path):
    d = tmp_path / "redis"
    url = subprocess.run(["sh", str(REDIS_SCRIPT), "start", str(d)], check=True,
                         capture_output=True, text=True, timeout=60).stdout.strip()
    try:
        yield url
    finally:
        subprocess.run(["sh", str(REDIS_SCRIPT), "stop", str(d)], capture_output=True,
                       timeout=60)


def test_metrics_of_the_outbox_relay_and_consumer(own_redis, sqlite_url, start_server):
    redis = pytest.importorskip("redis")
    server = start_server(sqlite_url, "--redis", own_redis)
    samples, _ = metrics(server)
    assert value(samples, "allocation_outbox_published_total") == 0
    sku, batch = unique("sku"), unique("batch")
    assert server.post("/add_batch", json={"ref": batch, "sku": sku, "qty": 5}).status_code == 201
    assert server.post("/allocate", json={"orderid": "o1", "sku": sku, "qty": 1}).status_code == 202
    client = redis.Redis.from_url(own_redis)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        client.publish("change_batch_quantity", json.dumps({"batchref": batch, "qty": 4}))
        client.publish("change_batch_quantity", "not json")
        samples, _ = metrics(server)
        if (value(samples, "allocation_outbox_published_total") >= 1 and
                value(samples, "allocation_events_consumed_total", outcome="applied") >= 1 and
                value(samples, "allocation_events_consumed_total", outcome="malformed") >= 1):
            break
        time.sleep(0.1)
    assert value(samples, "allocation_outbox_published_total") >= 1
    assert value(samples, "allocation_events_consumed_total", outcome="applied") >= 1
    assert value(samples, "allocation_events_consumed_total", outcome="malformed") >= 1
    assert server.batches(sku)["batches"][0]["purchased"] == 4


def test_outbox_backlog_and_relay_lag_while_redis_is_down(tmp_path, own_redis, db_url,
                                                          start_server):
    """The relay cannot publish while Redis is stopped: the backlog holds the
    committed Allocated events and the lag grows; once Redis is back the
    relay drains the outbox and both fall to 0."""
    server = start_server(db_url, "--redis", own_redis)
    samples, families = metrics(server)
    for name in ("allocation_outbox_backlog", "allocation_outbox_relay_lag_seconds"):
        assert families[name].type == "gauge", name
        assert value(samples, name) == 0, name
    sku, batch = unique("sku"), unique("batch")
    assert server.post("/add_batch", json={"ref": batch, "sku": sku, "qty": 5}).status_code == 201

    redis_dir = str(tmp_path / "redis")
    subprocess.run(["sh", str(REDIS_SCRIPT), "stop", redis_dir], check=True, timeout=60)
    for order in ("o1", "o2", "o3"):
        r = server.post("/allocate", json={"orderid": order, "sku": sku, "qty": 1})
        assert r.status_code == 202, r.text
    time.sleep(1.0)
    samples, _ = metrics(server)
    assert value(samples, "allocation_outbox_backlog") == 3
    lag = value(samples, "allocation_outbox_relay_lag_seconds")
    assert 1.0 <= lag < 60, lag
    time.sleep(0.5)
    samples, _ = metrics(server)
    assert value(samples, "allocation_outbox_relay_lag_seconds") >= lag + 0.5, "the lag grows"

    subprocess.run(["sh", str(REDIS_SCRIPT), "start", redis_dir], check=True, timeout=60,
                   capture_output=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        samples, _ = metrics(server)
        if value(samples, "allocation_outbox_backlog") == 0:
            break
        time.sleep(0.1)
    assert value(samples, "allocation_outbox_backlog") == 0
    assert value(samples, "allocation_outbox_relay_lag_seconds") == 0
    assert value(samples, "allocation_outbox_published_total") >= 3
    assert value(samples, "allocation_store_errors_total") == 0


def test_no_outbox_gauges_without_a_relay(server):
    samples, families = metrics(server)
    assert "allocation_outbox_backlog" not in families
    assert "allocation_outbox_relay_lag_seconds" not in families
