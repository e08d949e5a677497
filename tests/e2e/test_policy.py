"""Allocation policies in the server (issue 14): --policy NAME (or
ALLOCATION_POLICY, or the --config file) picks a built-in rule, an unknown
name stops the server before it starts, and an allocate may carry the
line's promise date ("promise": "YYYY-MM-DD"), which latest-in-time reads."""

import json
import os
import pathlib
import subprocess

import jsonschema
import pytest

from conftest import SERVER, unique


def run_server_briefly(args, env):
    """The server run with args and only env's ALLOCATION_ variables: it
    must stop by itself (a usage error) within the timeout."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALLOCATION_")}
    return subprocess.run([SERVER, *args], capture_output=True, text=True, timeout=30,
                          env={**clean, **env})


def add_batch(server, ref, sku, qty, eta):
    r = server.post("/add_batch", json={"ref": ref, "sku": sku, "qty": qty, "eta": eta})
    assert r.status_code == 201, r.text


def batch_of(server, orderid):
    r = server.get(f"/allocations/{orderid}")
    assert r.status_code == 200, r.text
    return r.json()[0]["batchref"]


def three_batches(server):
    sku = unique("sku")
    stock, march, june = unique("stock"), unique("march"), unique("june")
    add_batch(server, stock, sku, 10, None)
    add_batch(server, march, sku, 10, "2030-03-01")
    add_batch(server, june, sku, 10, "2030-06-01")
    return sku, stock, march, june


def test_latest_in_time_takes_the_latest_batch_arriving_by_the_promise(db_url, start_server):
    server = start_server(db_url, "--policy", "latest-in-time")
    sku, stock, march, june = three_batches(server)
    promised, urgent = unique("promised"), unique("urgent")
    r = server.post("/allocate", json={"orderid": promised, "sku": sku, "qty": 2,
                                       "promise": "2030-04-15"})
    assert r.status_code == 202, r.text
    assert batch_of(server, promised) == march
    r = server.post("/allocate", json={"orderid": urgent, "sku": sku, "qty": 2})
    assert r.status_code == 202, r.text
    assert batch_of(server, urgent) == stock


def test_the_default_book_policy_ignores_the_promise(server):
    sku, stock, _, _ = three_batches(server)
    orderid = unique("order")
    r = server.post("/allocate", json={"orderid": orderid, "sku": sku, "qty": 2,
                                       "promise": "2030-07-01"})
    assert r.status_code == 202, r.text
    assert batch_of(server, orderid) == stock


@pytest.mark.parametrize("promise, words", [
    ("2030-02-30", "field 'promise' must be a date"),
    ("tomorrow", "field 'promise' must be a date"),
    (20300101, "field 'promise' must be a date \"YYYY-MM-DD\" or null, not"),
])
def test_a_bad_promise_is_400_naming_the_field_and_allocates_nothing(server, promise, words):
    sku, stock, _, _ = three_batches(server)
    orderid = unique("order")
    r = server.post("/allocate", json={"orderid": orderid, "sku": sku, "qty": 2,
                                       "promise": promise})
    assert r.status_code == 400, r.text
    assert words in r.json()["message"]
    assert server.get(f"/allocations/{orderid}").status_code == 404
    assert server.batches(sku=sku)  # the batches are still all there


@pytest.mark.parametrize("how", ["flag", "env", "config"])
def test_an_unknown_policy_refuses_to_start(sqlite_url, tmp_path, how):
    args, env = ["--db", sqlite_url, "--listen", "127.0.0.1:0"], {}
    if how == "flag":
        args += ["--policy", "fifo"]
    elif how == "env":
        env["ALLOCATION_POLICY"] = "fifo"
    else:
        config = tmp_path / "server.conf"
        config.write_text("policy = fifo\n")
        args += ["--config", str(config)]
    result = run_server_briefly(args, env)
    assert result.returncode == 2
    assert "unknown allocation policy 'fifo' (book or latest-in-time)" in result.stderr


def test_the_promise_field_is_documented_in_openapi():
    """The Allocate schema of docs/openapi.json takes the bodies the server
    takes and refuses the ones it refuses."""
    doc = json.loads((pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.json")
                     .read_text())
    schema = {"$ref": "#/components/schemas/Allocate", "components": doc["components"]}
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    line = {"orderid": "o1", "sku": "LAMP", "qty": 1}
    for promise in ("2030-04-15", None):
        assert not list(validator.iter_errors({**line, "promise": promise})), promise
    for promise in ("2030-02-30", 20300101):
        assert list(validator.iter_errors({**line, "promise": promise})), promise
