"""GET /allocations/<orderid>/history (issue 14, docs/history.md): what
happened to an order's lines, oldest first, on SQLite and PostgreSQL; 404 for
an order the store never saw; the history survives a restart."""

import re
from datetime import datetime, timedelta, timezone

from conftest import unique

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def entries_without_time(history):
    for entry in history:
        assert ISO_UTC.match(entry["at"]), entry
    return [{k: v for k, v in e.items() if k != "at"} for e in history]


def test_an_order_story_reads_in_the_spec_words(server):
    sku, order = unique("sku"), unique("order")
    early, late = unique("batch"), unique("batch")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    for ref, eta in ((early, None), (late, "2031-01-01")):
        r = server.post("/add_batch", json={"ref": ref, "sku": sku, "qty": 10, "eta": eta})
        assert r.status_code == 201, r.text
    assert server.post("/allocate", json={"orderid": order, "sku": sku, "qty": 6}).ok
    # the quantity change moves the line to the late batch
    assert server.post("/change_batch_quantity", json={"ref": early, "qty": 5}).ok
    assert server.post("/deallocate", json={"orderid": order, "sku": sku}).ok

    r = server.get(f"/allocations/{order}/history")
    assert r.status_code == 200, r.text
    history = r.json()
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    for entry in history:
        at = datetime.strptime(entry["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        assert before <= at <= after, entry
    assert [e["at"] for e in history] == sorted(e["at"] for e in history)
    common = {"sku": sku, "qty": 6, "expires": None}
    assert entries_without_time(history) == [
        {"event": "Allocated", "batchref": early, "reason": None, **common},
        {"event": "Deallocated", "batchref": early, "reason": "stock_reduced", **common},
        {"event": "Allocated", "batchref": late, "reason": None, **common},
        {"event": "Deallocated", "batchref": late, "reason": "requested", **common},
    ]


def test_a_cancelled_batch_and_an_unknown_order(server):
    sku, order = unique("sku"), unique("order")
    first, second = unique("batch"), unique("batch")
    for ref, eta in ((first, None), (second, "2031-01-01")):
        assert server.post("/add_batch", json={"ref": ref, "sku": sku, "qty": 10,
                                               "eta": eta}).status_code == 201
    assert server.post("/allocate", json={"orderid": order, "sku": sku, "qty": 2}).ok
    assert server.post("/cancel_batch", json={"ref": first}).ok
    r = server.get(f"/allocations/{order}/history")
    assert r.status_code == 200, r.text
    common = {"sku": sku, "qty": 2, "expires": None}
    assert entries_without_time(r.json()) == [
        {"event": "Allocated", "batchref": first, "reason": None, **common},
        {"event": "Deallocated", "batchref": first, "reason": "stock_reduced", **common},
        {"event": "Allocated", "batchref": second, "reason": None, **common},
    ]
    r = server.get(f"/allocations/{unique('nobody')}/history")
    assert (r.status_code, r.text) == (404, "not found")
    # a refused command leaves no history behind
    other = unique("order")
    assert server.post("/allocate", json={"orderid": other, "sku": unique("nosku"),
                                          "qty": 1}).status_code == 400
    assert server.get(f"/allocations/{other}/history").status_code == 404
    # the allocations endpoint is unchanged beside it
    assert server.get(f"/allocations/{order}").json() == [{"sku": sku, "batchref": second}]


def test_history_survives_a_restart(db_url, start_server):
    server = start_server(db_url)
    sku, order, ref = unique("sku"), unique("order"), unique("batch")
    assert server.post("/add_batch", json={"ref": ref, "sku": sku, "qty": 3}).status_code == 201
    assert server.post("/allocate", json={"orderid": order, "sku": sku, "qty": 3}).ok
    first = server.get(f"/allocations/{order}/history").json()
    assert server.stop() == 0
    again = start_server(db_url)
    r = again.get(f"/allocations/{order}/history")
    assert r.status_code == 200, r.text
    assert r.json() == first
