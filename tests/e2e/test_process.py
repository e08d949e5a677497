"""The server as a process: flags, environment fallbacks, the request log and
a graceful stop under load."""

import os
import re
import signal
import subprocess
import threading
import time

import requests

from conftest import SERVER, Server, unique


def run(*args, env=None):
    return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=30, env=env)


def test_help_and_usage_errors():
    r = run("--help")
    assert r.returncode == 0
    for flag in ("--listen", "--db", "--smtp", "--notify-to", "--notify-on", "--redis",
                 "--threads", "--retries"):
        assert flag in r.stdout
    r = run("--no-such-flag")
    assert r.returncode == 2
    assert "--no-such-flag" in r.stderr
    r = run("--notify-on", "sunrise")
    assert r.returncode == 2
    assert "sunrise" in r.stderr
    r = run("--threads", "0")
    assert r.returncode == 2
    r = run("--retries", "many")
    assert r.returncode == 2
    assert "--retries must be 0-1000, not 'many'" in r.stderr


def test_unusable_store_is_reported_and_exits_1(tmp_path):
    r = run("--listen", "127.0.0.1:0", "--db", str(tmp_path / "no" / "such" / "dir.db"))
    assert r.returncode == 1
    assert "cannot start" in r.stderr and "dir.db" in r.stderr, r.stderr
    r = run("--listen", "127.0.0.1:0", "--db", "sqlite:" + str(tmp_path / "ok.db"),
            "--smtp", "http://mail.example.com")
    assert r.returncode == 1
    assert "smtp" in r.stderr, r.stderr


def test_environment_fallbacks_and_request_log(tmp_path):
    env = dict(os.environ, ALLOCATION_DB="sqlite:" + str(tmp_path / "env.db"),
               ALLOCATION_LISTEN="127.0.0.1:0")
    log = tmp_path / "server.log"
    # Server() passes --listen/--db itself, so start the process by hand.
    with open(log, "wb") as out:
        proc = subprocess.Popen([SERVER], stderr=out, env=env)
    try:
        deadline = time.monotonic() + 10
        url = None
        while url is None and time.monotonic() < deadline:
            m = re.search(r"listening on (http://\S+)/", log.read_text())
            url = m.group(1) if m else None
            time.sleep(0.02)
        assert url, log.read_text()
        r = requests.post(url + "/add_batch",
                          json={"ref": "env-b", "sku": "env-sku", "qty": 1, "eta": None})
        assert r.status_code == 201
        assert requests.get(url + "/allocations/none").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    assert (tmp_path / "env.db").exists()
    text = log.read_text()
    assert re.search(r"^POST /add_batch 201 \d+us ok$", text, re.M), text
    assert re.search(r"^GET /allocations/none 404 \d+us -$", text, re.M), text


def test_sigterm_under_load_answers_only_durable_2xx(tmp_path):
    db = "sqlite:" + str(tmp_path / "load.db")
    server = Server(tmp_path / "a.log", db)
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 10**9,
                                           "eta": None}).ok
    accepted, refused, lock, stop = [], [], threading.Lock(), threading.Event()

    def client(n):
        session = requests.Session()
        i = 0
        while not stop.is_set():
            orderid = f"load-{n}-{i}"
            i += 1
            try:
                r = session.post(server.url + "/allocate",
                                 json={"orderid": orderid, "sku": sku, "qty": 1}, timeout=10)
            except requests.RequestException:
                return  # the server stopped accepting
            with lock:
                (accepted if r.status_code == 202 else refused).append((orderid, r.text))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    assert server.stop() == 0
    stop.set()
    for t in threads:
        t.join()
    assert refused == []
    assert len(accepted) > 50
    accepted = [orderid for orderid, _ in accepted]

    again = Server(tmp_path / "b.log", db)
    try:
        for orderid in accepted:
            assert again.get(f"/allocations/{orderid}").status_code == 200, orderid
        [row] = again.batches(sku)["batches"]
        assert row["lines"] >= len(accepted)  # a request cut off mid-reply may have committed
    finally:
        assert again.stop() == 0


def test_address_in_use_is_reported_and_exits_1(tmp_path):
    first = Server(tmp_path / "first.log", "sqlite:" + str(tmp_path / "one.db"))
    try:
        port = first.url.rsplit(":", 1)[1]
        r = run("--listen", f"127.0.0.1:{port}", "--db", "sqlite:" + str(tmp_path / "two.db"))
        assert r.returncode == 1
        assert "cannot listen" in r.stderr
    finally:
        assert first.stop() == 0
