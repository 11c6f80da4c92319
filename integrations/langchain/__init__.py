"""memspan for LangChain and LangGraph (extra ``memspan[langchain]``).

- :class:`MemspanStore`: LangGraph's ``BaseStore`` (``create_agent(..., store=...)``).
- :class:`MemspanMiddleware`: recall before each model call, remember after the final answer.
- :func:`memory_tools`: ``save_memory`` / ``search_memory`` / ``forget_memory`` tools.
- :class:`MemspanRetriever`: a ``BaseRetriever`` over one scope.
- :class:`MemspanChatMessageHistory`: a session transcript (``run_id``).
- :class:`MemoryContext`: a ready-made ``context_schema`` naming user, agent and session.
- :func:`fixed`, :func:`by_position`, :func:`from_run`, :func:`scope_id`: where a store's
  namespaces live (see :mod:`.namespaces`).

Names load on first use, so importing this package imports no framework until one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import MemoryContext
    from .history import MemspanChatMessageHistory
    from .middleware import MemspanMiddleware
    from .namespaces import by_position, fixed, from_run, scope_id
    from .retriever import MemspanRetriever
    from .store import MemspanStore
    from .tools import memory_tools

_WHERE = {
    "MemspanStore": "store",
    "MemspanMiddleware": "middleware",
    "memory_tools": "tools",
    "MemspanRetriever": "retriever",
    "MemspanChatMessageHistory": "history",
    "MemoryContext": "context",
    "fixed": "namespaces",
    "by_position": "namespaces",
    "from_run": "namespaces",
    "scope_id": "namespaces",
}

__all__ = [
    "MemoryContext",
    "MemspanChatMessageHistory",
    "MemspanMiddleware",
    "MemspanRetriever",
    "MemspanStore",
    "by_position",
    "fixed",
    "from_run",
    "memory_tools",
    "scope_id",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
