"""pytest set-up for the Python binding: import path, stores, fakes.

ctest sets LA_LIBRARY_PATH to the build's library directories; run by hand:
    LA_LIBRARY_PATH=build/lib:build/adapters/sqlite /usr/bin/python3 -m pytest -q tests/python
"""

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "support"))

import allocation  # noqa: E402
from allocation import _lib, stores  # noqa: E402
from servers import redis_server, smtp_sink  # noqa: E402,F401  (fixtures)


def pytest_configure(config):
    # ctest names the libraries it built: one that does not load is an error,
    # not a reason to skip its tests.
    for name in filter(None, os.environ.get("LA_TEST_REQUIRE_LIBRARIES", "").split(",")):
        try:
            _lib.load(name)
        except _lib.LibraryNotFound as exc:
            raise pytest.UsageError(f"a library this build made does not load: {exc}")
    config.addinivalue_line("markers", "sqlite: needs liballocation-sqlite")
    config.addinivalue_line("markers", "postgres: needs liballocation-pg and a server")
    config.addinivalue_line("markers", "slow: takes seconds")
    config.addinivalue_line("markers", "redis: needs liballocation-redis and redis-server")
    config.addinivalue_line("markers", "smtp: needs liballocation-smtp")


def pytest_collection_modifyitems(config, items):
    missing = {
        "sqlite": None if _lib.available("allocation-sqlite") else "liballocation-sqlite not built",
        "smtp": None if _lib.available("allocation-smtp") else "liballocation-smtp not built",
        "redis": (
            "liballocation-redis not built" if not _lib.available("allocation-redis")
            else "redis-server not installed" if not shutil.which("redis-server")
            else None
        ),
    }
    for item in items:
        for marker, reason in missing.items():
            if reason and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


class FakeNotifications:
    """The book's fake notifications port: records what it was sent."""

    def __init__(self):
        self.sent = {}

    def send(self, destination, message):
        self.sent.setdefault(destination, []).append(message)


class FakePublisher:
    def __init__(self):
        self.published = []

    def __call__(self, channel, json_text):
        self.published.append((channel, json_text))


@pytest.fixture
def notifications():
    return FakeNotifications()


@pytest.fixture
def publisher():
    return FakePublisher()


@pytest.fixture
def bus(notifications, publisher):
    with allocation.bootstrap(notify=notifications, publish=publisher) as b:
        yield b


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:{tmp_path / 'allocation.db'}"


@pytest.fixture
def sqlite_store(sqlite_url):
    with stores.sqlite(sqlite_url) as store:
        yield store
