"""A LlamaIndex LLM as memspan's extractor model: ``Memory(llm=Settings.llm)``.

Uses the LLM's chat interface (every LlamaIndex LLM has one; completion-only models get it from
LlamaIndex itself). Token usage is read from the provider's raw response when the integration
exposes it there, or from ``additional_kwargs`` (where the OpenAI integration puts it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.base.llms.types import ChatMessage as LlamaChatMessage
from llama_index.core.base.llms.types import ChatResponse, MessageRole

from memspan.errors import LLMError
from memspan.llm.base import LLM, ChatMessage, Completion, JSONSchema
from memspan.types import Usage

_ROLES = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}


def _field(source: Any, *names: str) -> int:
    for name in names:
        value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
        if isinstance(value, (int, float)):
            return int(value)
    return 0


def _usage(response: ChatResponse) -> Usage:
    raw = response.raw
    usage = raw.get("usage") if isinstance(raw, Mapping) else getattr(raw, "usage", None)
    sources = [usage, response.additional_kwargs] if usage is not None else [response.additional_kwargs]
    prompt = max(_field(s, "prompt_tokens", "input_tokens") for s in sources)
    completion = max(_field(s, "completion_tokens", "output_tokens") for s in sources)
    return Usage(llm_calls=1, prompt_tokens=prompt, completion_tokens=completion)


class LlamaIndexLLM(LLM):
    """Adapts any ``llama_index.core`` LLM (sync ``chat`` and native ``achat``)."""

    def __init__(self, llm: BaseLLM):
        if not isinstance(llm, BaseLLM):
            raise TypeError(f"expected a LlamaIndex LLM, got {type(llm).__name__}")
        self.llm = llm
        name = getattr(getattr(llm, "metadata", None), "model_name", None)
        self.model_id = f"llamaindex:{name or type(llm).__name__}"

    @staticmethod
    def _messages(messages: Sequence[ChatMessage]) -> list[LlamaChatMessage]:
        return [LlamaChatMessage(role=_ROLES[m["role"]], content=m["content"]) for m in messages]

    def _completion(self, response: Any) -> Completion:
        if not isinstance(response, ChatResponse):
            raise LLMError(f"{self.model_id} returned a {type(response).__name__}, not a ChatResponse")
        return Completion(response.message.content or "", _usage(response))

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return self._completion(self.llm.chat(self._messages(messages)))

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return self._completion(await self.llm.achat(self._messages(messages)))
