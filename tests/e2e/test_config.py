"""Configuration like other daemons (issue 16): every setting from its flag,
its environment variable or a --config file, in that order of precedence;
--version; logs as plain text or JSON lines with nothing printed by a
dependency on its own; systemd readiness through NOTIFY_SOCKET."""

import json
import os
import pathlib
import shutil
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import SERVER, Server, unique

# setting → (environment variable, a valid value)
SETTINGS = {
    "listen": ("ALLOCATION_LISTEN", "127.0.0.1:0"),
    "db": ("ALLOCATION_DB", "sqlite:/tmp/x.db"),
    "smtp": ("ALLOCATION_SMTP", "smtp://127.0.0.1:1025"),
    "notify-to": ("ALLOCATION_NOTIFY_TO", "ops@example.com"),
    "notify-on": ("ALLOCATION_NOTIFY_ON", "allocated,out_of_stock"),
    "redis": ("ALLOCATION_REDIS", "redis://127.0.0.1:6379"),
    "redis-mode": ("ALLOCATION_REDIS_MODE", "streams"),
    "threads": ("ALLOCATION_THREADS", "3"),
    "retries": ("ALLOCATION_RETRIES", "7"),
    "quiet": ("ALLOCATION_QUIET", "1"),
    "log-format": ("ALLOCATION_LOG_FORMAT", "json"),
    "auth-token-file": ("ALLOCATION_AUTH_TOKEN_FILE", "/etc/allocation/token"),
    "tls-cert": ("ALLOCATION_TLS_CERT", "/etc/allocation/cert.pem"),
    "tls-key": ("ALLOCATION_TLS_KEY", "/etc/allocation/key.pem"),
    "allowed-host": ("ALLOCATION_ALLOWED_HOSTS", "a.example,b.example"),
    "max-connections-per-ip": ("ALLOCATION_MAX_CONNECTIONS_PER_IP", "12"),
    "backorders": ("ALLOCATION_BACKORDERS", "1"),
    "policy": ("ALLOCATION_POLICY", "latest-in-time"),
    "request-timeout": ("ALLOCATION_REQUEST_TIMEOUT", "20"),  # last: quoted in the file test
}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATION_")}
    env.update(extra)
    return env


def run(*args, env=None):
    return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=30,
                          env=env if env is not None else clean_env())


def printed(result):
    """--print-config → {name: (value, source)}."""
    assert result.returncode == 0, result.stderr
    out = {}
    for line in result.stdout.splitlines():
        m = re.match(r"^(\S+) = (.*)  # from (.*)$", line)
        if m:
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


def test_help_lists_every_setting_and_its_variable():
    text = run("--help").stdout
    for name, (env, _) in SETTINGS.items():
        assert f"--{name}" in text and env in text, name
    for flag in ("--config", "--version", "--print-config", "ALLOCATION_CONFIG"):
        assert flag in text
    assert "EVERY interface" in text  # --listen :PORT said plainly


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert re.match(r"^allocation-server \d+\.\d+\.\d+ \(liballocation \d+\.\d+\.\d+, "
                    r"libmicrohttpd [\d.]+\)$", r.stdout.strip()), r.stdout


def test_every_setting_from_environment():
    env = clean_env(**{var: value for var, value in SETTINGS.values()})
    got = printed(run("--print-config", env=env))
    for name, (var, value) in SETTINGS.items():
        assert got[name] == (value, var), name


