"""Spec §3: every malformed request → 4xx with a JSON message naming the
problem, and no state change (the dashboard and the read model are compared
before and after)."""

import pytest

from conftest import unique

SKU = "MALFORMED-SKU"
BATCH = "malformed-batch"
LONG = "x" * 256

# (path, raw body or JSON-able object, expected status, words the message must contain)
CASES = [
    ("/allocate", b"not json", 400, "JSON"),
    ("/allocate", b"", 400, "empty"),
    ("/allocate", b'{"orderid": "o1", "sku": "' + SKU.encode() + b'", "qty": 1', 400, "JSON"),
    ("/allocate", b'[1, 2]', 400, "object"),
    ("/allocate", b'"a string"', 400, "object"),
    ("/allocate", {"sku": SKU, "qty": 1}, 400, "orderid"),
    ("/allocate", {"orderid": "o1", "qty": 1}, 400, "sku"),
    ("/allocate", {"orderid": "o1", "sku": SKU}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": 0}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": -3}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": "3"}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": 1.5}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": True}, 400, "qty"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": None}, 400, "qty"),
    ("/allocate", {"orderid": 12, "sku": SKU, "qty": 1}, 400, "orderid"),
    ("/allocate", {"orderid": "", "sku": SKU, "qty": 1}, 400, "orderid"),
    ("/allocate", {"orderid": LONG, "sku": SKU, "qty": 1}, 400, "orderid"),
    ("/allocate", {"orderid": "o1", "sku": ["x"], "qty": 1}, 400, "sku"),
    ("/allocate", {"orderid": "o1", "sku": SKU, "qty": 10**30}, 400, ""),
    ("/allocate", b'{"orderid": "o\xff", "sku": "' + SKU.encode() + b'", "qty": 1}', 400,
     "JSON"),
    ("/allocate", b'{"orderid": "o\\u0000", "sku": "' + SKU.encode() + b'", "qty": 1}', 400,
     "JSON"),
    ("/allocate", b'{"orderid": "o1", "orderid": "o2", "sku": "' + SKU.encode() + b'", "qty": 1}',
     400, "duplicate"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": 10, "eta": "2011-13-01"}, 400, "eta"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": 10, "eta": "2011-02-30"}, 400, "eta"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": 10, "eta": "01/02/2011"}, 400, "eta"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": 10, "eta": 20110101}, 400, "eta"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": 0, "eta": None}, 400, "qty"),
    ("/add_batch", {"ref": "nb", "sku": SKU, "qty": -1, "eta": None}, 400, "qty"),
    ("/add_batch", {"ref": LONG, "sku": SKU, "qty": 10, "eta": None}, 400, "ref"),
    ("/add_batch", {"sku": SKU, "qty": 10, "eta": None}, 400, "ref"),
    ("/add_batch", {"ref": "nb", "qty": 10, "eta": None}, 400, "sku"),
    ("/add_batch", {"ref": BATCH, "sku": SKU, "qty": 99, "eta": None}, 409, ""),
    ("/deallocate", {"orderid": "o-kept"}, 400, "sku"),
    ("/deallocate", {"sku": SKU}, 400, "orderid"),
    ("/deallocate", b"{}", 400, "orderid"),
    ("/change_batch_quantity", {"ref": BATCH}, 400, "qty"),
    ("/change_batch_quantity", {"ref": BATCH, "qty": -1}, 400, "qty"),
    ("/change_batch_quantity", {"ref": BATCH, "qty": "5"}, 400, "qty"),
    ("/change_batch_quantity", {"qty": 5}, 400, "ref"),
    ("/cancel_batch", {}, 400, "ref"),
    ("/cancel_batch", {"ref": 7}, 400, "ref"),
    # control characters (C0, DEL) in an identifier, refused naming the field
    ("/allocate", {"orderid": "o1\nINFO forged", "sku": SKU, "qty": 1}, 400,
     "orderid contains a control character (0x0A)"),
    ("/allocate", {"orderid": "o1", "sku": SKU + "\x1b[2J", "qty": 1}, 400,
     "sku contains a control character (0x1B)"),
    ("/add_batch", {"ref": "nb\x7f", "sku": SKU, "qty": 10, "eta": None}, 400,
     "ref contains a control character (0x7F)"),
    ("/deallocate", {"orderid": "o-kept\t", "sku": SKU}, 400,
     "orderid contains a control character (0x09)"),
    ("/change_batch_quantity", {"ref": BATCH + "\r", "qty": 5}, 400,
     "ref contains a control character (0x0D)"),
    ("/cancel_batch", {"ref": "\x01" + BATCH}, 400, "ref contains a control character (0x01)"),
]


