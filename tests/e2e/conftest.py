"""End-to-end fixtures: the real allocation-server binary on a free port.

ctest sets ALLOCATION_SERVER to the binary and, for the PostgreSQL runs,
LA_TEST_PG_CONNINFO_FILE to the file holding the test server's conninfo.
By hand:
    ALLOCATION_SERVER=build/examples/server/allocation-server \
        /usr/bin/python3 -m pytest -q tests/e2e -m "not postgres"
"""

import contextlib
import functools
import os
import re
import signal
import socket
import subprocess
import time
import uuid

import pytest
import requests

SERVER = os.environ.get("ALLOCATION_SERVER")
PG_CONNINFO_FILE = os.environ.get("LA_TEST_PG_CONNINFO_FILE")
PSQL = os.environ.get("LA_TEST_PSQL", "/usr/bin/psql")
LISTENING = re.compile(r"listening on (https?://[^ /]+/)")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs the test PostgreSQL server")
    config.addinivalue_line("markers", "slow: takes several seconds")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not SERVER:
            item.add_marker(pytest.mark.skip(reason="ALLOCATION_SERVER is not set"))
        elif "postgres" in item.keywords and not PG_CONNINFO_FILE:
            item.add_marker(pytest.mark.skip(reason="LA_TEST_PG_CONNINFO_FILE is not set"))


def unique(prefix):
    """A name no other test (or earlier run on the same database) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One allocation-server process; stop() checks it exits 0 on SIGTERM."""

    def __init__(self, log_path, db, *args, env=None, listen="127.0.0.1:0", token=None,
                 verify=None):
        self.log_path = log_path
        self.log = open(log_path, "wb")
        cmd = [SERVER, "--listen", listen, "--db", db, *args]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=self.log, env=env or os.environ.copy()
        )
        self.url = self._wait_listening()
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if verify:
            # Per request: requests lets REQUESTS_CA_BUNDLE override session.verify.
            self.session.verify = verify
            self.session.request = functools.partial(self.session.request, verify=verify)

    def _wait_listening(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with open(self.log_path, "r", errors="replace") as f:
                m = LISTENING.search(f.read())
            if m:
                return m.group(1).rstrip("/")
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"server did not start:\n{self.read_log()}")

    def read_log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def post(self, path, json=None, data=None, **kw):
        return self.session.post(self.url + path, json=json, data=data, timeout=30, **kw)

    def get(self, path, **kw):
        return self.session.get(self.url + path, timeout=30, **kw)

    def batches(self, sku=None, **params):
        if sku is not None:
            params["sku"] = sku
        r = self.get("/batches", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        """SIGTERM: the server finishes in-flight requests and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError("server did not stop on SIGTERM")
        self.session.close()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def pg_conninfo(dbname=None):
    with open(PG_CONNINFO_FILE) as f:
        conninfo = f.read().strip()
    if dbname:
        conninfo = re.sub(r"dbname=\S+", "", conninfo).strip() + f" dbname={dbname}"
    return conninfo


def psql(sql):
    subprocess.run(
        [PSQL, pg_conninfo(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def fresh_store(backend, tmp_dir):
    """A fresh, empty store: a new SQLite file in tmp_dir, or a new database
    on the test PostgreSQL server (dropped afterwards)."""
    if backend == "sqlite":
        yield "sqlite:" + str(tmp_dir / "allocation.db")
        return
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    try:
        yield pg_conninfo(name)
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    with fresh_store(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    return "sqlite:" + str(tmp_path / "allocation.db")


class Servers:
    """Starts servers; stop_all() stops them and checks each exited 0."""

    def __init__(self, tmp_dir):
        self.tmp_dir = tmp_dir
        self.servers = []

    def __call__(self, db, *args, env=None, **kw):
        server = Server(self.tmp_dir / f"server{len(self.servers)}.log", db, *args, env=env, **kw)
        self.servers.append(server)
        return server

    def stop_all(self):
        failures = []
        for server in self.servers:
            if server.proc.poll() is None:
                code = server.stop()
                if code != 0:
                    failures.append(f"exit {code}:\n{server.read_log()}")
            else:
                server.log.close()
        assert not failures, failures


@pytest.fixture
def start_server(tmp_path):
    """start_server(db, *flags) → a running Server, stopped after the test."""
    servers = Servers(tmp_path)
    yield servers
    servers.stop_all()


@pytest.fixture(scope="module", params=BACKENDS)
def module_server(request, tmp_path_factory):
    """One server on a fresh store for a whole module (tests that must leave
    the state unchanged can share it)."""
    tmp_dir = tmp_path_factory.mktemp("module")
    with fresh_store(request.param, tmp_dir) as url:
        servers = Servers(tmp_dir)
        yield servers(url)
        servers.stop_all()


@pytest.fixture
def server(db_url, start_server):
    return start_server(db_url)


def csv_folder(tmp_path):
    """An empty CSV store's folder (batches.csv and allocations.csv headers)."""
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "batches.csv").write_text("ref,sku,qty,eta\n")
    (folder / "allocations.csv").write_text("orderid,sku,qty,batchref\n")
    return folder
