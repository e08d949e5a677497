"""The commands (the book's domain/commands.py)."""

from .messages import (  # noqa: F401
    Allocate,
    CancelBatch,
    ChangeBatchQuantity,
    Command,
    CreateBatch,
    Deallocate,
)
