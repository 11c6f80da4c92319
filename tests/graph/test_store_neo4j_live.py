"""Neo4j through the official driver, the same suite, run only against a live server (NEO4J_URL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memspan.graph import GraphStore, open_graph_store
from memspan.graph.conformance import GraphStoreConformance
from memspan.graph.neo4j_store import Neo4jGraphStore


class TestNeo4jConformance(GraphStoreConformance):
    @pytest.fixture
    def graph_store(self, neo4j_url: str) -> Iterator[GraphStore]:
        store = open_graph_store(neo4j_url)
        assert isinstance(store, Neo4jGraphStore)
        store.reset()  # the live database is shared: start from an empty memspan graph
        yield store
        store.reset()
        store.close()
