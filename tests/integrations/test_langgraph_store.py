"""MemspanStore holds LangGraph's BaseStore contract: any namespace layout, filters, IndexConfig, TTL.

Each test drives the real LangGraph store API over a real memspan SQLite file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("langgraph")

from langchain_core.embeddings import Embeddings
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import InvalidNamespaceError, PutOp
from typing_extensions import TypedDict

from memspan import AsyncMemory, Memory, Scope
from memspan.errors import FilterError, ScopeError, ValidationError
from memspan.integrations.langchain import MemoryContext, MemspanMiddleware, MemspanStore
from memspan.integrations.langchain.namespaces import by_position, fixed, from_run, scope_id


def test_users_namespace_with_the_user_as_key_under_a_fixed_tenant_scope(memory: Memory) -> None:
    # the LangChain docs' layout: store.put(("users",), user_id, {...}); store.get(("users",), user_id)
    store = MemspanStore(memory, scope=fixed(user_id="acme"))
    store.put(("users",), "user_123", {"name": "John Smith", "language": "English"})
    item = store.get(("users",), "user_123")
    assert item is not None and item.value == {"name": "John Smith", "language": "English"}
    assert item.namespace == ("users",)
    assert [h.key for h in store.search(())] == ["user_123"]  # the empty prefix lists the tenant's items
    assert store.list_namespaces() == [("users",)]
    store.put(("users",), "user_456", {"name": "Ann Lee", "language": "English"})
    assert len(store.search(("users",), query="English speakers", limit=1)) == 1
    assert store.search(("users",), query="English speakers", limit=0) == []
    assert MemspanStore(memory, scope={"user_id": "other"}).get(("users",), "user_123") is None


@dataclass
class Ctx:
    user_id: str


class State(TypedDict):
    note: str


def test_users_namespace_scoped_by_the_calling_run(memory: Memory) -> None:
    store = MemspanStore(memory, scope=from_run())

    def remember(state: State, runtime: Runtime[Ctx]) -> dict[str, Any]:
        assert runtime.store is not None
        runtime.store.put(("users",), "profile", {"note": state["note"]})
        item = runtime.store.get(("users",), "profile")
        return {"note": item.value["note"] if item else ""}

    graph = StateGraph(State, context_schema=Ctx).add_node("remember", remember)
    app = graph.add_edge(START, "remember").add_edge("remember", END).compile(store=store)
    app.invoke({"note": "likes tea"}, context=Ctx(user_id="alice"))
    app.invoke({"note": "likes coffee"}, context=Ctx(user_id="bob"))
    assert [m.metadata["langgraph_value"] for m in memory.get_all(user_id="alice")] == [{"note": "likes tea"}]
    assert [m.metadata["langgraph_value"] for m in memory.get_all(user_id="bob")] == [
        {"note": "likes coffee"}
    ]
    with pytest.raises(ScopeError, match="outside a LangGraph run"):
        store.get(("users",), "profile")
    fallback = MemspanStore(memory, scope=from_run(fallback={"user_id": "alice"}))
    assert fallback.get(("users",), "profile").value == {"note": "likes tea"}  # type: ignore[union-attr]
    assert store.sweep_ttl() == 0  # the sweep is the memory's: no run needed


def test_langgraph_user_first_layout_is_found_by_a_per_user_delete_all(memory: Memory) -> None:
    store = MemspanStore(memory, scope=by_position(user_id=0))
    store.put(("u-1", "chitchat"), "m1", {"text": "Likes hiking"})
    store.put(("u-1", "work"), "m2", {"text": "Works nights"})
    store.put(("u-2", "chitchat"), "m1", {"text": "Likes chess"})
    assert store.list_namespaces(prefix=("u-1",)) == [("u-1", "chitchat"), ("u-1", "work")]
    assert memory.delete_all(user_id="u-1") == 2
    assert store.get(("u-1", "chitchat"), "m1") is None
    assert store.get(("u-2", "chitchat"), "m1") is not None
    with pytest.raises(ScopeError, match="names no scope"):
        store.search(())


def test_any_string_names_a_user(memory: Memory) -> None:
    store = MemspanStore(memory, scope=by_position(user_id=1))
    for user in ("José", "john smith", "u8:looks-encoded"):
        store.put(("memories", user), "k", {"text": f"belongs to {user}"})
    for user in ("José", "john smith", "u8:looks-encoded"):
        assert store.get(("memories", user), "k").value == {"text": f"belongs to {user}"}  # type: ignore[union-attr]
        assert len(memory.get_all(user_id=scope_id(user))) == 1
    assert scope_id("alice") == "alice" and scope_id("José") != scope_id("jos")
    assert memory.delete_all(user_id=scope_id("José")) == 1


def test_dotted_nested_and_list_filters(memory: Memory) -> None:
    store = MemspanStore(memory, scope=fixed(user_id="t"))
    store.put(("docs",), "a", {"user": {"level": "gold", "age": 40}, "tags": ["x", "y"]})
    store.put(("docs",), "b", {"user": {"level": "silver", "age": 30}, "tags": ["y"]})
    keys = lambda f: sorted(h.key for h in store.search(("docs",), filter=f))  # noqa: E731
    assert keys({"user.level": "gold"}) == ["a"]
    assert keys({"user": {"level": "silver"}}) == ["b"]
    assert keys({"user.age": {"$gt": 35}}) == ["a"]
    assert keys({"tags": ["x", "y"]}) == ["a"]
    assert keys({"tags": ["y", "x"]}) == []  # list equality is ordered, as in LangGraph's stores
    assert keys({"tags": {"$ne": ["y"]}}) == ["a"]
    assert keys({"user.age": {"$eq": float("nan")}}) == []
    with pytest.raises(FilterError, match=r"\$in"):
        store.search(("docs",), filter={"tags": {"$in": ["x"]}})
    with pytest.raises(FilterError, match="list or object"):
        store.search(("docs",), filter={"tags": {"$gt": ["x"]}})


class LetterEmbeddings(Embeddings):
    """A caller's own embeddings: counts of a few letters (so scores are predictable)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float(text.count(c)) + 0.01 for c in "abc"]


