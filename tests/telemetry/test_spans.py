"""Spans and metrics of memory calls, read back through OpenTelemetry's in-memory SDK exporters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from memspan import AsyncMemory, Memory, MemoryItem, NotFoundError, ValidationError
from memspan.ports import Embedder
from memspan.rerank import Reranker, RerankScores

DOC = Path(__file__).resolve().parents[2] / "docs" / "observability.md"


def documented_tree(heading: str) -> set[tuple[str, str | None]]:
    """(span, parent) pairs of the tree drawn under ``heading`` in docs/observability.md."""
    text = DOC.read_text(encoding="utf-8").split(heading, 1)[1]
    block = re.search(r"```text\n(.*?)```", text, re.S)
    assert block is not None, f"no span tree under {heading!r}"
    pairs: set[tuple[str, str | None]] = set()
    stack: list[str] = []
    for line in block.group(1).splitlines():
        name = re.sub(r"^[\s│├└─]*", "", line).split("  ")[0].strip()
        depth = (len(line) - len(line.lstrip(" │├└─"))) // 4
        del stack[depth:]
        pairs.add((name, stack[-1] if stack else None))
        stack.append(name)
    return pairs


def tree(spans: list[ReadableSpan]) -> set[tuple[str, str | None]]:
    by_id = {s.context.span_id: s.name for s in spans}
    return {(s.name, by_id[s.parent.span_id] if s.parent else None) for s in spans}


def everything_recorded(otel: Any) -> str:
    """Every name, attribute, event and status text the exporters hold, as one string."""
    parts: list[str] = []
    for span in otel.finished():
        parts += [span.name, repr(dict(span.attributes or {})), str(span.status.description)]
        parts += [repr(dict(e.attributes or {})) for e in span.events]
    data = otel.reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                parts += [repr(dict(p.attributes or {})) for p in metric.data.data_points]
    return "\n".join(parts)


def test_the_spans_of_a_search_are_the_documented_ones(otel: Any, memory: Memory) -> None:
    memory.add("I'm vegetarian and allergic to peanuts.", user_id="maya")
    otel.spans.clear()
    hits = memory.search("what can Maya eat?", user_id="maya")
    spans = otel.finished()
    assert tree(spans) == documented_tree("### The spans of a search")
    assert len(spans) == 5  # each documented span once
    (root,) = [s for s in spans if s.parent is None]
    assert all(s.context.trace_id == root.context.trace_id for s in spans)
    assert root.attributes is not None and root.attributes["memspan.results"] == len(hits) == 1
    assert root.status.status_code is StatusCode.UNSET
    vector = next(s for s in spans if s.name == "memspan.search.vector")
    assert vector.attributes is not None and vector.attributes["memspan.search.candidates"] == 1


async def test_async_search_has_the_same_spans(otel: Any, amemory: AsyncMemory) -> None:
    await amemory.add("I'm vegetarian and allergic to peanuts.", user_id="maya")
    otel.spans.clear()
    await amemory.search("what can Maya eat?", user_id="maya")
    assert tree(otel.finished()) == documented_tree("### The spans of a search")


def test_an_add_writes_once_and_counts_what_it_wrote(otel: Any, memory: Memory) -> None:
    result = memory.add(
        [
            {"role": "user", "content": "I live in Lisbon."},
            {"role": "user", "content": "I have a dog called Biscuit."},
        ],
        user_id="maya",
    )
    assert len(result.added) == 2
    spans = otel.finished()
    names = [(name, parent) for name, parent in tree(spans)]
    assert ("memspan.store.write", "memspan.add") in names
    assert ("memspan.extract", "memspan.add") in names
    assert [s.name for s in spans].count("memspan.store.write") == 1
    written = otel.points("memspan.memories.written")
    assert written == [({"memspan.event": "ADD"}, 2)]
    assert otel.points("memspan.operation.calls") == [({"memspan.operation": "add"}, 1)]
    assert otel.points("memspan.operation.duration") == [({"memspan.operation": "add"}, 1)]


def test_errors_set_the_status_and_the_error_metric(otel: Any, memory: Memory) -> None:
    with pytest.raises(ValidationError):
        memory.search("   ", user_id="maya")
    with pytest.raises(ValidationError):
        memory.search("no scope at all")  # refused before the flow starts: still counted
    with pytest.raises(NotFoundError):
        memory.delete("no-such-id", user_id="maya")
    spans = {s.name: s for s in otel.finished()}
    failed = spans["memspan.delete"]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.attributes is not None and failed.attributes["error.type"] == "NotFoundError"
    assert failed.events == ()  # no exception event: its message names the scope
    errors = sorted(
        (a["memspan.operation"], a["error.type"], n) for a, n in otel.points("memspan.operation.errors")
    )
    assert errors == [
        ("delete", "NotFoundError", 1),
        ("search", "ScopeError", 1),
        ("search", "ValidationError", 1),
    ]
    assert "maya" not in everything_recorded(otel)


def test_a_failing_step_fails_its_own_span(otel: Any, memory: Memory, embedder: Embedder) -> None:
    class Broken:
        model_id, dimension = embedder.model_id, embedder.dimension  # type: ignore[attr-defined]

        def embed(self, texts: Any, *, kind: str = "document") -> Any:
            raise RuntimeError("the embedding service is down")

    with Memory(memory.store, embedder=Broken()) as broken, pytest.raises(RuntimeError):  # type: ignore[arg-type]
        broken.search("anything", user_id="maya")
    spans = {s.name: s for s in otel.finished()}
    assert spans["memspan.embed"].status.status_code is StatusCode.ERROR
    assert spans["memspan.search"].attributes["error.type"] == "RuntimeError"  # type: ignore[index]


SECRETS = {"user_id": "maya-7f3e-secret", "agent_id": "planner-9c1d-secret", "run_id": "chat-5b2a-secret"}


def _every_call(memory: Memory) -> None:
    added = memory.add("I'm vegetarian and allergic to peanuts.", **SECRETS)
    memory.search("what can I eat?", **SECRETS)
    memory.get_all(**SECRETS)
    item = added.added[0]
    memory.update(item.id, "I'm vegan and allergic to peanuts.", **SECRETS)
    memory.history(item.id, **SECRETS)
    memory.delete(item.id, **SECRETS)
    with pytest.raises(NotFoundError):
        memory.get(item.id, **SECRETS)
    memory.delete_all(**SECRETS, purge=True)


def test_no_scope_id_is_recorded(otel: Any, memory: Memory) -> None:
    _every_call(memory)
    recorded = everything_recorded(otel)
    assert "memspan.search" in recorded and "memspan.delete_all" in recorded
    for secret in SECRETS.values():
        assert secret not in recorded
    assert "_hash" not in recorded  # without a salt not even a hash
    search = next(s for s in otel.finished() if s.name == "memspan.search")
    assert search.attributes is not None and search.attributes["memspan.scope"] == "user,agent,run"
    written = sorted((a["memspan.event"], n) for a, n in otel.points("memspan.memories.written"))
    assert written == [("ADD", 1), ("DELETE", 1), ("PURGE", 1), ("UPDATE", 1)]


def test_with_a_salt_scope_ids_are_keyed_hashes(salted_otel: Any, memory: Memory) -> None:
    _every_call(memory)
    recorded = everything_recorded(salted_otel)
    for secret in SECRETS.values():
        assert secret not in recorded
    hashes = {
        s.attributes["memspan.scope.user_id_hash"]  # type: ignore[index]
        for s in salted_otel.finished()
        if s.name.startswith("memspan.") and s.parent is None
    }
    (digest,) = hashes  # the same user: the same hash in every call
    assert re.fullmatch(r"[0-9a-f]{32}", digest)


class Overlap(Reranker):
    """A reranker that scores by the share of query words a memory contains."""

    model_id = "word-overlap"

    def rerank(self, query: str, candidates: Sequence[MemoryItem]) -> RerankScores:
        words = set(query.lower().split())
        return RerankScores([len(words & set(c.text.lower().split())) / len(words) for c in candidates])


def test_a_reranked_search_adds_the_rerank_span(otel: Any, db_path: Path, embedder: Embedder) -> None:
    with Memory(db_path, embedder=embedder, reranker=Overlap()) as memory:
        memory.add("I have a dog called Biscuit.", user_id="maya")
        otel.spans.clear()
        memory.search("dog called", user_id="maya")
    spans = otel.finished()
    assert tree(spans) == documented_tree("### The spans of a search") | {
        ("memspan.rerank", "memspan.search")
    }
    rerank = next(s for s in spans if s.name == "memspan.rerank")
    assert dict(rerank.attributes or {}) == {
        "memspan.reranker": "word-overlap",
        "memspan.rerank.candidates": 1,
    }
