"""Notifications by e-mail: the SMTP notifications port (liballocation-smtp).

    import allocation
    from allocation import commands
    from allocation.smtp import SmtpNotifications

    with SmtpNotifications("smtp://127.0.0.1:1025") as smtp, \\
            allocation.bootstrap(notify=smtp) as bus:
        bus.handle(commands.CreateBatch("b1", "LAMP", 1))
        bus.handle(commands.Allocate("o1", "LAMP", 5))   # out of stock: an e-mail

Given to a bus, the handle is called from C (la_smtp_notify), without
Python in between. Each notification is one plain-text e-mail, From the
sender, Subject "allocation service notification".
"""

from ctypes import byref, c_void_p, cast
from typing import Any, Optional, Tuple

from . import _lib
from ._handle import CPort
from .errors import check
from .stores import adapter_library, new_ptr

#: The Subject of every e-mail.
SUBJECT = "allocation service notification"


class SmtpNotifications(CPort):
    """The notifications port over SMTP: bootstrap(notify=SmtpNotifications(url)).

    url is "smtp://host:port", "smtps://host:port" or
    "smtp://host:port/heloname"; sender the From address (None:
    "allocations@example.com"). No connection is made until the first
    e-mail; one connection is then kept and reused. Thread-safe (sends on
    one handle are serialised). A context manager; close() first closes the
    buses that use it. Needs liballocation-smtp (else Unsupported).
    """

    def __init__(self, url: str, sender: Optional[str] = None) -> None:
        lib = adapter_library("allocation-smtp")
        out = c_void_p()
        check(lib.la_smtp_new(byref(out), url.encode(), sender.encode() if sender else None))
        super().__init__(new_ptr(out), lib.la_smtp_free)
        self._notify = lib.la_smtp_notify
        self.sender: str = sender or _lib.LA_SMTP_DEFAULT_FROM

    def send(self, destination: str, message: str) -> None:
        """E-mail message to destination now. InvalidArgument for a bad
        address; IOError_ when the server cannot be reached or refuses it."""
        check(self._notify(destination.encode(), message.encode(), self.ptr))

    def _c_function(self) -> Tuple[Any, int]:
        return _lib.NOTIFY_FN(cast(self._notify, c_void_p).value or 0), self.ptr

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"from {self.sender}"
        return f"<allocation.smtp.SmtpNotifications {state}>"
