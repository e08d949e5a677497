"""C callbacks into Python: the library's log sink and guarded trampolines.

A Python exception must never unwind into C. Every trampoline catches it,
records it as the thread's last error (la_error_set), logs it through the
library's log path (la_log, which lands in the sink below and so in Python
logging) and returns LA_EUSER: the library then treats the callback as a
failed handler.
"""

import atexit
import logging
import traceback

from . import _lib

log = logging.getLogger("allocation")

_LEVELS = {
    _lib.LA_LOG_ERROR: logging.ERROR,
    _lib.LA_LOG_WARN: logging.WARNING,
    _lib.LA_LOG_INFO: logging.INFO,
    _lib.LA_LOG_DEBUG: logging.DEBUG,
}

_sink = None  # a user's fn(level, text), or None for the "allocation" logger


def _log_sink(level, message, payload):
    try:
        text = message.decode("utf-8", "replace") if message else ""
        sink = _sink
        if sink is not None:
            sink(level, text)
        else:
            log.log(_LEVELS.get(level, logging.INFO), "%s", text)
    except BaseException:  # the log path itself must never fail into C
        pass


# One C log callback for the whole process, set at import (before first use,
# as common.h asks) and kept alive by this module; cleared at exit so that no
# late log line calls into a finalised interpreter.
_LOG_CALLBACK = _lib.LOG_FN(_log_sink)
_lib.lib.la_set_log_callback(_LOG_CALLBACK, None)


def _unset_log_callback(lib=_lib.lib):
    lib.la_set_log_callback(_lib.LOG_FN(), None)


atexit.register(_unset_log_callback)


def set_log_handler(fn):
    """Send the library's log lines to fn(level, text); None: Python logging."""
    global _sink
    _sink = fn


def report_exception(what):
    """Inside an except block: make the exception a library error and log it."""
    try:
        text = f"Python {what} raised: {traceback.format_exc().rstrip()}"
        raw = text.encode("utf-8", "replace")
        _lib.lib.la_error_set(_lib.LA_EUSER, b"%s", raw)
        _lib.lib.la_log(_lib.LA_LOG_ERROR, b"%s", raw)
    except BaseException:
        pass
    return _lib.LA_EUSER


def status_of(result):
    """A Python callback's return value as a status: a negative int passes."""
    if type(result) is int and result < 0:
        return result
    return _lib.LA_OK


def _text(raw):
    return raw.decode("utf-8", "replace") if raw is not None else None


def string_pair(fn, what, cfunctype):
    """A C callback (text, text, payload) → int calling fn(text, text)."""

    def trampoline(first, second, payload):
        try:
            return status_of(fn(_text(first), _text(second)))
        except BaseException:
            return report_exception(what)

    return cfunctype(trampoline)
