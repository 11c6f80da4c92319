"""memspan for pydantic-ai (extra ``memspan[pydantic-ai]``): ``Agent(capabilities=[MemspanMemory(...)])``.

- :class:`MemspanMemory`: a pydantic-ai capability recalling into the instructions, storing what a
  run taught after it, with optional memory tools.

Names load on first use, so importing this package imports pydantic-ai only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .capability import MemspanMemory

_WHERE = {"MemspanMemory": "capability"}

__all__ = ["MemspanMemory"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
