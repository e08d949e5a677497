"""Real responses of every endpoint checked against docs/openapi.json with
python3-jsonschema: each (path, method, status) answered must be documented,
with a body of the documented media type that validates against its schema;
and every documented answer must be seen at least once (but the two the
server gives only on failures a test cannot cause: 500, 503 of /metrics
when out of memory, and the 409 of a command other than add_batch/allocate,
which only a concurrent change outliving every retry produces)."""

import json
import pathlib
import shutil

import jsonschema
import pytest
import requests

from conftest import csv_folder, unique

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "docs" / "openapi.json").read_text())
RESOLVER = jsonschema.RefResolver.from_schema(DOC)
NOT_PROVOKED = {("/metrics", "get", "503")} | {
    (path, method, "500") for path, item in DOC["paths"].items() for method in item
} | {(path, "post", "409") for path in ("/deallocate", "/change_batch_quantity", "/cancel_batch",
                                       "/confirm")}


def resolve(node):
    while "$ref" in node:
        node = RESOLVER.resolve(node["$ref"])[1]
    return node


class Conformance:
    def __init__(self):
        self.seen = set()

    def check(self, template, response):
        method = response.request.method.lower()
        operation = DOC["paths"][template][method]
        status = str(response.status_code)
        assert status in operation["responses"], (template, method, status, response.text)
        documented = resolve(operation["responses"][status])
        media = response.headers["Content-Type"].split(";")[0].strip()
        assert media in documented["content"], (template, status, media)
        schema = documented["content"][media]["schema"]
        body = response.json() if media == "application/json" else response.text
        validator = jsonschema.Draft202012Validator(
            schema, resolver=RESOLVER, format_checker=jsonschema.FormatChecker())
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (template, status, body, errors)
        for name in documented.get("headers", {}):
            assert name in response.headers, (template, status, name)
        self.seen.add((template, method, status))

    def missing(self, skip=()):
        documented = {(path, method, status) for path, item in DOC["paths"].items()
                      for method, op in item.items() for status in op["responses"]}
        return documented - self.seen - set(skip)


@pytest.fixture(scope="module")
def conformance():
    c = Conformance()
    yield c
    # Run last (module order): every documented answer was produced.
    assert not c.missing(NOT_PROVOKED), sorted(c.missing(NOT_PROVOKED))


def token_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("s3cret-token\n")
    path.chmod(0o600)
    return path


