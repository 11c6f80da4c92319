"""A LangChain chat model as memspan's extractor model: ``Memory(llm=ChatOpenAI(...))``.

Whatever chat model the application already configured (provider, keys, callbacks, rate limiter)
is reused as is; memspan only sends it messages and reads back the text and the token usage
LangChain reports in ``usage_metadata``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from memspan.errors import LLMError
from memspan.llm.base import LLM, ChatMessage, Completion, JSONSchema
from memspan.types import Usage

_KINDS: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def _model_name(model: BaseChatModel) -> str:
    for attribute in ("model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return type(model).__name__


class LangChainLLM(LLM):
    """Adapts any ``langchain_core`` chat model (sync ``invoke`` and native ``ainvoke``)."""

    def __init__(self, model: BaseChatModel):
        if not isinstance(model, BaseChatModel):
            raise TypeError(f"expected a LangChain chat model (BaseChatModel), got {type(model).__name__}")
        self.model = model
        self.model_id = f"langchain:{_model_name(model)}"

    @staticmethod
    def _messages(messages: Sequence[ChatMessage]) -> list[BaseMessage]:
        return [_KINDS[m["role"]](content=m["content"]) for m in messages]

    def _completion(self, reply: Any) -> Completion:
        if not isinstance(reply, BaseMessage):
            raise LLMError(f"{self.model_id} returned a {type(reply).__name__}, not a chat message")
        content = reply.content
        if isinstance(content, str):
            text = content
        else:
            text = "".join(
                part if isinstance(part, str) else str(part.get("text", ""))
                for part in content
                if isinstance(part, str) or part.get("type") == "text"
            )
        meta = getattr(reply, "usage_metadata", None) or {}
        return Completion(
            text,
            Usage(
                llm_calls=1,
                prompt_tokens=int(meta.get("input_tokens", 0) or 0),
                completion_tokens=int(meta.get("output_tokens", 0) or 0),
            ),
        )

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return self._completion(self.model.invoke(self._messages(messages)))

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return self._completion(await self.model.ainvoke(self._messages(messages)))
