"""The commands (the book's domain/commands.py, and issue 13's)."""

from .messages import (  # noqa: F401
    Allocate,
    AllocateOrder,
    CancelBatch,
    ChangeBatchQuantity,
    Command,
    Confirm,
    CreateBatch,
    Deallocate,
    ExpireHolds,
)

__all__ = [
    "Command", "CreateBatch", "Allocate", "Deallocate", "ChangeBatchQuantity", "CancelBatch",
    "AllocateOrder", "Confirm", "ExpireHolds",
]
