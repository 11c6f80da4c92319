"""Memory(graph=...) end to end on a real SQLite file and an embedded kuzu graph."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan import AsyncMemory, Memory
from memspan.embedders.hashing import HashingEmbedder
from memspan.errors import ValidationError
from memspan.graph import EntityGraph, GraphSettings, open_graph_store

FILLER = [
    "What I have for breakfast is oatmeal.",
    "I have a meeting on Tuesday about the budget.",
    "What a day, I have so much laundry.",
    "I have to renew my passport soon.",
    "We have tickets for the opera.",
]


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64), graph=True) as m:
        yield m


def test_graph_is_off_by_default_and_never_imported(tmp_path: Path) -> None:
    code = f"""
import sys
from memspan import Memory
from memspan.embedders.hashing import HashingEmbedder
with Memory({str(tmp_path / "off.db")!r}, embedder=HashingEmbedder(16)) as m:
    m.add("I moved to Lisbon.", user_id="u")
    result = m.search("Lisbon", user_id="u")
    assert result.relations is None and "relations" not in result.to_dict()
    try:
        m.graph
    except Exception as exc:
        assert "graph=True" in str(exc)
    else:
        raise AssertionError("a Memory without a graph exposed one")
assert not [name for name in sys.modules if name.startswith(("memspan.graph", "kuzu", "falkordb", "neo4j"))]
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    assert not (tmp_path / "off.graph.kuzu").exists()


def test_graph_true_keeps_a_kuzu_file_beside_the_memories(memory: Memory, tmp_path: Path) -> None:
    memory.add("I moved to Lisbon.", user_id="u")
    assert (tmp_path / "m.graph.kuzu").exists()
    snapshot = memory.graph.get_all(user_id="u")
    assert {e.name for e in snapshot.entities} == {"user", "Lisbon"}
    assert [(r.source, r.relation, r.target) for r in snapshot.relations] == [("user", "lives_in", "Lisbon")]
    assert snapshot.to_dict()["relations"][0]["relationship"] == "lives_in"


def test_contradicted_relation_is_ended_not_destroyed(memory: Memory) -> None:
    memory.add({"content": "I live in Lisbon.", "created_at": "2021-01-10"}, user_id="u")
    memory.add({"content": "I moved to Paris.", "created_at": "2023-09-01"}, user_id="u")
    memory.add(
        {"content": "I live in Paris.", "created_at": "2024-01-01"}, user_id="u"
    )  # known: no new relation
    assert [r.target for r in memory.graph.relations(user_id="u", entity="user")] == ["Paris"]
    assert [r.target for r in memory.graph.relations(user_id="u", entity="user", as_of="2022-06-30")] == [
        "Lisbon"
    ]
    history = memory.graph.history("user", user_id="u")
    assert [(r.target, r.valid_from[:10], r.valid_to and r.valid_to[:10]) for r in history] == [
        ("Lisbon", "2021-01-10", "2023-09-01"),
        ("Paris", "2023-09-01", None),
    ]


def test_older_fact_told_late_is_stored_as_already_over(memory: Memory) -> None:
    memory.add({"content": "I moved to Paris.", "created_at": "2023-09-01"}, user_id="u")
    memory.add({"content": "I moved to Lisbon in 2019.", "created_at": "2024-01-01"}, user_id="u")
    history = memory.graph.history("user", user_id="u")
    assert [(r.target, r.valid_to and r.valid_to[:10]) for r in history] == [
        ("Lisbon", "2023-09-01"),
        ("Paris", None),
    ]


def test_search_returns_relations_and_expands_to_linked_memories(tmp_path: Path) -> None:
    graph = EntityGraph(open_graph_store(tmp_path / "g.kuzu"), settings=GraphSettings(weight=0.5))
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64), graph=graph) as memory:
        memory.add("My sister Maya lives in Porto.", user_id="u")
        memory.add("Maya adopted a greyhound called Bolt.", user_id="u")
        for text in FILLER:
            memory.add(text, user_id="u", infer=False)
        memory.add("Maya is my colleague at work.", user_id="other")
        query = "What pet does my sister have?"
        graph.settings = GraphSettings(weight=0.0)  # the plain ranking, same memories
        plain = memory.search(query, user_id="u", limit=3)
        graph.settings = GraphSettings(weight=0.5)
        expanded = memory.search(query, user_id="u", limit=3, explain=True)
    assert "Maya adopted a greyhound called Bolt." not in plain.texts()
    assert "Maya adopted a greyhound called Bolt." in expanded.texts()
    bolt = next(m for m in expanded if "greyhound" in m.text)
    assert bolt.score_details is not None and bolt.score_details["graph"] > 0
    assert ("user", "has_sister", "Maya") in {
        (r.source, r.relation, r.target) for r in expanded.relations or []
    }
    assert {e.user_id for e in expanded.entities or []} == {"u"}
    assert all(r.user_id == "u" for r in expanded.relations or [])
    assert expanded.to_dict()["relations"] and "entities" in expanded.to_dict()


