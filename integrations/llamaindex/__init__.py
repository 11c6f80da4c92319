"""memspan for LlamaIndex (extra ``memspan[llamaindex]``).

- :class:`MemspanMemory`: an agent's ``memory=`` with session history and long-term recall.
- :class:`MemspanMemoryBlock`: a block for ``llama_index.core.memory.Memory.from_defaults(memory_blocks=[...])``.
- :class:`MemspanChatStore`: a ``BaseChatStore`` (``ChatMemoryBuffer``), keyed by owner and session.
- :class:`MemspanDBChatStore`: an ``AsyncDBChatStore`` for ``Memory.from_defaults(chat_store=...)``.
- :func:`memspan_memory`: LlamaIndex's ``Memory`` with both its chat queue and a memory block in memspan.

Names load on first use, so importing this package imports no framework until one is needed.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .block import MemspanMemoryBlock
    from .chat_store import MemspanChatStore
    from .db_chat_store import MemspanDBChatStore
    from .llama_memory import memspan_memory
    from .memory import MemspanMemory

_WHERE = {
    "MemspanMemory": "memory",
    "MemspanMemoryBlock": "block",
    "MemspanChatStore": "chat_store",
    "MemspanDBChatStore": "db_chat_store",
    "memspan_memory": "llama_memory",
}

__all__ = ["MemspanChatStore", "MemspanDBChatStore", "MemspanMemory", "MemspanMemoryBlock", "memspan_memory"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
