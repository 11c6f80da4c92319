"""Graph extraction by a model, over a real HTTP server speaking the OpenAI protocol (scripted replies)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders.hashing import HashingEmbedder
from memspan.errors import ExtractionError
from memspan.graph.llm_extractor import LLMGraphExtractor, parse_graph_reply
from memspan.llm import OpenAIChatLLM, RetryPolicy
from memspan.llm.scripted import ChatRequest, ScriptedChatServer, reply_json

FAST = RetryPolicy(max_retries=0, initial_delay=0.01, max_delay=0.01)


def graph_reply(entities: list[dict[str, object]], relations: list[dict[str, object]]) -> str:
    return "```json\n" + json.dumps({"entities": entities, "relations": relations}) + "\n```"


@pytest.fixture
def server() -> Iterator[ScriptedChatServer]:
    with ScriptedChatServer() as s:
        yield s


@pytest.fixture
def llm_memory(server: ScriptedChatServer, tmp_path: Path) -> Iterator[Memory]:
    llm = OpenAIChatLLM("scripted-model", base_url=server.openai_url, timeout=5.0, retry=FAST)
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64), llm=llm, graph=True) as memory:
        yield memory


def test_memory_with_a_model_extracts_its_graph_with_the_model(
    llm_memory: Memory, server: ScriptedChatServer
) -> None:
    assert isinstance(llm_memory._engine.graph and llm_memory._engine.graph.extractor, LLMGraphExtractor)
    server.add(
        reply_json({"action": "ADD", "text": "Lives in Paris since March 2022", "sources": [0]}),
        graph_reply(
            [
                {"name": "Ana", "type": "person", "memories": [0]},
                {"name": "Paris", "type": "city", "memories": [0]},
            ],
            [
                {
                    "source": "Ana",
                    "relation": "Lives In",
                    "target": "Paris",
                    "memory": 0,
                    "valid_from": "2022-03-01",
                    "single_valued": True,
                },
                {
                    "source": "Ana",
                    "relation": "likes",
                    "target": "Rome",
                    "memory": 7,
                },  # unknown memory: dropped
            ],
        ),
    )
    result = llm_memory.add(
        {"content": "I've lived in Paris since March 2022.", "name": "Ana"}, user_id="ana"
    )
    assert result.usage.llm_calls == 2  # the facts, then the graph
    prompt = server.requests[-1].prompt
    assert "Lives in Paris since March 2022" in prompt and "Speakers: Ana" in prompt
    snapshot = llm_memory.graph.get_all(user_id="ana")
    assert {(e.name, e.type) for e in snapshot.entities} == {("Ana", "person"), ("Paris", "place")}
    assert [(r.relation, r.target, r.valid_from[:10]) for r in snapshot.relations] == [
        ("lives_in", "Paris", "2022-03-01")
    ]


def test_malformed_graph_reply_is_repaired_then_refused(
    llm_memory: Memory, server: ScriptedChatServer
) -> None:
    server.add(
        reply_json({"action": "ADD", "text": "Likes jazz", "sources": [0]}),
        "no json here",
        graph_reply([{"name": "jazz", "type": "thing", "memories": [0]}], []),
    )
    llm_memory.add("I like jazz.", user_id="u")
    assert "unusable" in server.requests[-1].prompt  # the repair request quotes the problem
    assert [e.name for e in llm_memory.graph.get_all(user_id="u").entities] == ["jazz"]

    def broken(request: ChatRequest) -> str:
        return '{"entities": [{"type": "person"}], "relations": []}'

    server.add(reply_json({"action": "ADD", "text": "Likes blues", "sources": [0]}), broken, broken)
    with pytest.raises(ExtractionError, match="no usable graph"):
        llm_memory.add("I like blues.", user_id="u")
    assert "Likes blues" in [m.text for m in llm_memory.get_all(user_id="u")]  # the memory itself was kept


def test_reply_parser_is_strict_about_shape_and_forgiving_about_wrapping() -> None:
    found = parse_graph_reply(
        'Sure! {"entities": [], "relations": [{"source": "a", "relation": "r", '
        '"target": "b", "memory": 0, "valid_from": ""}]} hope that helps',
        1,
    )
    assert [(r.source, r.valid_from, r.single_valued) for r in found.relations] == [("a", None, False)]
    for bad in ("[]", '{"entities": {}, "relations": []}', '{"entities": [], "relations": [{"source": 1}]}'):
        with pytest.raises(ValueError):
            parse_graph_reply(bad, 1)
