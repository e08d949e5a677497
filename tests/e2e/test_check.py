"""GET /check (docs/check.md): the store's invariants as JSON, on SQLite and
PostgreSQL, healthy and after corrupting the database on purpose."""
import sqlite3
import subprocess

from conftest import PSQL, csv_folder, unique


def corrupt(db_url, sql):
    """Raw SQL on the server's database, as a careless script would run it."""
    if db_url.startswith("sqlite:"):
        with sqlite3.connect(db_url[len("sqlite:"):]) as db:
            db.executescript(sql)
    else:
        subprocess.run([PSQL, db_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                       check=True, capture_output=True)


def test_check_reports_healthy_then_each_violation(db_url, server):
    sku, batch = unique("sku"), unique("batch")
    assert server.post("/add_batch", json={"ref": batch, "sku": sku, "qty": 10}).status_code == 201
    for order, qty in (("o1", 2), ("o2", 3)):
        r = server.post("/allocate", json={"orderid": order, "sku": sku, "qty": qty})
        assert r.status_code == 202, r.text
    r = server.get("/check")
    assert r.status_code == 200, r.text
    assert r.json() == {"healthy": True, "violations": []}

    corrupt(db_url, f"UPDATE batches SET allocated = 9 WHERE ref = '{batch}';"
                    "UPDATE allocations SET batchref = 'gone' WHERE orderid = 'o2'")
    r = server.get("/check")
    assert r.status_code == 200, r.text  # violations are an answer, not a failure
    report = r.json()
    assert report["healthy"] is False
    found = {(v["kind"], v["batchref"], v["orderid"], v["sku"]) for v in report["violations"]}
    assert found == {("allocated_mismatch", batch, None, sku),
                     ("line_count_mismatch", batch, None, sku),
                     ("line_without_batch", "gone", "o2", sku)}, report
    assert all(v["message"] for v in report["violations"])


def test_check_on_a_store_that_cannot_check_itself_is_501(tmp_path, start_server):
    folder = csv_folder(tmp_path)
    server = start_server("csv:" + str(folder))
    r = server.get("/check")
    assert r.status_code == 501, r.text
    assert "csv" in r.json()["message"]
