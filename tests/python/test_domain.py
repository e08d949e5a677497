"""The book's domain tests (test_batches.py, test_product.py) through the binding."""

from datetime import date, timedelta

import pytest

from allocation import InvalidArgument, NotFound, Conflict, OrderLine, Product, events

today = date.today()
tomorrow = today + timedelta(days=1)
later = tomorrow + timedelta(days=10)


def make_product(sku, batch_qty, line_qty):
    product = Product(sku, batches=[("batch-001", batch_qty, None)])
    return product, OrderLine("order-123", sku, line_qty)


def test_allocating_to_a_batch_reduces_the_available_quantity():
    product, line = make_product("SMALL-TABLE", 20, 2)
    assert product.allocate(line) == "batch-001"
    assert product.batch("batch-001").available_quantity == 18


def test_can_allocate_if_available_greater_than_required():
    product, line = make_product("ELEGANT-LAMP", 20, 2)
    assert product.allocate(line) == "batch-001"


def test_can_allocate_if_available_equal_to_required():
    product, line = make_product("ELEGANT-LAMP", 2, 2)
    assert product.allocate(line) == "batch-001"
    assert product.batch("batch-001").available_quantity == 0


def test_cannot_allocate_if_available_smaller_than_required():
    product, line = make_product("ELEGANT-LAMP", 2, 20)
    assert product.allocate(line) is None
    assert product.batch("batch-001").available_quantity == 2


def test_cannot_allocate_if_skus_do_not_match():
    product = Product("UNCOMFORTABLE-CHAIR", batches=[("batch-001", 100, None)])
    with pytest.raises(InvalidArgument, match="EXPENSIVE-TOASTER"):
        product.allocate(OrderLine("order-123", "EXPENSIVE-TOASTER", 10))
    assert product.batch("batch-001").available_quantity == 100


def test_allocation_is_idempotent():
    product, line = make_product("ANGULAR-DESK", 20, 2)
    product.allocate(line)
    product.allocate(line)
    assert product.batch("batch-001").available_quantity == 18
    assert product.version_number == 2  # batch added, one allocation


def test_same_line_with_another_qty_is_a_conflict():
    product, line = make_product("ANGULAR-DESK", 20, 2)
    product.allocate(line)
    with pytest.raises(Conflict):
        product.allocate(OrderLine(line.orderid, line.sku, 3))
    assert product.batch("batch-001").available_quantity == 18


def test_deallocate():
    product, line = make_product("EXPENSIVE-FOOTSTOOL", 20, 2)
    product.allocate(line)
    product.deallocate(line)
    assert product.batch("batch-001").available_quantity == 20
    assert product.events[-1] == events.Deallocated("order-123", "EXPENSIVE-FOOTSTOOL", 2)


def test_can_only_deallocate_allocated_lines():
    product, line = make_product("DECORATIVE-TRINKET", 20, 2)
    with pytest.raises(NotFound):
        product.deallocate(line)
    assert product.batch("batch-001").available_quantity == 20


def test_prefers_current_stock_batches_to_shipments():
    product = Product(
        "RETRO-CLOCK",
        batches=[("shipment-batch", 100, tomorrow), ("in-stock-batch", 100, None)],
    )
    product.allocate(OrderLine("oref", "RETRO-CLOCK", 10))
    assert product.batch("in-stock-batch").available_quantity == 90
    assert product.batch("shipment-batch").available_quantity == 100


def test_prefers_earlier_batches():
    product = Product(
        "MINIMALIST-SPOON",
        batches=[("slow", 100, later), ("normal", 100, tomorrow), ("speedy", 100, today)],
    )
    product.allocate(OrderLine("order1", "MINIMALIST-SPOON", 10))
    assert product.batch("speedy").available_quantity == 90
    assert product.batch("normal").available_quantity == 100
    assert product.batch("slow").available_quantity == 100
    assert [b.reference for b in product.batches] == ["speedy", "normal", "slow"]


def test_returns_allocated_batch_ref():
    product = Product(
        "HIGHBROW-POSTER",
        batches=[("in-stock-batch-ref", 100, None), ("shipment-batch-ref", 100, tomorrow)],
    )
    assert product.allocate(OrderLine("oref", "HIGHBROW-POSTER", 10)) == "in-stock-batch-ref"


def test_outputs_allocated_event():
    product = Product("RETRO-LAMPSHADE", batches=[("batchref", 100, None)])
    product.allocate(OrderLine("oref", "RETRO-LAMPSHADE", 10))
    assert product.events[-1] == events.Allocated("oref", "RETRO-LAMPSHADE", 10, "batchref")


def test_records_out_of_stock_event_if_cannot_allocate():
    product = Product("SMALL-FORK", batches=[("batch1", 10, today)])
    product.allocate(OrderLine("order1", "SMALL-FORK", 10))
    assert product.allocate(OrderLine("order2", "SMALL-FORK", 1)) is None
    assert product.events[-1] == events.OutOfStock(sku="SMALL-FORK")


def test_increments_version_number():
    product = Product("SCANDI-PEN", batches=[("b1", 100, None)])
    product_version = product.version_number
    product.allocate(OrderLine("oref", "SCANDI-PEN", 10))
    assert product.version_number == product_version + 1


def test_change_batch_quantity_deallocates_most_recent_first():
    product = Product("SOFA", batches=[("b1", 10, None)])
    for orderid in ("o1", "o2", "o3"):
        product.allocate(OrderLine(orderid, "SOFA", 3))
    product.clear_events()
    product.change_batch_quantity("b1", 5)
    assert product.batch("b1").available_quantity == 2
    assert product.events == [
        events.Deallocated("o3", "SOFA", 3, "stock_reduced"),
        events.Deallocated("o2", "SOFA", 3, "stock_reduced"),
    ]
    assert product.batch_of("o1").reference == "b1"
    assert product.batch_of("o3") is None


def test_cancel_batch_deallocates_its_lines():
    product = Product("BED", batches=[("b1", 10, None), ("b2", 10, tomorrow)])
    product.allocate(OrderLine("o1", "BED", 4))
    product.clear_events()
    product.cancel_batch("b1")
    assert product.batch("b1") is None
    assert product.events == [events.Deallocated("o1", "BED", 4, "stock_reduced")]


def test_batch_view_of_a_removed_batch_raises():
    product = Product("BED", batches=[("b1", 10, None)])
    batch = product.batch("b1")
    product.cancel_batch("b1")
    with pytest.raises(NotFound):
        batch.available_quantity


def test_batch_fields():
    product = Product("CHAIR", batches=[("b1", 10, date(2011, 1, 2))])
    (batch,) = product.batches
    assert (batch.reference, batch.sku, batch.eta) == ("b1", "CHAIR", date(2011, 1, 2))
    assert (batch.purchased_quantity, batch.allocated_quantity, batch.line_count) == (10, 0, 0)


@pytest.mark.parametrize(
    "ref,qty,eta",
    [("", 1, None), ("x" * 256, 1, None), ("b", -1, None), ("b", 1, "2011-13-40"),
     ("b", 1, "tomorrow")],
)
def test_bad_batch_input_is_invalid_argument(ref, qty, eta):
    product = Product("CHAIR")
    with pytest.raises(InvalidArgument) as info:
        product.add_batch(ref, qty, eta)
    assert info.value.message  # the library's message names the problem
    assert product.batches == []
