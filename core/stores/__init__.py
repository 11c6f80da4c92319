"""Store backends behind :class:`~memspan.ports.MemoryStore`. Server backends need their extra."""

from .sqlite import SQLiteStore

__all__ = ["SQLiteStore"]