def test_graph_added_memories_respect_filters(tmp_path: Path) -> None:
    graph = EntityGraph(open_graph_store(tmp_path / "g.kuzu"), settings=GraphSettings(weight=0.9))
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64), graph=graph) as memory:
        memory.add("My sister Maya lives in Porto.", user_id="u", metadata={"topic": "family"})
        memory.add("Maya adopted a greyhound called Bolt.", user_id="u", metadata={"topic": "pets"})
        result = memory.search("Where does my sister live?", user_id="u", filters={"topic": "family"})
    assert result.texts() == ["My sister Maya lives in Porto."]


def test_scopes_isolate_graphs(memory: Memory) -> None:
    memory.add("I moved to Lisbon.", user_id="u1")
    memory.add("I moved to Tokyo.", user_id="u1", agent_id="travel")
    memory.add("I moved to Kyiv.", user_id="u2")
    assert {r.target for r in memory.graph.relations(user_id="u1")} == {"Lisbon", "Tokyo"}
    assert {r.target for r in memory.graph.relations(user_id="u1", agent_id="travel")} == {"Tokyo"}
    assert {r.target for r in memory.graph.relations(user_id="u2")} == {"Kyiv"}
    assert memory.graph.relations(agent_id="travel", run_id="r1") == []
    found = memory.search("Kyiv", user_id="u1")
    assert "Kyiv" not in {e.name for e in found.entities or []}
    assert all("Kyiv" not in text for text in found.texts())


def test_delete_all_covers_the_graph_and_purge_erases_it(memory: Memory) -> None:
    memory.add("I moved to Lisbon.", user_id="u1")
    memory.add("I moved to Kyiv.", user_id="u2")
    assert memory.delete_all(user_id="u1") == 1
    assert memory.graph.get_all(user_id="u1").entities == []
    kept = memory.graph.history("user", user_id="u1")
    assert [(r.target, r.deleted_at is not None) for r in kept] == [("Lisbon", True)]
    memory.delete_all(user_id="u1", purge=True)
    assert memory.graph.history("user", user_id="u1") == []
    assert memory.graph.get_all(user_id="u1", include_deleted=True).entities == []
    assert [r.target for r in memory.graph.relations(user_id="u2")] == ["Kyiv"]
    assert memory.graph.delete_all(user_id="u2") == 2
    memory.reset()
    assert memory.graph.get_all(user_id="u2", include_deleted=True).relations == []


def test_bad_graph_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="graph= takes"):
        Memory(tmp_path / "m.db", embedder=HashingEmbedder(16), graph=42)  # type: ignore[arg-type]
    with Memory(tmp_path / "m2.db", embedder=HashingEmbedder(16), graph=True) as memory:
        with pytest.raises(ValidationError, match="as_of"):
            memory.graph.relations(user_id="u", as_of="not a date")
        with pytest.raises(ValidationError, match="needs a scope"):
            memory.graph.get_all()


async def test_async_memory_shares_the_graph_flows(tmp_path: Path) -> None:
    memory = AsyncMemory(tmp_path / "a.db", embedder=HashingEmbedder(64), graph=tmp_path / "a.kuzu")
    await memory.add({"content": "I live in Lisbon.", "created_at": "2021-01-01"}, user_id="u")
    await memory.add({"content": "I moved to Paris.", "created_at": "2023-01-01"}, user_id="u")
    result = await memory.search("Where do I live, Paris?", user_id="u")
    assert {r.target for r in result.relations or []} >= {"Paris"}
    then = await memory.graph.relations(user_id="u", entity="user", as_of="2022-01-01")
    assert [r.target for r in then] == ["Lisbon"]
    assert len(await memory.graph.history("user", user_id="u")) == 2
    assert len((await memory.graph.get_all(user_id="u")).relations) == 2
    assert await memory.graph.delete_all(user_id="u", purge=True) == 3
    await memory.aclose()


def test_update_extracts_the_new_texts_graph(memory: Memory) -> None:
    item = memory.add("I live in Lisbon.", user_id="u", infer=False).added[0]
    memory.update(item.id, "I moved to Paris.")
    history = memory.graph.history("user", user_id="u")
    assert [(r.target, r.valid_to is None) for r in history] == [("Lisbon", False), ("Paris", True)]
    memory.update(item.id, metadata={"k": "v"})  # metadata only: nothing new to extract
    assert len(memory.graph.history("user", user_id="u")) == 2
