"""A memory block for LlamaIndex's ``Memory``: recall every turn, remember what is flushed.

``Memory.from_defaults(memory_blocks=[MemspanMemoryBlock(memory=m, user_id="alice")])`` asks the
block for memories matching the latest user message on every ``get`` and puts them into the
prompt; when the short-term buffer overflows, LlamaIndex hands the flushed messages to the block,
and memspan's extractor decides what of them to keep.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms import ChatMessage
from llama_index.core.memory.memory import BaseMemoryBlock

from memspan import Scope
from memspan.effects import run_async

from .._adapter import FacadePort, format_memories, long_term_scope, recall, remember
from ._convert import conversation, latest_user_text


class MemspanMemoryBlock(BaseMemoryBlock[str]):
    """Long-term memories of a user and/or agent (or of one run, when only ``run_id`` is given)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "long_term_memory"
    description: str | None = "What memspan remembers that is relevant to the conversation."
    memory: Any = Field(description="a memspan Memory or AsyncMemory")
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    limit: int = 5
    threshold: float | None = None
    _port: FacadePort = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # checked after pydantic, so a bad scope raises memspan's ScopeError rather than pydantic's wrapper
        long_term_scope(self.user_id, self.agent_id, self.run_id)
        self._port = FacadePort(self.memory)

    def _scope(self) -> Scope:
        return long_term_scope(self.user_id, self.agent_id, self.run_id)

    async def _aget(self, messages: list[ChatMessage] | None = None, **block_kwargs: Any) -> str:
        query = latest_user_text(messages)
        if not query:
            return ""
        found = await run_async(
            recall(self._port, self._scope(), query, limit=self.limit, threshold=self.threshold)
        )
        return format_memories([item.text for item in found]) if found else ""

    async def _aput(self, messages: list[ChatMessage]) -> None:
        await run_async(remember(self._port, self._scope(), conversation(messages)))
