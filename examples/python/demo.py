#!/usr/bin/python3
"""The book's story through the Python binding, on an in-memory store (or
the database URL given as the first argument).

    LA_LIBRARY_PATH=build/lib:build/adapters/sqlite /usr/bin/python3 examples/python/demo.py

or, with the package and the libraries installed (docs/python.md), from anywhere:

    python3 demo.py [sqlite:demo.db]
"""

import logging
import sys
from datetime import date
from typing import Optional

import allocation
from allocation import commands, events, views


def main(url: Optional[str] = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="log: %(message)s")

    def notify(destination: str, message: str) -> None:
        print(f"notify {destination}: {message}")

    def publish(channel: str, json_text: str) -> None:
        print(f"publish {channel}: {json_text}")

    with allocation.bootstrap(url, notify=notify, publish=publish) as bus:
        bus.subscribe(events.Deallocated, lambda e: print(f"event {e}"))
        bus.handle(commands.CreateBatch("in-stock", "SMALL-TABLE", 20))
        bus.handle(commands.CreateBatch("shipment", "SMALL-TABLE", 30, date(2030, 1, 1)))
        print("allocate o1 →", bus.handle(commands.Allocate("o1", "SMALL-TABLE", 15)))
        print("allocate o2 →", bus.handle(commands.Allocate("o2", "SMALL-TABLE", 15)))
        print("allocate o3 →", bus.handle(commands.Allocate("o3", "SMALL-TABLE", 25)))
        # Some stock in the warehouse was damaged: o1 moves to the shipment.
        bus.handle(commands.ChangeBatchQuantity("in-stock", 10))
        print("allocations o1:", views.allocations("o1", bus.store))
        for row in views.all_batches(bus.store):
            print("batch", row)
        try:
            bus.handle(commands.Allocate("o4", "NO-SUCH-THING", 1))
        except allocation.InvalidSku as exc:
            print("error:", exc)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
