"""memspan for AutoGen 0.7 (extra ``memspan[autogen]``): ``AssistantAgent(memory=[MemspanMemory(...)])``.

- :class:`MemspanMemory`: an ``autogen_core.memory.Memory`` Component over a memspan store, with
  :meth:`~MemspanMemory.add_task_result` to store a finished run.
- :func:`memory_tools`: ``save_to_memory`` / ``search_memory`` tools (:class:`SaveToMemoryTool`,
  :class:`SearchMemoryTool`), since ``AssistantAgent`` itself never writes memory.

Names load on first use, so importing this package imports autogen only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .memory import MemspanMemory, MemspanMemoryConfig
    from .tools import SaveToMemoryTool, SearchMemoryTool, memory_tools

_WHERE = {
    "MemspanMemory": "memory",
    "MemspanMemoryConfig": "memory",
    "SaveToMemoryTool": "tools",
    "SearchMemoryTool": "tools",
    "memory_tools": "tools",
}

__all__ = ["MemspanMemory", "MemspanMemoryConfig", "SaveToMemoryTool", "SearchMemoryTool", "memory_tools"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
