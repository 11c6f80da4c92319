"""memspan for Google ADK (extra ``memspan[adk]``): ``Runner(memory_service=MemspanMemoryService(...))``.

- :class:`MemspanMemoryService`: ADK's ``BaseMemoryService`` (sessions and events in, explicit
  memories, search for ``load_memory`` / ``preload_memory``, delete), over a memspan store.

Names load on first use, so importing this package imports ADK only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .memory_service import MemspanMemoryService

_WHERE = {"MemspanMemoryService": "memory_service"}

__all__ = ["MemspanMemoryService"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
