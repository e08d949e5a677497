"""GET /batches (spec §3, the dashboard): figures, order, and pagination over
10,000 batches answered page by page."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import unique


def test_figures_and_order(server):
    sku = unique("sku")
    refs = {name: unique(name) for name in ("instock", "early", "late", "tie")}
    for name, qty, eta in (("late", 30, "2011-01-03"), ("instock", 10, None),
                           ("early", 20, "2011-01-02"), ("tie", 5, "2011-01-03")):
        r = server.post("/add_batch", json={"ref": refs[name], "sku": sku, "qty": qty,
                                            "eta": eta})
        assert r.status_code == 201, r.text
    for i, qty in enumerate((4, 4, 5)):  # 8 fit in stock, 5 goes to the earliest ETA
        assert server.post("/allocate", json={"orderid": f"o{i}", "sku": sku, "qty": qty}).ok

    page = server.batches(sku)
    assert page["next"] is None
    assert page["batches"] == [
        {"ref": refs["instock"], "sku": sku, "eta": None, "purchased": 10, "allocated": 8,
         "available": 2, "lines": 2},
        {"ref": refs["early"], "sku": sku, "eta": "2011-01-02", "purchased": 20,
         "allocated": 5, "available": 15, "lines": 1},
        {"ref": refs["late"], "sku": sku, "eta": "2011-01-03", "purchased": 30,
         "allocated": 0, "available": 30, "lines": 0},
        {"ref": refs["tie"], "sku": sku, "eta": "2011-01-03", "purchased": 5, "allocated": 0,
         "available": 5, "lines": 0},
    ]
    assert server.batches(unique("nosuchsku")) == {"batches": [], "next": None}


SKUS = 100
PER_SKU = 100


@pytest.mark.slow
def test_pagination_over_10000_batches(sqlite_url, start_server):
    server = start_server(sqlite_url)
    skus = [f"page-sku-{s:03d}" for s in range(SKUS)]

    def create(s):
        session = requests.Session()
        for b in range(PER_SKU):
            eta = None if b % 10 == 0 else f"2012-{1 + b % 12:02d}-{1 + b % 28:02d}"
            r = session.post(server.url + "/add_batch",
                             json={"ref": f"{skus[s]}-b{b:03d}", "sku": skus[s], "qty": b + 1,
                                   "eta": eta}, timeout=30)
            assert r.status_code == 201, r.text
        r = session.post(server.url + "/allocate",
                         json={"orderid": f"order-{s}", "sku": skus[s], "qty": 3}, timeout=30)
        assert r.status_code == 202, r.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(SKUS)))

    rows, after, pages = [], None, 0
    while True:
        params = {"limit": 1000}
        if after:
            params["after"] = after
        page = server.batches(**params)
        pages += 1
        assert len(page["batches"]) <= 1000
        rows.extend(page["batches"])
        after = page["next"]
        if after is None:
            break
    assert pages == 10
    assert len(rows) == SKUS * PER_SKU
    assert len({r["ref"] for r in rows}) == SKUS * PER_SKU

    def key(row):  # sku, in stock first, ETA, then creation order (= ref order here)
        return (row["sku"], row["eta"] is not None, row["eta"] or "", row["ref"])

    assert rows == sorted(rows, key=key)
    for row in rows:
        assert row["available"] == row["purchased"] - row["allocated"]
    assert sum(r["allocated"] for r in rows) == 3 * SKUS
    assert sum(r["lines"] for r in rows) == SKUS

    # One sku, small pages: every batch of it exactly once.
    refs, after = [], None
    while True:
        page = server.batches(skus[7], limit=7, **({"after": after} if after else {}))
        refs.extend(b["ref"] for b in page["batches"])
        after = page["next"]
        if not after:
            break
    assert sorted(refs) == sorted(f"{skus[7]}-b{b:03d}" for b in range(PER_SKU))
    # The default page is 100 rows.
    assert len(server.batches()["batches"]) == 100
