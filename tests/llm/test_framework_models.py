"""The host framework's own model as the extractor: each framework's scripted model drives a real
Memory on a real SQLite file, through the same one-call pipeline, sync and async."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from memspan import AsyncMemory, Event, Memory
from memspan.llm.scripted import reply_json
from memspan.ports import Embedder

PARIS = reply_json({"action": "ADD", "text": "Lives in Paris", "sources": [0]})
TOKYO_OVER_REF_0 = reply_json({"action": "UPDATE", "ref": 0, "text": "Lives in Tokyo", "reason": "moved"})


def run_contradiction(memory: Memory) -> None:
    first = memory.add("I live in Paris.", user_id="ana")
    assert [(c.event, c.item.text) for c in first.changes] == [(Event.ADD, "Lives in Paris")]
    second = memory.add("I moved to Tokyo.", user_id="ana")
    assert [(c.event, c.previous_text) for c in second.changes] == [(Event.UPDATE, "Lives in Paris")]
    assert [m.text for m in memory.get_all(user_id="ana")] == ["Lives in Tokyo"]
    assert memory.usage.llm_calls == 2


async def arun_contradiction(memory: AsyncMemory) -> None:
    await memory.add("I live in Paris.", user_id="ana")
    second = await memory.add("I moved to Tokyo.", user_id="ana")
    assert [c.event for c in second.changes] == [Event.UPDATE]
    assert [m.text for m in await memory.get_all(user_id="ana")] == ["Lives in Tokyo"]


# -- LangChain ---------------------------------------------------------------------------------


def test_langchain_chat_model(db_path: Path, embedder: Embedder) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from memspan.integrations.langchain.models import LangChainLLM

    chat = FakeListChatModel(responses=[PARIS, TOKYO_OVER_REF_0])
    with Memory(db_path, embedder=embedder, llm=chat) as memory:
        assert isinstance(memory.extractor.llm, LangChainLLM)  # type: ignore[attr-defined]
        run_contradiction(memory)


async def test_langchain_chat_model_async_reports_usage(db_path: Path, embedder: Embedder) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    replies = [
        AIMessage(
            content=text, usage_metadata={"input_tokens": 500, "output_tokens": 20, "total_tokens": 520}
        )
        for text in (PARIS, TOKYO_OVER_REF_0)
    ]
    memory = AsyncMemory(db_path, embedder=embedder, llm=GenericFakeChatModel(messages=iter(replies)))
    try:
        await arun_contradiction(memory)
        assert (memory.usage.llm_calls, memory.usage.prompt_tokens, memory.usage.completion_tokens) == (
            2,
            1000,
            40,
        )
    finally:
        await memory.aclose()


# -- LlamaIndex --------------------------------------------------------------------------------


def scripted_llamaindex_llm(replies: Sequence[str]) -> Any:
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback
    from pydantic import Field

    class ScriptedLlamaLLM(CustomLLM):
        """A LlamaIndex LLM that answers from a list and remembers the prompts it saw."""

        replies: list[str]
        prompts: list[str] = Field(default_factory=list)

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="scripted-llama", is_chat_model=False)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            self.prompts.append(prompt)
            return CompletionResponse(text=self.replies.pop(0))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            raise NotImplementedError("memspan never streams")

    return ScriptedLlamaLLM(replies=list(replies))


def test_llamaindex_llm(db_path: Path, embedder: Embedder) -> None:
    llm = scripted_llamaindex_llm([PARIS, TOKYO_OVER_REF_0])
    with Memory(db_path, embedder=embedder, llm=llm) as memory:
        run_contradiction(memory)
    assert "<existing_memories>" in llm.prompts[1] and "Lives in Paris" in llm.prompts[1]


async def test_llamaindex_llm_async(db_path: Path, embedder: Embedder) -> None:
    memory = AsyncMemory(db_path, embedder=embedder, llm=scripted_llamaindex_llm([PARIS, TOKYO_OVER_REF_0]))
    try:
        await arun_contradiction(memory)
    finally:
        await memory.aclose()


# -- AutoGen -----------------------------------------------------------------------------------


def test_autogen_client_from_blocking_memory(db_path: Path, embedder: Embedder) -> None:
    from autogen_ext.models.replay import ReplayChatCompletionClient

    client = ReplayChatCompletionClient([PARIS, TOKYO_OVER_REF_0])
    with Memory(db_path, embedder=embedder, llm=client) as memory:
        run_contradiction(memory)
        assert memory.usage.prompt_tokens > 0  # the replay client counts tokens itself


async def test_autogen_client_awaited_natively(db_path: Path, embedder: Embedder) -> None:
    from autogen_ext.models.replay import ReplayChatCompletionClient

    memory = AsyncMemory(
        db_path, embedder=embedder, llm=ReplayChatCompletionClient([PARIS, TOKYO_OVER_REF_0])
    )
    try:
        await arun_contradiction(memory)
    finally:
        await memory.aclose()


async def test_blocking_memory_with_autogen_inside_a_running_loop(db_path: Path, embedder: Embedder) -> None:
    from autogen_ext.models.replay import ReplayChatCompletionClient

    with Memory(
        db_path, embedder=embedder, llm=ReplayChatCompletionClient([PARIS, TOKYO_OVER_REF_0])
    ) as memory:
        run_contradiction(memory)  # the coroutine runs on a worker thread's loop


# -- CrewAI ------------------------------------------------------------------------------------


def scripted_crewai_llm(replies: Sequence[str]) -> Any:
    from crewai.llms.base_llm import BaseLLM

    class ScriptedCrewLLM(BaseLLM):
        """The small BaseLLM subclass a crew runs offline with; counts tokens like a provider does."""

        def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
            text = replies_left.pop(0)
            prompt = sum(len(m["content"]) for m in messages) // 4
            self._track_token_usage_internal(
                {
                    "prompt_tokens": prompt,
                    "completion_tokens": len(text) // 4,
                    "total_tokens": prompt + len(text) // 4,
                }
            )
            return text

    replies_left = list(replies)
    return ScriptedCrewLLM(model="scripted-crew")


def test_crewai_llm(db_path: Path, embedder: Embedder) -> None:
    llm = scripted_crewai_llm([PARIS, TOKYO_OVER_REF_0])
    with Memory(db_path, embedder=embedder, llm=llm) as memory:
        run_contradiction(memory)
        assert memory.usage.prompt_tokens == llm.get_token_usage_summary().prompt_tokens > 0


async def test_crewai_llm_async(db_path: Path, embedder: Embedder) -> None:
    memory = AsyncMemory(db_path, embedder=embedder, llm=scripted_crewai_llm([PARIS, TOKYO_OVER_REF_0]))
    try:
        await arun_contradiction(memory)
    finally:
        await memory.aclose()


def test_adapters_refuse_the_wrong_object() -> None:
    from memspan.integrations.langchain.models import LangChainLLM

    with pytest.raises(TypeError, match="LangChain chat model"):
        LangChainLLM(object())  # type: ignore[arg-type]
