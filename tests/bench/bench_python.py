#!/usr/bin/python3
"""Allocations per second through the Python binding (ctypes) on the
in-memory store, beside the book's pure-Python implementation.

Run after a build (the wrapper sets LA_LIBRARY_PATH):
    build/tests/bench/bench_python [--allocations N] [--rounds R]

Each round: a new bus on a new memory store, one product with one batch
big enough for everything, then N allocations of distinct order lines, each
a new Allocate dataclass handed to bus.handle (what a caller really does).
The product already holds 0 or 10,000 lines when the timing starts. The
figure is the median over the rounds.

The book's figures, measured on this machine through its bus on SQLite in
memory: 330 allocations/s while the product is nearly empty, 7/s at 10,000
existing lines (it reloads every line of the product on each command).
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "python"))

import allocation  # noqa: E402
from allocation import commands  # noqa: E402

BOOK = {0: 330.0, 10_000: 7.0}
TARGET = 50_000.0


def one_round(allocations, existing):
    with allocation.bootstrap() as bus:
        bus.handle(commands.CreateBatch("batch", "SKU", 10**12, None))
        for i in range(existing):
            bus.handle(commands.Allocate(f"pre{i}", "SKU", 1))
        handle, Allocate = bus.handle, commands.Allocate
        start = time.perf_counter()
        for i in range(allocations):
            if handle(Allocate(f"o{i}", "SKU", 1)) is None:
                raise RuntimeError("unexpectedly out of stock")
        elapsed = time.perf_counter() - start
    return allocations / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allocations", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    print(f"liballocation {allocation.__version__} through ctypes, Python {sys.version.split()[0]}")
    print(f"in-memory store, {args.allocations:,} allocations per round, "
          f"median of {args.rounds} rounds")
    results = {}
    for existing, book in BOOK.items():
        rates = [one_round(args.allocations, existing) for _ in range(args.rounds)]
        rate = statistics.median(rates)
        results[existing] = rate
        print(f"  {existing:>6,} existing lines: {rate:>10,.0f} allocations/s"
              f"   book's Python {book:>5,.0f}/s   ratio {rate / book:>9,.0f}x")
    met = results[0] >= TARGET
    print(f"target >= {TARGET:,.0f}/s (nearly empty product): {'met' if met else 'NOT met'}")
    print(f"cost at 10,000 lines / cost at 0: {results[0] / results[10_000]:.2f}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
