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
from typing import Any, Callable, Dict, Optional

from . import _lib

#: fn(level, text): a log sink (level 1 error ... 4 debug).
LogHandler = Callable[[int, str], object]

log = logging.getLogger("allocation")

_LEVELS: Dict[int, int] = {
    _lib.LA_LOG_ERROR: logging.ERROR,
    _lib.LA_LOG_WARN: logging.WARNING,
    _lib.LA_LOG_INFO: logging.INFO,
    _lib.LA_LOG_DEBUG: logging.DEBUG,
}

_sink: Optional[LogHandler] = None  # a user's fn, or None: the "allocation" logger


def _log_sink(level: int, message: Optional[bytes], payload: Optional[int]) -> None:
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


def _unset_log_callback(lib: Any = _lib.lib) -> None:
    lib.la_set_log_callback(_lib.LOG_FN(0), None)  # NULL: no callback


atexit.register(_unset_log_callback)


def set_log_handler(fn: Optional[LogHandler]) -> None:
    """Send the library's log lines to fn(level, text); None: back to the
    Python logger "allocation"."""
    global _sink
    _sink = fn


def report_exception(what: str) -> int:
    """Inside an except block: make the exception a library error and log it."""
    try:
        text = f"Python {what} raised: {traceback.format_exc().rstrip()}"
        raw = text.encode("utf-8", "replace")
        _lib.lib.la_error_set(_lib.LA_EUSER, b"%s", raw)
        _lib.lib.la_log(_lib.LA_LOG_ERROR, b"%s", raw)
    except BaseException:
        pass
    return _lib.LA_EUSER


def status_of(result: object) -> int:
    """A Python callback's return value as a status: a negative int passes."""
    if type(result) is int and result < 0:
        return result
    return _lib.LA_OK


def _text(raw: Optional[bytes]) -> str:
    return raw.decode("utf-8", "replace") if raw is not None else ""


#: fn(text, text): a notifications port's send(destination, message) or a
#: publisher's publish(channel, json).
StringPairFn = Callable[[str, str], object]


def string_pair(fn: StringPairFn, what: str, cfunctype: Any) -> Any:
    """A C callback (text, text, payload) → int calling fn(text, text)."""

    def trampoline(first: Optional[bytes], second: Optional[bytes], payload: Any) -> int:
        try:
            return status_of(fn(_text(first), _text(second)))
        except BaseException:
            return report_exception(what)

    return cfunctype(trampoline)
