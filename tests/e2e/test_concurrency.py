"""Two server processes on one database (PostgreSQL, and a SQLite file with
several threads each), eight clients racing to allocate one sku: every 2xx is
durable and nothing is oversold."""

import threading

import pytest
import requests

from conftest import unique

CLIENTS = 8
PER_CLIENT = 500
UNITS = 2000


@pytest.mark.slow
def test_two_servers_never_oversell(db_url, start_server):
    servers = [start_server(db_url, "--threads", "4") for _ in range(2)]
    sku, batch1, batch2 = unique("sku"), unique("b1"), unique("b2")
    for ref, eta in ((batch1, None), (batch2, "2011-01-01")):
        r = servers[0].post("/add_batch", json={"ref": ref, "sku": sku, "qty": UNITS // 2,
                                                "eta": eta})
        assert r.status_code == 201, r.text

    statuses = {}
    lock = threading.Lock()

    def client(n):
        session = requests.Session()
        url = servers[n % 2].url
        seen = {}
        for i in range(PER_CLIENT):
            orderid = f"c{n}-{i}"
            r = session.post(url + "/allocate", json={"orderid": orderid, "sku": sku, "qty": 1},
                             timeout=60)
            seen[orderid] = r.status_code
        with lock:
            statuses.update(seen)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    accepted = [o for o, s in statuses.items() if s == 202]
    others = {s for s in statuses.values() if s != 202}
    # A conflict that outlived the bus's retries is answered 409, never 2xx.
    assert len(statuses) == CLIENTS * PER_CLIENT
    assert others <= {409}, others
    assert len(accepted) >= UNITS

    allocated = {}
    session = requests.Session()
    for orderid in accepted:
        r = session.get(servers[1].url + f"/allocations/{orderid}", timeout=30)
        assert r.status_code in (200, 404), r.text
        if r.status_code == 200:
            [line] = r.json()
            assert line["sku"] == sku
            allocated[orderid] = line["batchref"]
    for orderid, s in statuses.items():
        if s != 202:
            r = session.get(servers[0].url + f"/allocations/{orderid}", timeout=30)
            assert r.status_code == 404, f"{orderid} answered {s} but was allocated"

    assert len(allocated) == UNITS
    rows = {b["ref"]: b for b in servers[0].batches(sku)["batches"]}
    assert sum(b["allocated"] for b in rows.values()) == UNITS
    assert sum(b["lines"] for b in rows.values()) == UNITS
    for ref in (batch1, batch2):
        assert rows[ref]["allocated"] == UNITS // 2
        assert rows[ref]["available"] == 0
        assert sum(1 for b in allocated.values() if b == ref) == UNITS // 2