def test_index_config_with_own_embeddings_and_per_field_vectors(memory: Memory) -> None:
    store = MemspanStore(
        memory,
        scope=fixed(user_id="t"),
        index={"dims": 3, "embed": LetterEmbeddings(), "fields": ["title", "body"]},
    )
    store.put(("d",), "1", {"title": "aaaa", "body": "c"})
    store.put(("d",), "2", {"title": "c", "body": "bbbb"})
    store.put(("d",), "3", {"title": "aaaa", "body": "bbbb"}, index=False)
    hits = store.search(("d",), query="bbb")
    assert [h.key for h in hits] == ["2", "1", "3"]  # best field vector wins; unindexed last, unscored
    assert hits[0].score == pytest.approx(1.0, abs=1e-3) and hits[2].score is None
    assert [h.key for h in store.search(("d",), query="aaa", limit=1)] == ["1"]
    store.put(("d",), "2", {"title": "aaaaa", "body": "bbbb"}, index=["title"])  # per-put fields
    assert {h.key for h in store.search(("d",), query="aaa", limit=2)} == {
        "1",
        "2",
    }  # its body is no longer indexed
    with pytest.raises(ValidationError, match="dims, distance_type, embed, fields, text_fields"):
        MemspanStore(memory, index={"dims": 3, "model": "x"})  # type: ignore[typeddict-unknown-key]