def test_every_setting_from_config_file_and_precedence(tmp_path):
    conf = tmp_path / "server.conf"
    lines = ["# allocation-server settings", ""]
    lines += [f"{name} = {value}" for name, (_, value) in SETTINGS.items()]
    lines[-1] = 'request-timeout = "25"'  # quotes are allowed
    conf.write_text("\n".join(lines) + "\n")
    got = printed(run("--config", str(conf), "--print-config"))
    for i, (name, (_, value)) in enumerate(SETTINGS.items()):
        assert got[name][0] == (value if name != "request-timeout" else "25"), name
        assert got[name][1] == f"{conf}:{i + 3}: {name}"
    # The file through ALLOCATION_CONFIG; the environment beats it, a flag beats both.
    env = clean_env(ALLOCATION_CONFIG=str(conf), ALLOCATION_RETRIES="8")
    got = printed(run("--print-config", "--threads", "5", env=env))
    assert got["retries"] == ("8", "ALLOCATION_RETRIES")
    assert got["threads"] == ("5", "--threads")
    assert got["notify-to"][0] == "ops@example.com"


def test_configuration_errors_name_their_source(tmp_path):
    r = run("--print-config", env=clean_env(ALLOCATION_THREADS="0"))
    assert r.returncode == 2 and "ALLOCATION_THREADS must be 1-256, not '0'" in r.stderr
    conf = tmp_path / "bad.conf"
    conf.write_text("threads = 2\n\nretries = lots\n")
    r = run("--config", str(conf))
    assert r.returncode == 2 and f"{conf}:3: retries must be 0-1000" in r.stderr, r.stderr
    conf.write_text("listen 127.0.0.1:1\n")
    r = run("--config", str(conf))
    assert r.returncode == 2 and "name = value" in r.stderr
    conf.write_text("no-such-thing = 1\n")
    r = run("--config", str(conf))
    assert r.returncode == 2 and "unknown setting 'no-such-thing'" in r.stderr
    r = run("--config", str(tmp_path / "missing.conf"))
    assert r.returncode == 2 and "missing.conf" in r.stderr
    r = run("--print-config", env=clean_env(ALLOCATION_LOG_FORMAT="xml"))
    assert r.returncode == 2 and "plain or json" in r.stderr
    r = run("--print-config", env=clean_env(ALLOCATION_QUIET="maybe"))
    assert r.returncode == 2 and "ALLOCATION_QUIET" in r.stderr


def test_passwords_are_not_printed():
    env = clean_env(ALLOCATION_DB="postgresql://app:hunter2@db.example/alloc",
                    ALLOCATION_REDIS="redis://:hunter3@cache:6379")
    r = run("--print-config", "--smtp", "smtp://127.0.0.1:1025", env=env)
    assert "hunter" not in r.stdout
    assert "postgresql://app:***@db.example/alloc" in r.stdout
    r = run("--print-config", "--db", "host=db password=hunter4 dbname=x", env=clean_env())
    assert "hunter" not in r.stdout and "password=***" in r.stdout


def test_passwords_stay_out_of_start_errors():
    # libpq quotes the piece of the URL it cannot read: here, the password
    r = run("--db", "postgresql://app:hun%zzter2@db.example/alloc", env=clean_env())
    assert r.returncode != 0 and "percent-encoded" in r.stderr, r.stderr
    assert "hun" not in r.stderr and "ter2" not in r.stderr, r.stderr
    r = run("--db", "mysql://root:hunter5@db.example/x", env=clean_env())
    assert r.returncode != 0 and "mysql://root:***@db.example" in r.stderr, r.stderr
    assert "hunter5" not in r.stderr
    r = run("--db", "sqlite:x.db", "--redis", "redis://:hunter6@127.0.0.1:port",
            env=clean_env())
    assert r.returncode != 0 and "redis://:***@127.0.0.1:port" in r.stderr, r.stderr
    assert "hunter6" not in r.stderr


def test_start_is_clean_and_counts_threads_right(tmp_path, sqlite_url):
    cases = (("1", "1", "(1 thread, 1 writer)"), ("3", "2", "(3 threads, 2 writers)"))
    for threads, writers, word in cases:
        server = Server(
            tmp_path / f"t{threads}.log", sqlite_url, "--threads", threads, "--writers", writers
        )
        try:
            lines = server.read_log().splitlines()
            assert lines[0].startswith("allocation-server: listening on http://127.0.0.1:"), lines
            assert word in lines[0], lines[0]
            assert all(line.startswith("allocation-server: ") for line in lines), lines
        finally:
            assert server.stop() == 0
        assert "Zero size" not in server.read_log()


