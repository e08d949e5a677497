"""The events (the book's domain/events.py, and issue 13's)."""

from .messages import (  # noqa: F401
    Allocated,
    Backordered,
    Confirmed,
    Deallocated,
    Event,
    OutOfStock,
)

__all__ = ["Event", "Allocated", "Deallocated", "OutOfStock", "Confirmed", "Backordered"]