def test_ttl_hides_expired_items_refreshes_on_read_and_sweeps(memory: Memory) -> None:
    store = MemspanStore(
        memory, scope=fixed(user_id="t"), ttl={"default_ttl": 2 / 60, "refresh_on_read": True}
    )
    assert store.supports_ttl
    store.put(("s",), "short", {"v": 1})
    store.put(("s",), "kept", {"v": 2}, ttl=None)
    store.put(("s",), "read", {"v": 3})
    time.sleep(1.2)
    assert store.get(("s",), "read") is not None  # pushes its expiry back
    time.sleep(1.0)
    assert store.get(("s",), "short", refresh_ttl=False) is None  # expired: invisible at once
    assert store.get(("s",), "read", refresh_ttl=False) is not None
    assert sorted(h.key for h in store.search(("s",))) == ["kept", "read"]
    # the expiry is memspan's own: the memory is gone for every reader, not only for the store
    assert len(memory.get_all(user_id="t")) == 2
    assert memory.store.count(Scope(user_id="t"), include_deleted=True) == 3  # stored until swept
    assert store.sweep_ttl() == 1
    assert memory.store.count(Scope(user_id="t"), include_deleted=True) == 3
    short = memory.get_all(user_id="t", include_deleted=True, filters={"langgraph_key": "short"})[0]
    assert (short.deleted_at is not None, memory.history(short.id)[-1].reason) == (True, "expired")


def test_a_batch_with_an_invalid_label_changes_nothing(memory: Memory) -> None:
    store = MemspanStore(memory, scope=fixed(user_id="t"))
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp(("valid",), "k", {"v": 1}), PutOp(("a.b",), "k", {"v": 2})])
    assert memory.get_all(user_id="t") == []


def test_store_items_stay_out_of_the_middlewares_recall(memory: Memory) -> None:
    from memspan.effects import run_sync
    from memspan.integrations.langchain.context import run_scope

    store = MemspanStore(memory)
    store.put(("memories", "alice"), "diet", {"text": "Alice is vegetarian"})
    memory.add("Alice is allergic to peanuts", user_id="alice", infer=False)
    scope = run_scope(MemoryContext(user_id="alice"))

    def recalled(middleware: MemspanMiddleware) -> list[str]:
        from memspan.integrations._adapter import recall

        found = run_sync(
            recall(
                middleware.port,
                scope.recall(),
                "what does Alice eat",
                limit=5,
                threshold=None,
                filters=middleware.filters,
            )
        )
        return sorted(m.text for m in found)

    assert recalled(MemspanMiddleware(memory)) == ["Alice is allergic to peanuts"]
    assert recalled(MemspanMiddleware(memory, include_store_items=True)) == [
        "Alice is allergic to peanuts",
        "Alice is vegetarian",
    ]


async def test_async_store_with_own_embeddings_and_ttl(amemory: AsyncMemory) -> None:
    store = MemspanStore(
        amemory,
        scope=fixed(user_id="t"),
        index={"dims": 3, "embed": LetterEmbeddings()},
        ttl={"default_ttl": 10},
    )
    await store.aput(("d",), "1", {"text": "ccc"})
    await store.aput(("d",), "2", {"text": "aaa"})
    assert [h.key for h in await store.asearch(("d",), query="aa")] == ["2", "1"]
    assert await store.asweep_ttl() == 0


def test_items_written_by_the_earlier_store_layout_are_still_found(memory: Memory) -> None:
    legacy = {
        "langgraph_namespace": "memories.alice",
        "langgraph_prefixes": ["memories", "memories.alice"],
        "langgraph_key": "diet",
        "langgraph_indexed": True,
        "value.text": "Vegetarian",
    }
    memory.add("Vegetarian", user_id="alice", metadata=legacy, infer=False)
    store = MemspanStore(memory)
    item = store.get(("memories", "alice"), "diet")
    assert (
        item is not None and item.value == {"text": "Vegetarian"} and item.namespace == ("memories", "alice")
    )
    assert store.list_namespaces(prefix=("memories", "alice")) == [("memories", "alice")]
    store.put(("memories", "alice"), "diet", {"text": "Vegan"})  # rewritten in place, in the new layout
    assert [i.value for i in store.search(("memories", "alice"))] == [{"text": "Vegan"}]
    assert len(memory.get_all(user_id="alice")) == 1
