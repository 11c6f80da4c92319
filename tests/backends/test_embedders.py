"""Voyage AI and OpenAI-compatible embedders against a local server speaking their protocol,
and against the real APIs when VOYAGE_API_KEY / OPENAI_API_KEY are set."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from memspan import Memory
from memspan.embedders.openai_compat import OpenAICompatibleEmbedder
from memspan.embedders.voyage import VoyageEmbedder, batches
from memspan.errors import EmbedderError


def test_batches_respect_count_and_size() -> None:
    texts = ["a" * 10] * 25 + ["b" * 500] + ["c"] * 3
    cut = list(batches(texts, 10, 100))
    assert [t for batch in cut for t in batch] == texts
    assert all(len(b) <= 10 for b in cut)
    assert all(sum(map(len, b)) <= 100 or len(b) == 1 for b in cut)


def test_voyage_sends_input_type_batches_and_normalises(embeddings_server: Any) -> None:
    embedder = VoyageEmbedder(
        "voyage-3.5-lite", api_key="test-key", base_url=embeddings_server.base_url, batch_size=4
    )
    texts = [f"memory number {i}" for i in range(10)]
    docs = embedder.embed(texts, kind="document")
    query = embedder.embed(["memory number 3"], kind="query")
    assert docs.shape == (10, 32) and docs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    bodies = embeddings_server.requests
    assert [len(b["input"]) for b in bodies] == [4, 4, 2, 1]
    assert [b["input_type"] for b in bodies] == ["document"] * 3 + ["query"]
    assert bodies[0]["model"] == "voyage-3.5-lite" and bodies[0]["truncation"] is True
    assert embeddings_server.headers[0]["Authorization"] == "Bearer test-key"
    assert not np.allclose(query[0], docs[3])  # asymmetric: query and document differ
    assert embedder.total_tokens == 33
    assert embedder.model_id == "voyage/voyage-3.5-lite" and embedder.dimension == 1024


def test_voyage_output_dimension_and_retries(embeddings_server: Any) -> None:
    embedder = VoyageEmbedder(
        "voyage-3.5", api_key="k", base_url=embeddings_server.base_url, output_dimension=16, max_retries=3
    )
    embeddings_server.fail_next = [429]
    vectors = embedder.embed(["hello"], kind="query")
    assert vectors.shape == (1, 16) and embedder.dimension == 16 and embedder.model_id.endswith("@16")
    assert len(embeddings_server.requests) == 2 and embeddings_server.requests[1]["output_dimension"] == 16


def test_voyage_errors_say_what_to_do(embeddings_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = VoyageEmbedder("voyage-3.5", api_key="k", base_url=embeddings_server.base_url, max_retries=1)
    embeddings_server.fail_next = [401]
    with pytest.raises(EmbedderError, match="check the key"):
        embedder.embed(["x"])
    monkeypatch.delenv("VOYAGE_API_KEY", raising=False)
    with pytest.raises(EmbedderError, match="VOYAGE_API_KEY"):
        VoyageEmbedder()


def test_openai_compatible_prefixes_order_and_retries(embeddings_server: Any) -> None:
    embedder = OpenAICompatibleEmbedder(
        "nomic-embed-text",
        base_url=embeddings_server.base_url,
        query_prefix="search_query: ",
        document_prefix="search_document: ",
        batch_size=3,
        max_retries=2,
    )
    embeddings_server.fail_next = [503]
    docs = embedder.embed(["one", "two", "three", "four"])
    assert docs.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    sent = [b["input"] for b in embeddings_server.requests]
    assert sent[0] == sent[1] == ["search_document: one", "search_document: two", "search_document: three"]
    assert sent[2] == ["search_document: four"]
    again = embedder.embed(["one", "two"])
    np.testing.assert_allclose(again, docs[:2], rtol=1e-6)  # rows follow "index", not arrival order
    embedder.embed(["one"], kind="query")
    assert embeddings_server.requests[-1]["input"] == ["search_query: one"]
    assert embedder.dimension == 32 and embedder.model_id == "openai/nomic-embed-text+prefixed"


def test_openai_compatible_drives_a_memory(embeddings_server: Any, tmp_path: Any) -> None:
    embedder = OpenAICompatibleEmbedder("m", base_url=embeddings_server.base_url, dimensions=24)
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        memory.add(["Alice likes green tea", "Bob plays chess"], user_id="u", infer=False)
        found = memory.search("green tea", user_id="u", limit=1)
    assert found[0].text == "Alice likes green tea"
    assert all(b.get("dimensions") == 24 for b in embeddings_server.requests)


def test_openai_compatible_failure_is_an_embedder_error(embeddings_server: Any) -> None:
    embedder = OpenAICompatibleEmbedder("m", base_url=embeddings_server.base_url, max_retries=0)
    embeddings_server.fail_next = [500]
    with pytest.raises(EmbedderError, match="embeddings endpoint"):
        embedder.embed(["x"])


@pytest.mark.skipif(
    not os.environ.get("VOYAGE_API_KEY"), reason="set VOYAGE_API_KEY for the live Voyage test"
)
def test_voyage_live() -> None:
    embedder = VoyageEmbedder("voyage-3.5-lite")
    docs = embedder.embed(["The cat sat on the mat.", "Stock markets fell sharply."])
    query = embedder.embed(["where did the cat sit?"], kind="query")
    assert docs.shape == (2, embedder.dimension)
    assert float(query[0] @ docs[0]) > float(query[0] @ docs[1])


@pytest.mark.skipif(
    not os.environ.get("OPENAI_API_KEY"), reason="set OPENAI_API_KEY for the live OpenAI test"
)
def test_openai_live() -> None:
    embedder = OpenAICompatibleEmbedder("text-embedding-3-small", dimensions=256)
    docs = embedder.embed(["The cat sat on the mat.", "Stock markets fell sharply."])
    query = embedder.embed(["where did the cat sit?"], kind="query")
    assert docs.shape == (2, 256) and float(query[0] @ docs[0]) > float(query[0] @ docs[1])
