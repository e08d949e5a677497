"""The events (the book's domain/events.py)."""

from .messages import Allocated, Deallocated, Event, OutOfStock  # noqa: F401

__all__ = ["Event", "Allocated", "Deallocated", "OutOfStock"]
