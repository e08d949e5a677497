"""examples/python/demo.py, the book's story, runs and tells it right."""

import os
import subprocess
import sys

import pytest

import allocation

DEMO = os.path.join(os.path.dirname(os.path.dirname(allocation.__file__)), "demo.py")


def run_demo(*args):
    result = subprocess.run(
        [sys.executable, DEMO, *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def check_story(lines):
    assert "allocate o1 → in-stock" in lines
    assert "allocate o2 → shipment" in lines
    assert "allocate o3 → None" in lines
    assert "notify stock@made.com: Out of stock for SMALL-TABLE" in lines
    assert "allocations o1: [{'sku': 'SMALL-TABLE', 'batchref': 'shipment'}]" in lines
    assert lines[-1] == "error: Invalid sku NO-SUCH-THING"


def test_demo_in_memory():
    check_story(run_demo())


@pytest.mark.sqlite
def test_demo_on_sqlite(tmp_path):
    check_story(run_demo(f"sqlite:{tmp_path / 'demo.db'}"))
