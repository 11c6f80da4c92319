"""LlamaIndex's current ``Memory`` wired to memspan in one call: :func:`memspan_memory`."""

from __future__ import annotations

import os
import uuid
from typing import Any

from llama_index.core.memory import Memory

from memspan.facade import AnyFacade

from .._scopes import ScopeKey
from .block import MemspanMemoryBlock
from .db_chat_store import MemspanDBChatStore


def memspan_memory(
    memory: AnyFacade | str | os.PathLike[str],
    *,
    user_id: str | None = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    limit: int = 5,
    threshold: float | None = None,
    recall_within: tuple[ScopeKey, ...] | None = None,
    **memory_options: Any,
) -> Memory:
    """A LlamaIndex ``Memory`` whose chat queue and long-term memory block are both memspan's.

    The queue is a :class:`MemspanDBChatStore` of the user (so the session can be resumed from
    another process by the same ``session_id``); the :class:`MemspanMemoryBlock` recalls on every
    turn and remembers each finished exchange. ``memory_options`` go to ``Memory.from_defaults``
    (``token_limit``, ``chat_history_token_ratio``, ...), unchanged.
    """
    block = MemspanMemoryBlock(
        memory=memory,
        user_id=user_id,
        agent_id=agent_id,
        limit=limit,
        threshold=threshold,
        recall_within=recall_within,
    )
    store = MemspanDBChatStore(memory=memory, user_id=user_id, agent_id=agent_id)
    blocks = [block, *memory_options.pop("memory_blocks", [])]
    return Memory.from_defaults(
        session_id=session_id or f"session-{uuid.uuid4().hex}",
        chat_store=store,
        memory_blocks=blocks,
        **memory_options,
    )
