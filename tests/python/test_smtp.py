"""allocation.smtp: the SMTP notifications port, against a real SMTP server
(aiosmtpd, started by the smtp_sink fixture)."""

import email

import pytest
from servers import free_port

import allocation
from allocation import commands, events
from allocation.smtp import SUBJECT, SmtpNotifications

pytestmark = pytest.mark.smtp


def parse(envelope):
    msg = email.message_from_bytes(envelope.content)
    return msg, msg.get_payload(decode=True).decode("utf-8").strip()


def test_the_bus_emails_out_of_stock(smtp_sink):
    with SmtpNotifications(smtp_sink.url, sender="stock-bot@example.com") as smtp, \
            allocation.bootstrap(notify=smtp) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5))
        assert bus.handle(commands.Allocate("o1", "LAMP", 10)) is None
        [envelope] = smtp_sink.wait_for(1)
        assert bus.stats()["handler_failures"] == 0
    assert envelope.mail_from == "stock-bot@example.com"
    assert envelope.rcpt_tos == ["stock@made.com"]
    msg, body = parse(envelope)
    assert msg["From"] == "stock-bot@example.com"
    assert msg["To"] == "stock@made.com"
    assert msg["Subject"] == SUBJECT
    assert body == "Out of stock for LAMP"


def test_routes_choose_the_destination(smtp_sink):
    with SmtpNotifications(smtp_sink.url) as smtp, allocation.bootstrap(
        notify=smtp, routes={events.Allocated: "sales@example.org"}
    ) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 5))
        assert bus.handle(commands.Allocate("o1", "LAMP", 2)) == "b1"
        [envelope] = smtp_sink.wait_for(1)
    assert smtp.sender == "allocations@example.com"
    assert envelope.mail_from == "allocations@example.com"
    assert envelope.rcpt_tos == ["sales@example.org"]
    assert parse(envelope)[1] == "Allocated order o1 LAMP x2 to batch b1"


def test_send_directly_in_utf8(smtp_sink):
    with SmtpNotifications(smtp_sink.url) as smtp:
        smtp.send("ops@example.org", "Stock of lámpara: 0 ✓")
        smtp.send("ops@example.org", "second, on the same connection")
    first, second = smtp_sink.wait_for(2)
    assert parse(first)[1] == "Stock of lámpara: 0 ✓"
    assert parse(second)[1] == "second, on the same connection"


def test_bad_url_or_address_is_refused_and_nothing_is_sent(smtp_sink):
    with pytest.raises(allocation.InvalidArgument, match="smtp"):
        SmtpNotifications("http://127.0.0.1:25")
    with pytest.raises(allocation.InvalidArgument, match="address"):
        SmtpNotifications(smtp_sink.url, sender="no at sign")
    with SmtpNotifications(smtp_sink.url) as smtp:
        with pytest.raises(allocation.InvalidArgument, match="not user@domain"):
            smtp.send("nobody", "hello")
        with pytest.raises(allocation.InvalidArgument, match="invalid character"):
            smtp.send("a@b.example\r\nBcc: x@y.example", "hello")
    assert smtp_sink.messages == []


def test_unreachable_server_fails_the_send_not_the_command():
    lines = []
    allocation.set_log_handler(lambda level, text: lines.append(text))
    try:
        with SmtpNotifications(f"smtp://127.0.0.1:{free_port()}") as smtp:
            with pytest.raises(allocation.IOError_):
                smtp.send("ops@example.org", "hello")
            with allocation.bootstrap(notify=smtp) as bus:
                bus.handle(commands.CreateBatch("b1", "LAMP", 1))
                assert bus.handle(commands.Allocate("o1", "LAMP", 5)) is None
                assert bus.stats()["handler_failures"] == 1
    finally:
        allocation.set_log_handler(None)
    # The bus called la_smtp_notify itself: the library's own error, no
    # Python callback in between.
    failures = [line for line in lines if "smtp" in line]
    assert failures, lines
    assert not any("Python" in line for line in lines), lines


def test_closing_the_port_closes_the_buses_that_use_it(smtp_sink):
    smtp = SmtpNotifications(smtp_sink.url)
    bus = allocation.bootstrap(notify=smtp)
    other = allocation.bootstrap(notify=smtp)
    smtp.close()
    assert smtp.closed and bus.closed and other.closed
    with pytest.raises(allocation.StateError, match="closed"):
        bus.handle(commands.CreateBatch("b1", "LAMP", 1))
    with pytest.raises(allocation.StateError, match="SmtpNotifications is closed"):
        smtp.send("ops@example.org", "hello")
    bus.close()
    smtp.close()
    assert repr(smtp) == "<allocation.smtp.SmtpNotifications closed>"


def test_a_closed_bus_lets_the_port_go_on(smtp_sink):
    with SmtpNotifications(smtp_sink.url) as smtp:
        with allocation.bootstrap(notify=smtp) as bus:
            bus.handle(commands.CreateBatch("b1", "LAMP", 1))
        assert bus.closed and not smtp.closed
        smtp.send("ops@example.org", "still here")
        assert parse(smtp_sink.wait_for(1)[0])[1] == "still here"