def test_every_endpoint_answers_as_documented(tmp_path, sqlite_url, start_server, conformance):
    server = start_server(sqlite_url, "--auth-token-file", str(token_file(tmp_path)),
                          token="s3cret-token")
    c, post, get = conformance, server.post, server.get
    sku, batch, order = unique("sku"), unique("batch"), unique("order")
    c.check("/add_batch", post("/add_batch", json={"ref": batch, "sku": sku, "qty": 5,
                                                   "eta": "2031-02-03"}))
    c.check("/add_batch", post("/add_batch", json={"ref": batch, "sku": sku, "qty": 6}))  # 409
    c.check("/add_batch", post("/add_batch", json={"ref": batch}))  # 400
    c.check("/add_batch", post("/add_batch", data=b'{"ref": "x"}',
                               headers={"Content-Type": "text/plain"}))  # 415
    c.check("/add_batch", post("/add_batch", json={"pad": "x" * 70000}))  # 413
    c.check("/allocate", post("/allocate", json={"orderid": order, "sku": sku, "qty": 2}))
    c.check("/allocate", post("/allocate", json={"orderid": order, "sku": sku, "qty": 3}))  # 409
    c.check("/allocate", post("/allocate", json={"orderid": order, "sku": "nope", "qty": 1}))
    c.check("/allocate", post("/allocate", json={}, headers={"Content-Type": "text/plain"}))
    c.check("/allocate", post("/allocate", json={"pad": "x" * 70000}))
    c.check("/allocations/{orderid}", get(f"/allocations/{order}"))
    c.check("/allocations/{orderid}", get("/allocations/" + unique("none")))  # 404 text
    c.check("/allocations/{orderid}", get("/allocations/" + "x" * 300))  # 400
    c.check("/allocations/{orderid}/history", get(f"/allocations/{order}/history"))
    c.check("/allocations/{orderid}/history", get(f"/allocations/{unique('none')}/history"))
    c.check("/allocations/{orderid}/history", get("/allocations/" + "x" * 300 + "/history"))
    c.check("/batches", get("/batches", params={"sku": sku, "limit": 1}))
    c.check("/batches", get("/batches", params={"limit": 0}))  # 400
    c.check("/change_batch_quantity", post("/change_batch_quantity", json={"ref": batch, "qty": 4}))
    c.check("/change_batch_quantity", post("/change_batch_quantity", json={"ref": "no", "qty": 4}))
    c.check("/deallocate", post("/deallocate", json={"orderid": order, "sku": sku}))
    c.check("/deallocate", post("/deallocate", json={"orderid": order, "sku": sku}))  # 404
    c.check("/deallocate", post("/deallocate", json={"orderid": order, "sku": "nope"}))  # 400
    c.check("/cancel_batch", post("/cancel_batch", json={"ref": batch}))
    c.check("/cancel_batch", post("/cancel_batch", json={"ref": batch}))  # 400: gone
    c.check("/healthz", get("/healthz"))
    c.check("/readyz", get("/readyz"))
    c.check("/metrics", get("/metrics"))
    c.check("/openapi.json", get("/openapi.json"))
    c.check("/check", get("/check"))

    for path in ("/deallocate", "/change_batch_quantity", "/cancel_batch"):
        c.check(path, post(path, json={}, headers={"Content-Type": "text/plain"}))
        c.check(path, post(path, json={"pad": "x" * 70000}))
        c.check(path, post(path, json={"ref": batch, "orderid": order, "sku": sku, "qty": 1}
                           if path != "/cancel_batch" else {"ref": 5}))
    # A second batch, so that the conflicting commands below meet a known one.
    other = unique("batch")
    assert post("/add_batch", json={"ref": other, "sku": sku, "qty": 5}).status_code == 201

    anonymous = requests.Session()
    wrong = requests.Session()
    wrong.headers["Authorization"] = "Bearer not-the-token"
    for template, path, method in [(t, t.replace("{orderid}", order), m)
                                   for t, item in DOC["paths"].items() for m in item]:
        for session in (anonymous, wrong):
            r = session.request(method.upper(), server.url + path, json={}, timeout=10)
            c.check(template, r)  # 401, except /healthz: 200
        long_url = server.url + path + ("?pad=" + "x" * 3000)
        c.check(template, server.session.request(method.upper(), long_url, json={}, timeout=10))
        c.check(template, server.session.request(method.upper(), server.url + path, json={},
                                                 headers={"X-Pad": "x" * 9000}, timeout=10))
        c.check(template, server.session.request(method.upper(), server.url + path, json={},
                                                 headers={"Host": "evil.example"}, timeout=10))


def test_store_failures_answer_as_documented(tmp_path, start_server, conformance):
    # The store's folder disappears after start: each thread opens its store
    # on first use, so every request then finds none (503), and so does the
    # readiness probe.
    folder = tmp_path / "gone"
    folder.mkdir()
    server = start_server("sqlite:" + str(folder / "allocation.db"))
    shutil.rmtree(folder)
    c = conformance
    for path, body in [("/add_batch", {"ref": "b", "sku": "s", "qty": 1}),
                       ("/allocate", {"orderid": "o", "sku": "s", "qty": 1}),
                       ("/deallocate", {"orderid": "o", "sku": "s"}),
                       ("/change_batch_quantity", {"ref": "b", "qty": 1}),
                       ("/cancel_batch", {"ref": "b"}),
                       ("/allocate_order", {"orderid": "o", "lines": [{"sku": "s", "qty": 1}]}),
                       ("/confirm", {"orderid": "o"})]:
        r = server.post(path, json=body)
        assert r.status_code == 503, r.text
        assert str(folder) not in r.text and "allocation.db" not in r.text  # redacted
        c.check(path, r)
    for template, path in [("/allocations/{orderid}", "/allocations/o"),
                           ("/allocations/{orderid}/history", "/allocations/o/history"),
                           ("/batches", "/batches"), ("/readyz", "/readyz"),
                           ("/check", "/check")]:
        r = server.get(path)
        assert r.status_code == 503, r.text
        assert str(folder) not in r.text
        c.check(template, r)
    assert str(folder) in server.read_log()  # the detail is in the log


