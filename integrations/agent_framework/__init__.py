"""memspan for Microsoft Agent Framework (extra ``memspan[agent-framework]``).

- :class:`MemspanContextProvider`: a ``ContextProvider`` (recall into the run before it, remember the
  turn after it; optional memory tools), the successor of AutoGen's ``Memory`` component.
- :class:`MemspanHistoryProvider`: a ``HistoryProvider`` keeping each session's messages.

Names load on first use, so importing this package imports Agent Framework only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import MemspanContextProvider
    from .history import MemspanHistoryProvider

_WHERE = {"MemspanContextProvider": "context", "MemspanHistoryProvider": "history"}

__all__ = ["MemspanContextProvider", "MemspanHistoryProvider"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
