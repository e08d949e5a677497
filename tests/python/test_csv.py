"""The CSV folder adapter (spec §5) through the binding."""

import pytest

import allocation
from allocation import _lib, commands, stores, views

pytestmark = pytest.mark.skipif(
    not _lib.available("allocation-csv"), reason="liballocation-csv not built"
)


def write(folder, name, text):
    (folder / name).write_text(text)


def test_allocate_orders_from_csv_spec_example(tmp_path):
    write(tmp_path, "batches.csv",
          "ref,sku,qty,eta\nb1,s1,100,\nb2,s2,100,2011-01-01\nb3,s2,100,2011-01-02\n")
    write(tmp_path, "orders.csv", "orderid,sku,qty\no,s1,3\no,s2,12\n")
    assert allocation.allocate_orders_csv(str(tmp_path)) == (2, 0)
    assert (tmp_path / "allocations.csv").read_text().splitlines() == [
        "orderid,sku,qty,batchref",
        "o,s1,3,b1",
        "o,s2,12,b2",
    ]
    with stores.csv(str(tmp_path)) as store:
        assert store.adapter == "csv"
        assert views.allocations("o", store) == [
            {"sku": "s1", "batchref": "b1"},
            {"sku": "s2", "batchref": "b2"},
        ]


def test_csv_errors_name_the_file(tmp_path):
    write(tmp_path, "batches.csv", "ref,sku,qty,eta\nb1,s1,100,\n")
    write(tmp_path, "orders.csv", "orderid,sku,qty\no,nope,1\n")
    with pytest.raises(allocation.InvalidSku, match="Invalid sku nope"):
        allocation.allocate_orders_csv(str(tmp_path))
    assert not (tmp_path / "allocations.csv").exists()
    with pytest.raises(allocation.IOError_):
        stores.csv(str(tmp_path / "missing"))


def test_bus_on_a_csv_store(tmp_path):
    write(tmp_path, "batches.csv", "ref,sku,qty,eta\n")
    with allocation.bootstrap(stores.csv(str(tmp_path))) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5, "2030-01-02"))
        assert bus.handle(commands.Allocate("o1", "LAMP", 2)) == "b1"
    assert "b1,LAMP,5,2030-01-02" in (tmp_path / "batches.csv").read_text()