def test_orders_and_holds_answer_as_documented(tmp_path, start_server, conformance):
    # Whole orders, holds and backorders on the memory store (it keeps them);
    # the 501 of a store that keeps no holds on the CSV store.
    server = start_server("memory:", "--backorders")
    c, post, get = conformance, server.post, server.get
    sku, other, order = unique("sku"), unique("sku"), unique("order")
    assert post("/add_batch", json={"ref": unique("b"), "sku": sku, "qty": 5}).status_code == 201
    assert post("/add_batch", json={"ref": unique("b"), "sku": other, "qty": 1}).status_code == 201
    lines = [{"sku": sku, "qty": 2}, {"sku": other, "qty": 1}]
    c.check("/allocate_order", post("/allocate_order", json={"orderid": order, "lines": lines,
                                                             "hold_seconds": 600}))  # 202
    c.check("/allocate_order", post("/allocate_order", json={
        "orderid": unique("order"), "lines": [{"sku": other, "qty": 1}]}))  # 409 short
    c.check("/allocate_order", post("/allocate_order", json={"orderid": order, "lines": []}))
    c.check("/allocate_order", post("/allocate_order", json={}, headers={
        "Content-Type": "text/plain"}))  # 415
    c.check("/allocate_order", post("/allocate_order", json={"pad": "x" * 70000}))  # 413
    c.check("/allocations/{orderid}", get(f"/allocations/{order}"))  # held rows
    waiting = unique("order")
    c.check("/allocate", post("/allocate", json={"orderid": waiting, "sku": other, "qty": 4}))
    c.check("/allocations/{orderid}", get(f"/allocations/{waiting}"))  # a backordered row
    c.check("/batches", get("/batches", params={"sku": other}))  # held and waiting
    c.check("/confirm", post("/confirm", json={"orderid": order}))  # 200
    c.check("/confirm", post("/confirm", json={"orderid": unique("none")}))  # 404
    c.check("/confirm", post("/confirm", json={"orderid": ""}))  # 400
    c.check("/confirm", post("/confirm", json={}, headers={"Content-Type": "text/plain"}))
    c.check("/confirm", post("/confirm", json={"pad": "x" * 70000}))
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "batches.csv").write_text("ref,sku,qty,eta\n")
    csv_server = start_server("csv:" + str(folder))
    r = csv_server.post("/confirm", json={"orderid": order})
    assert r.status_code == 501 and "holds" in r.json()["message"], r.text
    c.check("/confirm", r)
    assert csv_server.post("/add_batch", json={"ref": "b", "sku": sku, "qty": 5}).status_code == 201
    r = csv_server.post("/allocate", json={"orderid": "o", "sku": sku, "qty": 1,
                                           "hold_seconds": 60})
    assert r.status_code == 501 and "holds" in r.json()["message"], r.text
    c.check("/allocate", r)
    r = csv_server.post("/allocate_order", json={"orderid": "o", "hold_seconds": 60,
                                                 "lines": [{"sku": sku, "qty": 1}]})
    assert r.status_code == 501 and "holds" in r.json()["message"], r.text
    c.check("/allocate_order", r)
    assert csv_server.get("/allocations/o").status_code == 404  # nothing was stored


def test_a_store_without_history_answers_as_documented(tmp_path, start_server, conformance):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "batches.csv").write_text("ref,sku,qty,eta\n")
    server = start_server("csv:" + str(folder))
    r = server.get("/allocations/o1/history")
    assert r.status_code == 501, r.text
    assert "history" in r.json()["message"]
    conformance.check("/allocations/{orderid}/history", r)


def test_check_without_support_answers_as_documented(tmp_path, start_server, conformance):
    folder = csv_folder(tmp_path)
    server = start_server("csv:" + str(folder))
    r = server.get("/check")
    assert r.status_code == 501, r.text
    conformance.check("/check", r)
