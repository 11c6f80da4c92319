"""A memory block for LlamaIndex's ``Memory``: recall every turn, remember every finished exchange.

``Memory.from_defaults(memory_blocks=[MemspanMemoryBlock(memory=m, user_id="alice")])`` asks the
block for memories matching the latest user message on every ``get`` and puts them into the
prompt. LlamaIndex hands a block messages only when its short-term queue overflows (by default
past ~21,000 tokens), so a normal-length chat would never be remembered; the block therefore also
reads the chat history it is shown on every ``get`` and hands each finished exchange (up to the
assistant's last reply) to memspan's extractor once (``remember_each_turn``, on by default).
Flushed messages it has not seen yet are remembered too. :func:`memspan_memory` builds such a
``Memory`` with its chat queue in memspan as well.
"""

from __future__ import annotations

import hashlib
from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms import ChatMessage
from llama_index.core.memory.memory import BaseMemoryBlock

from memspan import Scope
from memspan.effects import run_async

from .._adapter import (
    FacadePort,
    format_memories,
    long_term_scope,
    open_if_path,
    recall,
    recall_scope,
    remember,
)
from .._scopes import ScopeKey
from ._convert import conversation, latest_user_text, role_of, text_of


class MemspanMemoryBlock(BaseMemoryBlock[str]):
    """Long-term memories of a user and/or agent (or of one run, when only ``run_id`` is given)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "long_term_memory"
    description: str | None = "What memspan remembers that is relevant to the conversation."
    memory: Any = Field(
        description="any memspan memory (Memory, AsyncMemory, RemoteMemory, AsyncRemoteMemory) or a store path / URL"
    )
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    limit: int = 5
    threshold: float | None = None
    recall_within: tuple[ScopeKey, ...] | None = Field(
        default=None, description="ids recall looks within; default the broadest given (the whole user)"
    )
    remember_each_turn: bool = Field(
        default=True, description="remember finished exchanges as they appear, not only when flushed"
    )
    _port: FacadePort = PrivateAttr()
    _handed: set[str] = PrivateAttr(default_factory=set)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # checked after pydantic, so a bad scope raises memspan's ScopeError rather than pydantic's wrapper
        recall_scope(long_term_scope(self.user_id, self.agent_id, self.run_id), self.recall_within)
        self.memory = open_if_path(self.memory)  # a store path or URL is opened here
        self._port = FacadePort(self.memory)

    def _scope(self) -> Scope:
        return long_term_scope(self.user_id, self.agent_id, self.run_id)

    def _unseen(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        """The messages not yet handed to memspan (by role and text; repeats add nothing new)."""
        fresh = []
        for message in messages:
            mark = hashlib.sha256(f"{role_of(message)}\x1f{text_of(message)}".encode()).hexdigest()
            if mark not in self._handed:
                self._handed.add(mark)
                fresh.append(message)
        return fresh

    async def _aget(self, messages: list[ChatMessage] | None = None, **block_kwargs: Any) -> str:
        if self.remember_each_turn and messages:
            replied = [i for i, m in enumerate(messages) if role_of(m) == "assistant" and text_of(m)]
            if replied:  # the exchange being answered now is remembered once its reply is in
                finished = self._unseen(messages[: replied[-1] + 1])
                await run_async(remember(self._port, self._scope(), conversation(finished)))
        query = latest_user_text(messages)
        if not query:
            return ""
        found = await run_async(
            recall(
                self._port,
                recall_scope(self._scope(), self.recall_within),
                query,
                limit=self.limit,
                threshold=self.threshold,
            )
        )
        return format_memories([item.text for item in found]) if found else ""

    async def _aput(self, messages: list[ChatMessage]) -> None:
        await run_async(remember(self._port, self._scope(), conversation(self._unseen(messages))))
