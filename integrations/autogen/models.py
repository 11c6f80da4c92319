"""An AutoGen ``ChatCompletionClient`` as memspan's extractor model: ``Memory(llm=model_client)``.

AutoGen clients are async only. :class:`~memspan.AsyncMemory` awaits them natively; the blocking
:class:`~memspan.Memory` runs the coroutine on a private event loop (in a worker thread when the
calling thread already runs a loop). Clients bound to one loop (most HTTP-backed ones) are best used
with AsyncMemory.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from autogen_core.models import (
    AssistantMessage,
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    SystemMessage,
    UserMessage,
)

from memspan.errors import LLMError
from memspan.llm.base import LLM, ChatMessage, Completion, JSONSchema
from memspan.types import Usage

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from blocking code, even when this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=worker, name="memspan-autogen")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def _message(message: ChatMessage) -> LLMMessage:
    if message["role"] == "system":
        return SystemMessage(content=message["content"])
    if message["role"] == "assistant":
        return AssistantMessage(content=message["content"], source="assistant")
    return UserMessage(content=message["content"], source="user")


class AutoGenLLM(LLM):
    """Adapts an ``autogen_core.models.ChatCompletionClient``."""

    def __init__(self, client: ChatCompletionClient):
        if not isinstance(client, ChatCompletionClient):
            raise TypeError(f"expected an AutoGen ChatCompletionClient, got {type(client).__name__}")
        self.client = client
        family = getattr(getattr(client, "model_info", None), "get", lambda _k: None)("family")
        self.model_id = f"autogen:{family or type(client).__name__}"

    def _completion(self, result: CreateResult) -> Completion:
        if not isinstance(result.content, str):
            raise LLMError(f"{self.model_id} answered with a tool call instead of text")
        return Completion(
            result.content,
            Usage(
                llm_calls=1,
                prompt_tokens=int(result.usage.prompt_tokens or 0),
                completion_tokens=int(result.usage.completion_tokens or 0),
            ),
        )

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        result = await self.client.create([_message(m) for m in messages])
        return self._completion(result)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        json_schema: JSONSchema | None = None,
        max_tokens: int = 2048,
    ) -> Completion:
        return _run(self.acomplete(messages, json_schema=json_schema, max_tokens=max_tokens))
