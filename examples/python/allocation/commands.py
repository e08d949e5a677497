"""The commands (the book's domain/commands.py)."""

from .messages import (  # noqa: F401
    Allocate,
    CancelBatch,
    ChangeBatchQuantity,
    Command,
    CreateBatch,
    Deallocate,
)

__all__ = ["Command", "CreateBatch", "Allocate", "Deallocate", "ChangeBatchQuantity", "CancelBatch"]
