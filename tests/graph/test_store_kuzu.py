"""The embedded kuzu graph store passes the graph conformance suite, and keeps its data on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan.errors import StoreError, ValidationError
from memspan.graph import GraphStore, open_graph_store
from memspan.graph.conformance import GraphStoreConformance, write_fact
from memspan.graph.kuzu_store import KuzuGraphStore
from memspan.scope import Scope


class TestKuzuConformance(GraphStoreConformance):
    @pytest.fixture
    def graph_store(self, tmp_path: Path) -> Iterator[GraphStore]:
        store = KuzuGraphStore(tmp_path / "graph.kuzu")
        yield store
        store.close()


def test_graph_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "graph.kuzu"
    store = open_graph_store(f"kuzu:///{path}")
    write_fact(store, Scope("u"), "Ann", "lives_in", "Oslo")
    store.close()
    again = open_graph_store(path)  # a plain path means kuzu
    assert [r.target for r in again.relations(Scope("u"), None)] == ["Oslo"]
    again.close()


def test_failed_write_rolls_back(tmp_path: Path) -> None:
    store = KuzuGraphStore(tmp_path / "graph.kuzu")
    with pytest.raises(StoreError, match="kuzu refused"):
        store.run_transaction(
            [
                ("CREATE (:MemspanEntity {id: $id, key: 'k', name: 'half'})", {"id": "x1"}),
                ("THIS IS NOT CYPHER", {}),
            ]
        )
    assert store.entities(Scope("u"), include_deleted=True) == []
    assert store.run("MATCH (e:MemspanEntity) RETURN count(e)", {}) == [[0]]
    store.close()


def test_unknown_scheme_and_missing_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown graph URL scheme"):
        open_graph_store("nebula://localhost")
    with pytest.raises(ValidationError, match="no file path"):
        open_graph_store("kuzu://")
