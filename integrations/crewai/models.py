"""A CrewAI LLM as memspan's extractor model: ``Memory(llm=crew_agent.llm)``.

CrewAI LLMs take OpenAI-style message dicts and return text. Token usage is the difference of the
LLM's own lifetime counters around the call (exact when the LLM is not used concurrently, which is
the case inside one ``add``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from crewai.llms.base_llm import BaseLLM

from memspan.errors import LLMError
from memspan.llm.base import LLM, ChatMessage, Completion, JSONSchema
from memspan.types import Usage


def _counters(llm: BaseLLM) -> tuple[int, int]:
    summary = llm.get_token_usage_summary()
    return int(summary.prompt_tokens or 0), int(summary.completion_tokens or 0)


class CrewAILLM(LLM):
    """Adapts a ``crewai`` LLM (``crewai.LLM`` or any ``BaseLLM`` subclass)."""

    def __init__(self, llm: BaseLLM):
        if not isinstance(llm, BaseLLM):
            raise TypeError(f"expected a CrewAI LLM (BaseLLM), got {type(llm).__name__}")
        self.llm = llm
        self.model_id = f"crewai:{getattr(llm, 'model', None) or type(llm).__name__}"

    def _completion(self, reply: Any, before: tuple[int, int]) -> Completion:
        if not isinstance(reply, str):
            raise LLMError(f"{self.model_id} returned a {type(reply).__name__}, not text")
        after = _counters(self.llm)
        return Completion(
            reply,
            Usage(llm_calls=1, prompt_tokens=after[0] - before[0], completion_tokens=after[1] - before[1]),
        )

    @staticmethod
    def _messages(messages: Sequence[ChatMessage]) -> list[Any]:
        return [{"role": m["role"], "content": m["content"]} for m in messages]

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        before = _counters(self.llm)
        return self._completion(self.llm.call(self._messages(messages)), before)

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        before = _counters(self.llm)
        if type(self.llm).acall is BaseLLM.acall:  # no native coroutine: keep the loop free
            reply = await asyncio.to_thread(self.llm.call, self._messages(messages))
        else:
            reply = await self.llm.acall(self._messages(messages))
        return self._completion(reply, before)
