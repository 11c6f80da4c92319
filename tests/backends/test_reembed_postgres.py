"""Embedders and PostgreSQL: another model on an embedded schema is a clear error, and
``memspan reembed --into`` writes a re-embedded copy (history kept) into a new schema."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from memspan import Memory
from memspan.cli import main
from memspan.embedders import HashingEmbedder
from memspan.errors import DimensionMismatchError
from memspan.stores.postgres import PostgresStore
from memspan.testing import PostgresTestServer


class Named(HashingEmbedder):
    def __init__(self, model_id: str, dimension: int = 384):
        super().__init__(dimension)
        self.model_id = model_id


def test_another_embedder_on_an_embedded_schema_is_a_clear_error(pg_server: PostgresTestServer) -> None:
    url = f"{pg_server.url}?schema=e_{uuid.uuid4().hex[:10]}"
    with Memory(url, embedder=Named("model-a")) as memory:
        memory.add("my sister lives in Brno", user_id="u", infer=False)
    with Memory(url, embedder=Named("model-b")) as other:
        with pytest.raises(DimensionMismatchError) as caught:
            other.add("another fact", user_id="u", infer=False)
        assert "model-a" in str(caught.value) and "model-b" in str(caught.value)
        assert "reembed" in str(caught.value)
        with pytest.raises(DimensionMismatchError):
            other.search("sister", user_id="u")
    # no embedder named: the store's own model is not one memspan can load, so the default is refused
    with Memory(url) as memory, pytest.raises(DimensionMismatchError):
        memory.search("sister", user_id="u")
    store = PostgresStore.from_url(url)
    assert store.count() == 1
    store.close()


def test_reembed_into_a_new_postgres_schema_keeps_history(
    tmp_path: Path, pg_server: PostgresTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.db"
    with Memory(path, embedder=Named("old-model")) as memory:
        memory.add(["I'm allergic to penicillin.", "My brother lives in Graz."], user_id="u", infer=False)
        item = memory.search("penicillin", user_id="u", limit=1).results[0]
        memory.update(item.id, "I'm allergic to penicillin and to wasp stings.")
    target = f"{pg_server.url}?schema=r_{uuid.uuid4().hex[:10]}"
    assert main(["--db", str(path), "reembed", "--to", "minilm", "--into", target, "-q"]) == 0
    assert "all-MiniLM-L6-v2-int8" in capsys.readouterr().out
    with Memory(target) as memory:  # the new schema names the default model
        assert memory.embedder.model_id == "all-MiniLM-L6-v2-int8"
        assert [e.event.value for e in memory.history(item.id)] == ["ADD", "UPDATE"]
        hit = memory.search("Which relative is in Austria?", user_id="u").results[0]
        assert hit.text == "My brother lives in Graz."
