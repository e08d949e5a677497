"""Owning wrappers for C handles: context managers, safe and idempotent frees."""

from .errors import StateError


class Handle:
    """Owns one C object and the function that frees it.

    The free function is kept on the instance, so ``__del__`` needs no module
    global and stays safe while the interpreter shuts down. ``close`` may be
    called any number of times; only the first frees.
    """

    _ptr = None
    _free = None

    def __init__(self, ptr, free):
        self._free = free
        self._ptr = ptr

    @property
    def ptr(self):
        ptr = self._ptr
        if ptr is None:
            raise StateError(f"{type(self).__name__} is closed")
        return ptr

    @property
    def closed(self):
        return self._ptr is None

    def close(self):
        ptr, self._ptr = self._ptr, None
        if ptr is not None and self._free is not None:
            self._free(ptr)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
