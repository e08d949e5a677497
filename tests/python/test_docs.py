"""The Python examples of docs/python.md run as written (against real
servers where they name one)."""

import os
import re
import time

import pytest

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "python.md")


def example(section):
    """The first ```python block after the heading `## <section>`."""
    with open(DOC) as f:
        text = f.read()
    m = re.search(rf"^## {re.escape(section)}\n.*?```python\n(.*?)```", text, re.S | re.M)
    assert m, f"no python example under '## {section}'"
    return m.group(1)


@pytest.mark.sqlite
def test_the_books_surface(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # it opens sqlite:allocation.db
    scope = {}
    exec(example("The book's surface"), scope)
    assert scope["bus"].closed
    out = capsys.readouterr().out
    assert "to stock@made.com : Out of stock for SMALL-TABLE" in out
    assert re.search(r'^line_allocated \{.*"orderid":"o1"', out, re.M)


@pytest.mark.redis
@pytest.mark.smtp
@pytest.mark.sqlite
def test_redis_and_smtp(tmp_path, monkeypatch, redis_server, smtp_sink):
    monkeypatch.chdir(tmp_path)  # it opens sqlite:shop.db
    code = example("Redis and SMTP")
    code = code.replace("smtp://127.0.0.1:1025", smtp_sink.url)
    code = code.replace("redis://127.0.0.1:6379", redis_server.url)
    assert code.count("\n    ...\n") == 1
    client = redis_server.client()
    # Where the example waits, an order comes in on Redis and is allocated.
    code = code.replace("\n    ...\n", "\n    inbound()\n")

    def inbound():
        client.xadd("batch_created", {"ref": "b9", "sku": "DESK", "qty": "3"})
        client.xadd("allocation_required", {"orderid": "o9", "sku": "DESK", "qty": "1"})
        deadline = time.monotonic() + 10
        while client.xlen("line_allocated") < 1 and time.monotonic() < deadline:
            time.sleep(0.01)

    exec(code, {"inbound": inbound})
    assert len(smtp_sink.wait_for(1)) == 1
    [(_, fields)] = client.xrange("line_allocated")
    assert '"orderid":"o9"' in fields["json"]
