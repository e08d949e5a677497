"""The HTTP API of spec §3 through the real server, on SQLite and PostgreSQL."""

import pytest

from conftest import unique


def add_batch(server, ref, sku, qty, eta):
    r = server.post("/add_batch", json={"ref": ref, "sku": sku, "qty": qty, "eta": eta})
    assert r.status_code == 201, r.text
    assert r.text == "OK"


def allocate(server, orderid, sku, qty):
    return server.post("/allocate", json={"orderid": orderid, "sku": sku, "qty": qty})


def test_happy_path_returns_202_and_allocated_batch(server):
    sku, othersku = unique("sku"), unique("other")
    earlybatch, laterbatch, otherbatch = unique("b1"), unique("b2"), unique("b3")
    add_batch(server, laterbatch, sku, 100, "2011-01-02")
    add_batch(server, earlybatch, sku, 100, "2011-01-01")
    add_batch(server, otherbatch, othersku, 100, None)
    orderid = unique("order")

    r = allocate(server, orderid, sku, 3)
    assert r.status_code == 202, r.text
    assert r.text == "OK"

    r = server.get(f"/allocations/{orderid}")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == [{"sku": sku, "batchref": earlybatch}]


def test_unhappy_path_returns_400_and_error_message(server):
    unknown_sku, orderid = unique("sku"), unique("order")
    r = allocate(server, orderid, unknown_sku, 20)
    assert r.status_code == 400
    assert r.json() == {"message": f"Invalid sku {unknown_sku}"}

    r = server.get(f"/allocations/{orderid}")
    assert r.status_code == 404
    assert r.text == "not found"


def test_deallocate_then_allocations_is_404(server):
    sku, batch, orderid = unique("sku"), unique("b"), unique("order")
    add_batch(server, batch, sku, 10, None)
    assert allocate(server, orderid, sku, 4).status_code == 202

    r = server.post("/deallocate", json={"orderid": orderid, "sku": sku})
    assert (r.status_code, r.text) == (200, "OK")
    assert server.get(f"/allocations/{orderid}").status_code == 404
    [row] = server.batches(sku)["batches"]
    assert (row["allocated"], row["available"], row["lines"]) == (0, 10, 0)

    r = server.post("/deallocate", json={"orderid": orderid, "sku": sku})
    assert r.status_code == 404
    assert "message" in r.json()
    r = server.post("/deallocate", json={"orderid": orderid, "sku": unique("nosku")})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Invalid sku ")


def test_change_batch_quantity_reallocates(server):
    """The book's scenario: two batches of 50, two orders of 20; batch1 → 25."""
    sku, batch1, batch2 = unique("sku"), unique("b1"), unique("b2")
    add_batch(server, batch1, sku, 50, None)
    add_batch(server, batch2, sku, 50, "2011-01-02")
    o1, o2 = unique("o1"), unique("o2")
    assert allocate(server, o1, sku, 20).status_code == 202
    assert allocate(server, o2, sku, 20).status_code == 202

    r = server.post("/change_batch_quantity", json={"ref": batch1, "qty": 25})
    assert (r.status_code, r.text) == (200, "OK")

    rows = {b["ref"]: b for b in server.batches(sku)["batches"]}
    assert rows[batch1]["available"] == 5
    assert rows[batch2]["available"] == 30
    assert server.get(f"/allocations/{o2}").json() == [{"sku": sku, "batchref": batch2}]

    r = server.post("/change_batch_quantity", json={"ref": unique("nobatch"), "qty": 1})
    assert r.status_code == 400
    assert r.json()["message"].startswith("Invalid batch reference ")


def test_cancel_batch_moves_lines_to_the_next_batch(server):
    sku, batch1, batch2 = unique("sku"), unique("b1"), unique("b2")
    add_batch(server, batch1, sku, 10, None)
    add_batch(server, batch2, sku, 10, "2011-01-02")
    orderid = unique("order")
    assert allocate(server, orderid, sku, 5).status_code == 202

    r = server.post("/cancel_batch", json={"ref": batch1})
    assert (r.status_code, r.text) == (200, "OK")
    assert server.get(f"/allocations/{orderid}").json() == [{"sku": sku, "batchref": batch2}]
    assert [b["ref"] for b in server.batches(sku)["batches"]] == [batch2]

    r = server.post("/cancel_batch", json={"ref": batch1})
    assert r.status_code == 400


def test_allocation_is_idempotent_and_a_different_qty_conflicts(server):
    sku, batch, orderid = unique("sku"), unique("b"), unique("order")
    add_batch(server, batch, sku, 10, None)
    assert allocate(server, orderid, sku, 2).status_code == 202
    assert allocate(server, orderid, sku, 2).status_code == 202
    [row] = server.batches(sku)["batches"]
    assert (row["allocated"], row["lines"]) == (2, 1)

    r = allocate(server, orderid, sku, 3)
    assert r.status_code == 409
    assert "message" in r.json()


def test_out_of_stock_is_accepted_and_allocates_nothing(server):
    sku, batch, orderid = unique("sku"), unique("b"), unique("order")
    add_batch(server, batch, sku, 1, None)
    assert allocate(server, orderid, sku, 2).status_code == 202
    assert server.get(f"/allocations/{orderid}").status_code == 404


def test_unknown_path_is_404_and_wrong_method_405(server):
    r = server.get("/nowhere")
    assert r.status_code == 404
    assert "message" in r.json()
    assert server.get("/allocations/").status_code == 404

    for path in ("/add_batch", "/allocate", "/deallocate", "/change_batch_quantity",
                 "/cancel_batch"):
        r = server.get(path)
        assert r.status_code == 405, path
        assert r.headers["Allow"] == "POST"
        assert "message" in r.json()
    for path in ("/batches", "/allocations/x"):
        r = server.post(path, json={})
        assert r.status_code == 405, path
        assert r.headers["Allow"] == "GET, HEAD"
    r = server.session.put(server.url + "/allocate", json={})
    assert r.status_code == 405
    r = server.session.head(server.url + "/batches")
    assert r.status_code == 200
    assert r.text == ""
