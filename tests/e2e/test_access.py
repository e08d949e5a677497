"""Who may call (issue 15): the bearer token, TLS, the Host header against DNS
rebinding, and JSON-only writes against cross-origin form posts. Each refusal
leaves the state unchanged."""

import os
import socket
import subprocess

import pytest
import requests

from conftest import SERVER, Server, unique

TOKEN = "tok-" + "x" * 40


def token_file(tmp_path, text=TOKEN + "\n", mode=0o600):
    path = tmp_path / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


def run(*args, env=None):
    return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=30, env=env)


def test_token_required_everywhere_but_healthz(tmp_path, sqlite_url, start_server):
    server = start_server(sqlite_url, "--auth-token-file", str(token_file(tmp_path)),
                          token=TOKEN)
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 5}).status_code == 201
    before = server.batches()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Bearer {TOKEN[:-1]}"},
                    {"Authorization": "Bearer "}):
        for method, path in [("POST", "/allocate"), ("POST", "/cancel_batch"),
                             ("GET", "/batches"), ("GET", "/readyz"), ("GET", "/metrics"),
                             ("GET", "/openapi.json"), ("GET", "/allocations/o1"),
                             ("GET", "/no/such/path")]:
            r = requests.request(method, server.url + path, headers=headers, timeout=10,
                                 json={"orderid": "o1", "sku": sku, "qty": 1, "ref": "b"})
            assert r.status_code == 401, (headers, path, r.status_code)
            assert r.headers["WWW-Authenticate"].startswith("Bearer"), r.headers
            assert r.json()["message"]
    assert server.batches() == before  # nothing allocated, nothing cancelled
    assert requests.get(server.url + "/healthz", timeout=10).json() == {"status": "ok"}
    r = server.post("/allocate", json={"orderid": "o1", "sku": sku, "qty": 1})
    assert r.status_code == 202
    # The scheme is case-insensitive (RFC 7235).
    r = requests.get(server.url + "/batches", headers={"Authorization": f"bearer {TOKEN}"})
    assert r.status_code == 200


def test_token_file_from_environment_and_its_checks(tmp_path, sqlite_url):
    path = token_file(tmp_path)
    env = dict(os.environ, ALLOCATION_AUTH_TOKEN_FILE=str(path))
    server = Server(tmp_path / "env.log", sqlite_url, env=env)
    try:
        assert requests.get(server.url + "/batches", timeout=10).status_code == 401
        assert requests.get(server.url + "/batches", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        assert server.stop() == 0

    path.chmod(0o644)
    r = run("--listen", "127.0.0.1:0", "--db", sqlite_url, "--auth-token-file", str(path))
    assert r.returncode == 1
    assert "readable by every user" in r.stderr and "chmod" in r.stderr, r.stderr
    empty = token_file(tmp_path, text="\n")
    r = run("--listen", "127.0.0.1:0", "--db", sqlite_url, "--auth-token-file", str(empty))
    assert r.returncode == 1 and "empty" in r.stderr, r.stderr
    r = run("--listen", "127.0.0.1:0", "--db", sqlite_url, "--auth-token-file",
            str(tmp_path / "missing"))
    assert r.returncode == 1 and "missing" in r.stderr, r.stderr


def make_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    key.chmod(0o600)
    return cert, key


def test_tls(tmp_path, sqlite_url, start_server):
    cert, key = make_certificate(tmp_path)
    server = start_server(sqlite_url, "--tls-cert", str(cert), "--tls-key", str(key),
                          "--auth-token-file", str(token_file(tmp_path)), token=TOKEN,
                          verify=str(cert))
    assert server.url.startswith("https://127.0.0.1:")
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 5}).status_code == 201
    assert server.batches(sku)["batches"][0]["purchased"] == 5
    # Plain HTTP on the TLS port gets no answer of the service.
    with pytest.raises(requests.RequestException):
        requests.get(server.url.replace("https", "http") + "/healthz", timeout=5)
    # A client that does not trust the certificate refuses to talk.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/healthz", timeout=5)

    r = run("--listen", "127.0.0.1:0", "--db", sqlite_url, "--tls-cert", str(cert))
    assert r.returncode == 2 and "--tls-key" in r.stderr
    r = run("--listen", "127.0.0.1:0", "--db", sqlite_url, "--tls-cert", str(cert),
            "--tls-key", str(tmp_path / "token"))
    assert r.returncode == 1 and "PEM" in r.stderr, r.stderr


def test_host_header_must_name_this_server(tmp_path, sqlite_url, start_server):
    server = start_server(sqlite_url, "--allowed-host", "alloc.internal",
                          "--allowed-host", "other.internal")
    port = server.url.rsplit(":", 1)[1]
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 5}).status_code == 201
    before = server.batches()
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.2", "alloc.internal.evil",
                 "[::1]", ""):
        r = server.get("/batches", headers={"Host": host})
        assert r.status_code == 421, (host, r.status_code)
        assert "host" in r.json()["message"]
        r = server.post("/cancel_batch", json={"ref": "b"}, headers={"Host": host})
        assert r.status_code == 421
    assert server.batches() == before
    for host in (f"127.0.0.1:{port}", "127.0.0.1", f"localhost:{port}", "LOCALHOST",
                 "alloc.internal", f"Other.Internal:{port}"):
        assert server.get("/batches", headers={"Host": host}).status_code == 200, host


def test_every_interface_accepts_address_literals_and_warns_without_token(tmp_path, sqlite_url):
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    free = port.getsockname()[1]
    port.close()
    server = Server(tmp_path / "any.log", sqlite_url, listen=f":{free}")
    try:
        assert "without --auth-token-file" in server.read_log()
        url = f"http://127.0.0.1:{free}"
        assert requests.get(url + "/healthz", timeout=10).status_code == 200
        assert requests.get(url + "/batches", headers={"Host": "10.1.2.3"}).status_code == 200
        assert requests.get(url + "/batches", headers={"Host": "evil.example"}).status_code == 421
    finally:
        assert server.stop() == 0
    quiet = Server(tmp_path / "lo.log", sqlite_url)
    try:
        assert "without --auth-token-file" not in quiet.read_log()
    finally:
        assert quiet.stop() == 0


def test_writes_must_be_json(module_server):
    server = module_server
    sku = unique("sku")
    assert server.post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 5}).status_code == 201
    before = server.batches()
    body = '{"orderid": "o1", "sku": "%s", "qty": 1}' % sku
    for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "text/plain;charset=UTF-8"},
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    {"Content-Type": "multipart/form-data; boundary=x"},
                    {"Content-Type": "application/jsonx"}, {}):
        r = server.session.post(server.url + "/allocate", data=body, headers=headers, timeout=10)
        assert r.status_code == 415, (headers, r.status_code)
        assert "application/json" in r.json()["message"]
    assert server.batches() == before
    for media in ("application/json", "Application/JSON; charset=utf-8"):
        r = server.session.post(server.url + "/allocate", data=body.replace("o1", unique("o")),
                                headers={"Content-Type": media}, timeout=10)
        assert r.status_code == 202, (media, r.text)