@pytest.fixture(scope="module")
def prepared(module_server):
    """A batch with one allocation, the state every malformed request must leave
    alone (so one server serves the whole module)."""
    server = module_server
    r = server.post("/add_batch", json={"ref": BATCH, "sku": SKU, "qty": 10, "eta": None})
    assert r.status_code == 201, r.text
    r = server.post("/allocate", json={"orderid": "o-kept", "sku": SKU, "qty": 2})
    assert r.status_code == 202, r.text
    return server


def snapshot(server):
    return (
        server.batches(),
        server.get("/allocations/o-kept").json(),
        server.get("/allocations/o1").status_code,
    )


@pytest.mark.parametrize(
    "path,body,status,word", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_malformed_request_is_rejected_without_state_change(prepared, path, body, status, word):
    server = prepared
    before = snapshot(server)
    if isinstance(body, bytes):
        r = server.post(path, data=body, headers={"Content-Type": "application/json"})
    else:
        r = server.post(path, json=body)
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    message = r.json()["message"]
    assert isinstance(message, str) and message
    assert word.lower() in message.lower(), message
    assert snapshot(server) == before


def test_body_over_64_kib_is_413(prepared):
    server = prepared
    before = snapshot(server)
    big = {"orderid": "o1", "sku": SKU, "qty": 1, "pad": "x" * (64 * 1024)}
    r = server.post("/allocate", json=big)
    assert r.status_code == 413
    assert "limit" in r.json()["message"]

    # The same without a Content-Length: a chunked upload.
    def chunks():
        yield b'{"orderid": "o1", "sku": "' + SKU.encode() + b'", "qty": 1, "pad": "'
        for _ in range(70):
            yield b"y" * 1024
        yield b'"}'

    r = server.post("/allocate", data=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert snapshot(server) == before


def test_bad_query_parameters_are_400(prepared):
    server = prepared
    for params in ({"limit": "0"}, {"limit": "-1"}, {"limit": "abc"}, {"limit": "1001"},
                   {"after": "garbage"}, {"sku": "x" * 256}):
        r = server.get("/batches", params=params)
        assert r.status_code == 400, params
        assert r.json()["message"], params
    r = server.get("/allocations/" + "x" * 300)
    assert r.status_code == 400
    assert "orderid" in r.json()["message"]
    r = server.get("/allocations/o%FFo")  # not UTF-8 once decoded
    assert r.status_code == 400
    assert "orderid" in r.json()["message"]
    r = server.get("/allocations/o-kept%0A")  # a control character once decoded
    assert r.status_code == 400
    assert "orderid contains a control character" in r.json()["message"]
    r = server.get("/batches", params={"sku": SKU + "\x1b"})
    assert r.status_code == 400
    assert "sku contains a control character" in r.json()["message"]


def test_string_of_255_bytes_is_accepted(server):
    r = server.post("/add_batch", json={"ref": BATCH, "sku": SKU, "qty": 10, "eta": None})
    assert r.status_code == 201, r.text
    orderid = "é" * 127 + "x"  # 255 bytes of UTF-8
    r = server.post("/allocate", json={"orderid": orderid, "sku": SKU, "qty": 1})
    assert r.status_code == 202, r.text
    assert server.get(f"/allocations/{orderid}").json() == [{"sku": SKU, "batchref": BATCH}]
