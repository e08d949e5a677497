"""The library's memory stays flat over many handle create/free cycles."""

import os

import allocation
from allocation import commands, messages, stores, views

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cycle(i):
    # Every kind of handle the binding makes: store, bus (with C callbacks),
    # messages, product, views' results.
    store = stores.memory()
    bus = allocation.bootstrap(store, notify=lambda d, m: None, publish=lambda c, j: None)
    bus.handle(commands.CreateBatch("b1", "SKU", 1, None))
    bus.handle(commands.Allocate(f"o{i}", "SKU", 1))
    bus.handle(commands.Allocate("late", "SKU", 1))  # out of stock: a notification
    views.allocations(f"o{i}", store)
    views.batches(store)
    bus.close()
    store.close()
    product = allocation.Product("SKU", batches=[("b", 1, None)])
    product.close()
    messages.to_json(commands.Allocate("o", "SKU", 1))


def test_rss_is_flat_over_100000_cycles():
    for i in range(2_000):  # warm up: Python's and malloc's pools reach their size
        cycle(i)
    before = rss_bytes()
    for i in range(100_000):
        cycle(i)
    grown = rss_bytes() - before
    # A leak of even 40 bytes per cycle would show as 4 MB.
    assert grown < 2 * 1024 * 1024, f"RSS grew by {grown} bytes over 100,000 cycles"
