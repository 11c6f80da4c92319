"""memspan for the OpenAI Agents SDK (extra ``memspan[openai-agents]``).

- :class:`MemspanSession`: the SDK's ``Session`` protocol (``Runner.run(..., session=...)``), keyed by
  user and conversation.
- :class:`MemspanAgentMemory`: long-term memory for a run: a ``call_model_input_filter`` that recalls
  into the instructions, memory tools, and :meth:`~MemspanAgentMemory.remember_run`.

Names load on first use, so importing this package imports the SDK only when one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .memory import MemspanAgentMemory
    from .session import MemspanSession, SessionClosedError

_WHERE = {"MemspanAgentMemory": "memory", "MemspanSession": "session", "SessionClosedError": "session"}

__all__ = ["MemspanAgentMemory", "MemspanSession", "SessionClosedError"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
