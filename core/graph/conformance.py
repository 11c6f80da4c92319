"""The graph store conformance suite: every :class:`~memspan.graph.GraphStore` proves one contract.

Subclass :class:`GraphStoreConformance` in a test file and override the ``graph_store`` fixture to
yield an *empty* store (the pattern of :class:`memspan.testing.StoreConformance`). Needs pytest;
import it only from tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .. import Memory
from ..embedders.hashing import HashingEmbedder
from ..scope import Scope
from .index import EntityGraph
from .model import Relation, entity_id, entity_key, owner_of
from .ports import EntityRow, GraphStore, GraphWrite

T0 = "2023-01-01T00:00:00.000000Z"
T1 = "2024-01-01T00:00:00.000000Z"
T2 = "2025-01-01T00:00:00.000000Z"


def _entity(scope: Scope, name: str, kind: str = "thing") -> EntityRow:
    key = entity_key(name)
    return EntityRow(entity_id(owner_of(scope), key), key, name, kind)


def _relation(source: EntityRow, verb: str, target: EntityRow, valid_from: str, memory_id: str) -> Relation:
    return Relation(
        id=str(uuid.uuid4()),
        source=source.name,
        relation=verb,
        target=target.name,
        valid_from=valid_from,
        valid_to=None,
        memory_id=memory_id,
        created_at=valid_from,
        source_id=source.id,
        target_id=target.id,
    )


def write_fact(
    store: GraphStore, scope: Scope, source: str, verb: str, target: str, at: str = T0
) -> tuple[str, Relation]:
    """One memory mentioning two entities related by ``verb``; returns (memory id, relation)."""
    memory_id = str(uuid.uuid4())
    a, b = _entity(scope, source, "person"), _entity(scope, target, "place")
    rel = _relation(a, verb, b, at, memory_id)
    store.apply(
        GraphWrite(scope, at, [a, b], [(memory_id, at)], [(memory_id, a.id), (memory_id, b.id)], [rel])
    )
    return memory_id, rel


class GraphStoreConformance:
    """The contract of a graph store. Subclasses provide the ``graph_store`` fixture."""

    @pytest.fixture
    def graph_store(self) -> Iterator[GraphStore]:
        raise NotImplementedError("subclass GraphStoreConformance and override the `graph_store` fixture")

    def test_entities_round_trip_with_mention_counts(self, graph_store: GraphStore) -> None:
        scope = Scope("alice")
        m1, _ = write_fact(graph_store, scope, "Alice", "lives_in", "Lisbon")
        m2, _ = write_fact(graph_store, scope, "Alice", "works_at", "Acme")
        found = {e.name: e for e in graph_store.find_entities(scope, ["alice", "lisbon", "nobody"])}
        assert set(found) == {"Alice", "Lisbon"}
        assert found["Alice"].mentions == 2 and found["Lisbon"].mentions == 1
        assert found["Alice"].type == "person" and found["Alice"].user_id == "alice"
        by_memory = graph_store.entities_of_memories(scope, [m1, m2])
        assert {e.name for e in by_memory[m1]} == {"Alice", "Lisbon"}
        linked = graph_store.memories_of_entities(scope, [found["Alice"].id], 10)
        assert set(linked[found["Alice"].id]) == {m1, m2}
        assert [e.name for e in graph_store.entities(scope)] == ["Acme", "Alice", "Lisbon"]

    def test_scopes_isolate_graphs_like_memories(self, graph_store: GraphStore) -> None:
        write_fact(graph_store, Scope("u1"), "Ann", "lives_in", "Oslo")
        write_fact(graph_store, Scope("u1", agent_id="a1"), "Ann", "lives_in", "Rome")
        write_fact(graph_store, Scope("u2"), "Ann", "lives_in", "Kyiv")
        targets = {r.target for r in graph_store.relations(Scope("u1"), None)}
        assert targets == {"Oslo", "Rome"}  # a user's scope contains that user's agent scopes
        assert {r.target for r in graph_store.relations(Scope("u1", agent_id="a1"), None)} == {"Rome"}
        assert graph_store.relations(Scope("u1", agent_id="a2"), None) == []
        assert {r.target for r in graph_store.relations(Scope("u2"), None)} == {"Kyiv"}
        assert {e.user_id for e in graph_store.find_entities(Scope("u2"), ["ann"])} == {"u2"}
        ids = [e.id for e in graph_store.find_entities(Scope("u1"), ["ann"])]
        assert len(ids) == 2  # one entity per owner scope
        assert graph_store.memories_of_entities(Scope("u2"), ids, 10) == {}
        assert (
            graph_store.entities_of_memories(
                Scope("u3"), [r.memory_id or "" for r in graph_store.relations(Scope("u1"), None)]
            )
            == {}
        )

    def test_ended_relations_stay_queryable(self, graph_store: GraphStore) -> None:
        scope = Scope("u")
        _, old = write_fact(graph_store, scope, "Bo", "lives_in", "Lisbon", T0)
        memory_id = str(uuid.uuid4())
        bo, paris = _entity(scope, "Bo", "person"), _entity(scope, "Paris", "place")
        new = _relation(bo, "lives_in", paris, T1, memory_id)
        graph_store.apply(
            GraphWrite(
                scope, T1, [bo, paris], [(memory_id, T1)], [(memory_id, paris.id)], [new], [(old.id, T1)]
            )
        )
        current = graph_store.relations(scope, [bo.id], include_ended=False)
        assert [(r.target, r.valid_to) for r in current] == [("Paris", None)]
        every = graph_store.relations(scope, [bo.id])
        assert [(r.target, r.valid_from, r.valid_to) for r in every] == [
            ("Lisbon", T0, T1),
            ("Paris", T1, None),
        ]
        assert every[0].holds_at("2023-06-01T00:00:00.000000Z") and not every[1].holds_at(T0)
        assert (every[1].source_id, every[1].target_id) == (bo.id, paris.id)

    def test_soft_delete_hides_and_keeps_purge_erases(self, graph_store: GraphStore) -> None:
        write_fact(graph_store, Scope("keep"), "Cy", "likes", "Tea")
        write_fact(graph_store, Scope("gone"), "Cy", "likes", "Coffee")
        assert graph_store.delete_scope(Scope("gone"), purge=False, at=T2) == 2
        assert graph_store.find_entities(Scope("gone"), ["cy"]) == []
        assert graph_store.relations(Scope("gone"), None) == []
        kept = graph_store.relations(Scope("gone"), None, include_deleted=True)
        assert [(r.target, r.deleted_at) for r in kept] == [("Coffee", T2)]
        assert len(graph_store.entities(Scope("gone"), include_deleted=True)) == 2
        write_fact(graph_store, Scope("gone"), "Cy", "likes", "Cocoa", T2)  # remembering again revives Cy
        assert [e.name for e in graph_store.find_entities(Scope("gone"), ["cy"])] == ["Cy"]
        assert graph_store.delete_scope(Scope("gone"), purge=True, at=T2) == 3
        assert graph_store.entities(Scope("gone"), include_deleted=True) == []
        assert graph_store.relations(Scope("gone"), None, include_deleted=True) == []
        assert [r.target for r in graph_store.relations(Scope("keep"), None)] == ["Tea"]

    def test_values_are_parameters_never_query_text(self, graph_store: GraphStore) -> None:
        scope = Scope("u")
        nasty = [
            'O\'Brien "the" `great`',
            "x'}) DETACH DELETE n //",
            "$rows ${scope_user_id}",
            "Zoë 東京 \\ backslash",
        ]
        for name in nasty:
            write_fact(graph_store, scope, name, "knows", "Target")
        names = {e.name for e in graph_store.entities(scope)}
        assert names == {*nasty, "Target"}
        assert len(graph_store.relations(scope, None)) == len(nasty)

    def test_reset_erases_every_scope(self, graph_store: GraphStore) -> None:
        write_fact(graph_store, Scope("a"), "Di", "likes", "Jazz")
        write_fact(graph_store, Scope("b"), "Ed", "likes", "Rock")
        graph_store.reset()
        assert graph_store.entities(Scope("a"), include_deleted=True) == []
        assert graph_store.relations(Scope("b"), None, include_deleted=True) == []

    def test_memory_facade_end_to_end(
        self, graph_store: GraphStore, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        path = tmp_path_factory.mktemp("graph-conformance") / "m.db"
        with Memory(path, embedder=HashingEmbedder(64), graph=EntityGraph(graph_store)) as memory:
            memory.add(
                {"content": "I moved to Lisbon.", "created_at": "2021-03-01"}, user_id="u", infer=False
            )
            memory.add({"content": "I moved to Paris.", "created_at": "2024-02-01"}, user_id="u", infer=False)
            memory.add({"content": "I moved to Oslo.", "created_at": "2024-02-01"}, user_id="v", infer=False)
            assert [r.target for r in memory.graph.relations(user_id="u", entity="user")] == ["Paris"]
            then = memory.graph.relations(user_id="u", entity="user", as_of="2023-06-01")
            assert [r.target for r in then] == ["Lisbon"]
            history = memory.graph.history("user", user_id="u")
            assert [(r.target, r.valid_to is None) for r in history] == [("Lisbon", False), ("Paris", True)]
            result = memory.search("Where does the user live, Paris?", user_id="u")
            assert "Paris" in {r.target for r in result.relations or []}
            assert "Oslo" not in {r.target for r in result.relations or []}
            assert memory.delete_all(user_id="u") == 2
            assert memory.graph.get_all(user_id="u").relations == []
            assert [r.target for r in memory.graph.get_all(user_id="v").relations] == ["Oslo"]
