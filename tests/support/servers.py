"""Throwaway servers for the pytest suites (tests/redis, tests/e2e,
tests/python): a private redis-server started by redis_server.sh beside this
file, and an SMTP sink (aiosmtpd) running in the test process.

Import with tests/support on sys.path (each conftest.py puts it there); a
conftest.py that imports the fixtures redis_server and smtp_sink offers them.
"""

import os
import socket
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REDIS_SCRIPT = os.environ.get("REDIS_SERVER_SCRIPT", os.path.join(HERE, "redis_server.sh"))


def free_port():
    """A loopback TCP port nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server in its own directory; restart keeps the port."""

    def __init__(self, directory):
        self.dir = directory
        self.url = None
        self.password = None  # used by client() while the server wants one

    def start(self, *args):
        out = subprocess.run(
            [REDIS_SCRIPT, "start", self.dir, *args], check=True, capture_output=True, text=True
        )
        self.url = out.stdout.strip()
        return self.url

    def stop(self):
        subprocess.run([REDIS_SCRIPT, "stop", self.dir], check=True)

    def client(self, **kw):
        import redis  # python3-redis, needed only by the tests that talk to Redis

        return redis.Redis.from_url(self.url, decode_responses=True,
                                    password=self.password, **kw)


class SmtpSink:
    """An SMTP server on a free loopback port, or on port (aiosmtpd in this
    process) keeping every message it receives; url is its smtp:// URL."""

    def __init__(self, port=None):
        from aiosmtpd.controller import Controller  # python3-aiosmtpd

        self.messages = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port or free_port())
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def wait_for(self, count, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def stop(self):
        self.controller.stop()


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server on a free port, stopped after the test."""
    server = RedisServer(str(tmp_path / "redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_sink():
    """An SmtpSink, stopped after the test."""
    sink = SmtpSink()
    yield sink
    sink.stop()
