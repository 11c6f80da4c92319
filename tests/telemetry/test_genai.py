"""The model call inside an add: a real OpenAI-protocol HTTP server answering from a script."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("openai")

from memspan import AsyncMemory, Memory
from memspan.llm import OpenAIChatLLM, RetryPolicy
from memspan.llm.scripted import ScriptedChatServer, reply_json
from memspan.ports import Embedder


def test_the_model_call_has_genai_attributes_and_token_metrics(
    otel: Any, db_path: Any, embedder: Embedder
) -> None:
    with ScriptedChatServer() as server:
        server.add(reply_json({"action": "ADD", "text": "Lives in Paris", "sources": [0]}))
        llm = OpenAIChatLLM("scripted-model", base_url=server.openai_url, retry=RetryPolicy(max_retries=0))
        with Memory(db_path, embedder=embedder, llm=llm) as memory:
            result = memory.add("I moved to Paris last spring.", user_id="maya")
    spans = {s.name: s for s in otel.finished()}
    chat = spans["chat scripted-model"]
    assert chat.parent is not None and chat.parent.span_id == spans["memspan.extract"].context.span_id
    assert spans["memspan.extract"].parent.span_id == spans["memspan.add"].context.span_id  # type: ignore[union-attr]
    attributes = dict(chat.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.request.model"] == "scripted-model"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens > 0
    assert attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens > 0
    tokens = {a["gen_ai.token.type"]: a for a, _ in otel.points("gen_ai.client.token.usage")}
    assert set(tokens) == {"input", "output"}
    assert tokens["input"]["gen_ai.request.model"] == "scripted-model"
    data = otel.reader.get_metrics_data()
    sums = {
        p.attributes["gen_ai.token.type"]: p.sum
        for r in data.resource_metrics
        for s in r.scope_metrics
        for m in s.metrics
        if m.name == "gen_ai.client.token.usage"
        for p in m.data.data_points
    }
    assert sums == {"input": result.usage.prompt_tokens, "output": result.usage.completion_tokens}


async def test_the_async_model_call_has_the_same_span(otel: Any, db_path: Any, embedder: Embedder) -> None:
    with ScriptedChatServer() as server:
        server.add(reply_json({"action": "ADD", "text": "Lives in Paris", "sources": [0]}))
        llm = OpenAIChatLLM("scripted-model", base_url=server.openai_url, retry=RetryPolicy(max_retries=0))
        async with AsyncMemory(db_path, embedder=embedder, llm=llm) as memory:
            result = await memory.add("I moved to Paris last spring.", user_id="maya")
    spans = {s.name: s for s in otel.finished()}
    chat = spans["chat scripted-model"]
    assert chat.parent is not None and chat.parent.span_id == spans["memspan.extract"].context.span_id
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.usage.output_tokens"] == result.usage.completion_tokens > 0
