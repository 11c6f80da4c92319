"""memspan for crewai (extra ``memspan[crewai]``): ``Crew(memory=MemspanMemory(backend=..., user_id=...))``.

- :class:`MemspanMemory`: crewai's ``Memory`` with recall, saves and the agents' memory tools on memspan.
- :class:`CrewMemoryError`: raised at the end of a kickoff when memory operations failed during it.

Names load on first use, so importing this package imports crewai only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .memory import CrewMemoryError, MemspanMemory

_WHERE = {"MemspanMemory": "memory", "CrewMemoryError": "memory"}

__all__ = ["CrewMemoryError", "MemspanMemory"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