def test_json_log_lines(tmp_path, sqlite_url):
    # A Redis that is not there makes the library warn (its consumer retries).
    server = Server(tmp_path / "json.log", sqlite_url, "--log-format", "json",
                    "--redis", "redis://127.0.0.1:1")
    try:
        sku = unique("sku")
        assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 1}).status_code == 201
        assert server.post("/allocate", json={"orderid": "o1", "sku": sku, "qty": 5}).status_code == 202
        assert server.get("/allocations/none").status_code == 404
        deadline = time.monotonic() + 10
        while '"source":"library"' not in server.read_log() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        assert server.stop() == 0
    records = [json.loads(line) for line in server.read_log().splitlines()]
    for rec in records:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", rec["time"])
        assert rec["level"] in ("error", "warning", "info")
        assert rec["source"] in ("server", "library", "access", "http")
    # (the Redis consumer's first warning may come before it)
    assert any(r["source"] == "server" and r["message"].startswith("listening on http://")
               for r in records)
    access = [r for r in records if r["source"] == "access"]
    assert {(r["method"], r["path"], r["status"], r.get("outcome")) for r in access} >= {
        ("POST", "/add_batch", 201, "ok"), ("POST", "/allocate", 202, "out_of_stock"),
        ("GET", "/allocations/none", 404, None)}
    assert all(r["remote"] == "127.0.0.1" and r["duration_us"] >= 0 for r in access)
    library = [r for r in records if r["source"] == "library"]
    assert library and "redis" in library[0]["message"]
    assert records[-1]["message"] == "stopped"


def test_systemd_readiness(tmp_path, sqlite_url):
    if b"libsystemd" not in subprocess.run(["ldd", SERVER], capture_output=True).stdout:
        pytest.skip("built without libsystemd: no sd_notify")
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(20)
    try:
        env = dict(os.environ, NOTIFY_SOCKET=path)
        server = Server(tmp_path / "sd.log", sqlite_url, env=env)
        ready = sock.recv(4096).decode()
        assert "READY=1" in ready
        # READY comes once the port answers.
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        server.proc.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in sock.recv(4096).decode()
        assert server.proc.wait(timeout=30) == 0
        server.log.close()
    finally:
        sock.close()


SYSTEMD_DIR = pathlib.Path(__file__).resolve().parents[2] / "examples" / "systemd"


def test_systemd_unit_and_example_configuration(tmp_path):
    # The example environment file and config file hold only known settings.
    env = clean_env()
    for line in (SYSTEMD_DIR / "allocation-server.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    got = printed(run("--print-config", env=env))
    assert got["listen"] == ("127.0.0.1:5005", "ALLOCATION_LISTEN")
    got = printed(run("--config", str(SYSTEMD_DIR / "server.conf"), "--print-config"))
    assert got["request-timeout"][0] == "10"
    # The unit, pointed at this build, passes systemd's own check.
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    unit = (SYSTEMD_DIR / "allocation-server.service").read_text()
    assert "Type=notify" in unit
    unit = unit.replace("/usr/local/bin/allocation-server", os.path.abspath(SERVER))
    unit = unit.replace("User=allocation", "User=root").replace("Group=allocation", "Group=root")
    (tmp_path / "allocation-server.service").write_text(unit)
    man8 = tmp_path / "man" / "man8"
    man8.mkdir(parents=True)
    shutil.copy(SYSTEMD_DIR.parents[1] / "docs" / "man" / "allocation-server.8", man8)
    r = subprocess.run([analyze, "verify", str(tmp_path / "allocation-server.service")],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANPATH=str(tmp_path / "man")))
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
