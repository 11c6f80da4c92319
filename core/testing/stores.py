"""The store conformance suite: every :class:`~memspan.ports.MemoryStore` proves the same contract.

Usage (the pattern of LangChain's standard tests): subclass :class:`StoreConformance` in a test
file and override the ``store`` fixture to yield an *empty* store::

    class TestMyStore(StoreConformance):
        @pytest.fixture
        def store(self) -> Iterator[MemoryStore]:
            store = MyStore(...)
            yield store
            store.close()

Every behaviour a caller relies on is checked through the public :class:`~memspan.Memory` facade
(driven by the dependency-free :class:`~memspan.embedders.HashingEmbedder`), plus direct port calls
where the facade cannot reach: filters on exact timestamps, dimension checks, vector round trips.
Filter answers are compared with the reference semantics, :meth:`memspan.filters.Filter.matches`.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from .. import AsyncMemory, Memory
from .._inputs import text_hash
from ..embedders.hashing import HashingEmbedder
from ..errors import DimensionMismatchError, MemspanError, StoreError
from ..filters import parse_filter
from ..ports import Change, MemoryStore
from ..scope import Scope
from ..stores.sqlite import filter_record
from ..types import Event, HistoryEvent, MemoryItem, MemoryType
from ._expiry_cases import ExpiryConformance
from ._filter_cases import FILTER_CASES, make_corpus, random_filters
from ._keyword_cases import KeywordConformance

DIMENSION = 64


def _memory(store: MemoryStore) -> Memory:
    return Memory(store=store, embedder=HashingEmbedder(DIMENSION))


class StoreConformance(KeywordConformance, ExpiryConformance):
    """The contract of a memory store. Subclasses provide the ``store`` fixture."""

    #: writers in the concurrency test; lower it for backends with small connection limits
    concurrent_writers: int = 8
    #: whether ``apply`` writes an add's changes and new memories in one transaction
    transactional: bool = True

    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        raise NotImplementedError("subclass StoreConformance and override the `store` fixture")

    @pytest.fixture
    def memory(self, store: MemoryStore) -> Memory:
        return _memory(store)

    # -- basic life cycle --------------------------------------------------------------------

    def test_add_get_update_delete(self, memory: Memory) -> None:
        added = memory.add("Alice drinks green tea", user_id="alice", infer=False, metadata={"k": 1}).added
        assert len(added) == 1
        item = memory.get(added[0].id)
        assert (item.text, item.user_id, item.metadata) == ("Alice drinks green tea", "alice", {"k": 1})
        updated = memory.update(item.id, "Alice drinks black tea", metadata={"k": 2, "tags": ["x"]})
        again = memory.get(item.id)
        assert again.text == updated.text == "Alice drinks black tea"
        assert again.metadata == {"k": 2, "tags": ["x"]}
        assert again.created_at == item.created_at
        memory.delete(item.id)
        with pytest.raises(MemspanError):
            memory.get(item.id)
        gone = memory.get(item.id, include_deleted=True)
        assert gone.deleted_at is not None
        assert memory.get_all(user_id="alice") == []
        assert [m.id for m in memory.get_all(user_id="alice", include_deleted=True)] == [item.id]
        assert memory.search("black tea", user_id="alice").items == []

    def test_history_is_kept(self, memory: Memory) -> None:
        item = memory.add("first version", user_id="u", infer=False).added[0]
        memory.update(item.id, "second version")
        memory.update(item.id, metadata={"m": True})
        memory.delete(item.id)
        events = memory.history(item.id)
        assert [e.event for e in events] == [Event.ADD, Event.UPDATE, Event.UPDATE, Event.DELETE]
        assert (events[1].old_text, events[1].new_text) == ("first version", "second version")
        assert events[2].new_metadata == {"m": True}
        assert events[3].old_text == "second version"
        assert all(e.user_id == "u" for e in events)

    def test_list_is_newest_first_with_paging(self, store: MemoryStore) -> None:
        items = _insert(store, [{"text": f"note {i}", "created_at": _ts(i)} for i in range(12)])
        memory = _memory(store)
        listed = memory.get_all(user_id="u0", limit=5, offset=3)
        assert [m.id for m in listed] == [m.id for m in reversed(items)][3:8]

    def test_find_hash_and_duplicate_add(self, memory: Memory, store: MemoryStore) -> None:
        item = memory.add("Bob lives in Porto", user_id="bob", infer=False).added[0]
        assert store.find_hash(Scope(user_id="bob"), item.hash) == item
        assert store.find_hash(Scope(user_id="eve"), item.hash) is None

    # -- scopes --------------------------------------------------------------------------------

    def test_term_counts_stay_within_the_scope(self, memory: Memory, store: MemoryStore) -> None:
        memory.add(["Maya moved to Lisbon", "Thanks, Maya", "cello on Sundays"], user_id="ana", infer=False)
        memory.add("Maya Maya Maya", user_id="bob", infer=False)
        counts = store.term_counts(Scope(user_id="ana"), ["maya", "lisbon", "paris"])
        if counts is None:  # optional: search then embeds queries as given
            return
        assert counts == (3, {"maya": 2, "lisbon": 1, "paris": 0})
        memory.delete_all(user_id="ana")
        assert store.term_counts(Scope(user_id="ana"), ["maya"]) == (0, {"maya": 0})

    def test_scope_isolation_between_100_users(self, memory: Memory) -> None:
        users = [f"user-{i:03d}" for i in range(100)]
        for user in users:
            memory.add([f"shared secret of {user}", f"{user} private diary"], user_id=user, infer=False)
        for user in users:
            found = memory.search("shared secret diary", user_id=user, limit=50)
            assert {m.user_id for m in found} == {user}
            assert len(found) == 2
            assert {m.user_id for m in memory.get_all(user_id=user)} == {user}
        assert memory.store.count() == 200
        assert memory.store.count(Scope(user_id=users[7])) == 2

    def test_agent_and_run_scopes(self, memory: Memory) -> None:
        memory.add("u1 with agent a", user_id="u1", agent_id="a", infer=False)
        memory.add("u1 in run r", user_id="u1", run_id="r", infer=False)
        memory.add("agent a alone", agent_id="a", infer=False)
        memory.add("u2 with agent a in run r", user_id="u2", agent_id="a", run_id="r", infer=False)

        def texts(
            user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
        ) -> set[str]:
            return {m.text for m in memory.get_all(user_id=user_id, agent_id=agent_id, run_id=run_id)}

        assert texts(user_id="u1") == {"u1 with agent a", "u1 in run r"}
        assert texts(agent_id="a") == {"u1 with agent a", "agent a alone", "u2 with agent a in run r"}
        assert texts(run_id="r") == {"u1 in run r", "u2 with agent a in run r"}
        assert texts(user_id="u1", agent_id="a") == {"u1 with agent a"}
        assert texts(user_id="u2", agent_id="a", run_id="r") == {"u2 with agent a in run r"}
        assert {m.text for m in memory.search("agent", agent_id="a", user_id="u2")} == {
            "u2 with agent a in run r"
        }

    # -- filters: identical answers to the reference semantics ----------------------------------

    def test_every_filter_matches_the_reference(self, store: MemoryStore) -> None:
        items = _insert(store, make_corpus())
        scope = Scope(user_id="u0")
        for spec in [*FILTER_CASES, *random_filters(random.Random(7), 150)]:
            flt = parse_filter(spec)
            assert flt is not None
            expected = {i.id for i in items if _live_in(i, scope) and flt.matches(filter_record(i))}
            got = store.list_memories(scope, flt, 1000)
            assert {m.id for m in got} == expected, f"filter {spec!r}"

    def test_filters_apply_to_searches(self, store: MemoryStore) -> None:
        items = _insert(store, make_corpus())
        embedder = HashingEmbedder(DIMENSION)
        query = embedder.embed(["blue river stone"], kind="query")[0]
        scope = Scope(user_id="u0")
        for spec in FILTER_CASES[::3]:
            flt = parse_filter(spec)
            assert flt is not None
            expected = {i.id for i in items if _live_in(i, scope) and flt.matches(filter_record(i))}
            dense = store.search_vector(scope, query, flt, 1000)
            assert {m.id for m, _ in dense} == expected, f"vector search with filter {spec!r}"
            keyword = store.search_keyword(scope, "river", flt, 1000)
            assert {m.id for m, _ in keyword} <= expected, f"keyword search with filter {spec!r}"
            assert {m.id for m, _ in keyword} == {i for i in expected if "river" in _texts(items)[i]}

    # -- scores --------------------------------------------------------------------------------

    def test_scores_are_similarities(self, memory: Memory, store: MemoryStore) -> None:
        texts = ["the cat sat on the mat", "dogs chase cats", "quantum field theory", "tea with lemon"]
        memory.add(texts, user_id="s", infer=False)
        for query in ["cat on a mat", "tea", "physics of fields", "zebra"]:
            for item in memory.search(query, user_id="s", limit=10):
                assert item.score is not None and 0.0 <= item.score <= 1.0
        vector = HashingEmbedder(DIMENSION).embed([texts[0]], kind="query")[0]
        hits = store.search_vector(Scope(user_id="s"), vector, None, 10)
        scores = [score for _, score in hits]
        assert hits[0][0].text == texts[0] and scores[0] == pytest.approx(1.0, abs=1e-4)
        assert scores == sorted(scores, reverse=True)
        assert all(-1.0 - 1e-5 <= s <= 1.0 + 1e-5 for s in scores)
        keyword = store.search_keyword(Scope(user_id="s"), "cat mat", None, 10)
        assert keyword and keyword[0][0].text == texts[0]
        assert all(score > 0 for _, score in keyword)

    def test_vector_search_is_exact_within_a_scope(self, store: MemoryStore) -> None:
        rng = np.random.default_rng(3)
        specs = [{"text": f"row {i}", "user_id": f"u{i % 20}"} for i in range(600)]
        vectors = rng.normal(size=(600, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        _insert(store, specs, vectors)
        for user in ("u3", "u17"):
            query = rng.normal(size=DIMENSION).astype(np.float32)
            query /= np.linalg.norm(query)
            rows = [i for i in range(600) if f"u{i % 20}" == user]
            best = sorted(rows, key=lambda i: -float(vectors[i] @ query))[:10]
            hits = store.search_vector(Scope(user_id=user), query, None, 10)
            assert [m.text for m, _ in hits] == [f"row {i}" for i in best]

    # -- deleting a whole scope ------------------------------------------------------------------

    @pytest.mark.parametrize("purge", [False, True])
    def test_delete_all_removes_everything_however_many(self, store: MemoryStore, purge: bool) -> None:
        memory = _memory(store)
        big = [f"memory number {i}" for i in range(250)]
        for start in range(0, 250, 50):
            memory.add(big[start : start + 50], user_id="big", infer=False)
        keep = memory.add(["another user's memory"], user_id="other", infer=False).added[0]
        some_id = memory.get_all(user_id="big", limit=1)[0].id
        assert memory.delete_all(user_id="big", purge=purge) == 250
        assert memory.get_all(user_id="big", limit=1000) == []
        assert store.count(Scope(user_id="big")) == 0
        assert memory.search("memory number", user_id="big").items == []
        assert memory.get(keep.id).text == "another user's memory"
        if purge:
            assert store.get(some_id) is None and store.history(some_id) == []
            assert store.count(Scope(user_id="big"), include_deleted=True) == 0
        else:
            assert store.history(some_id)[-1].event is Event.DELETE
            assert store.count(Scope(user_id="big"), include_deleted=True) == 250
        assert memory.delete_all(user_id="big", purge=purge) == 0

    # -- embedding model -------------------------------------------------------------------------

    def test_dimension_mismatch_is_rejected(self, memory: Memory, store: MemoryStore) -> None:
        memory.add("a memory", user_id="d", infer=False)
        other = Memory(store=store, embedder=HashingEmbedder(DIMENSION // 2))
        with pytest.raises(DimensionMismatchError):
            other.add("another", user_id="d", infer=False)
        with pytest.raises(DimensionMismatchError):
            other.search("another", user_id="d")
        with pytest.raises(DimensionMismatchError):
            store.bind_embedder("another-model", DIMENSION)
        item = memory.get_all(user_id="d")[0]
        with pytest.raises(DimensionMismatchError):
            store.insert([_item("wrong size")], np.ones((1, DIMENSION + 1), dtype=np.float32), [])
        assert store.count() == 1 and memory.get(item.id).text == "a memory"

    def test_apply_writes_changes_and_new_memories_together(self, store: MemoryStore) -> None:
        kept, dropped = _insert(store, [{"text": "lives in Paris"}, {"text": "has a cat"}])
        moved = replace(kept, text="lives in Tokyo", hash=text_hash("lives in Tokyo"), updated_at=_ts(50))
        gone = replace(dropped, deleted_at=_ts(50), updated_at=_ts(50))
        new = _item("works as a nurse")
        embed = HashingEmbedder(DIMENSION).embed
        changes = [
            Change(moved, embed([moved.text])[0], _event(moved, Event.UPDATE)),
            Change(gone, None, _event(gone, Event.DELETE)),
        ]
        # a new memory whose id is taken: the write fails after the changes were sent
        clash = replace(new, id=kept.id)
        if self.transactional:
            with pytest.raises(StoreError):
                store.apply(changes, [clash], embed([clash.text]), [_event(clash)])
            assert {m.text for m in store.iter_memories(include_deleted=False)} == {
                "lives in Paris",
                "has a cat",
            }
            assert [e.event for e in store.history(kept.id)] == [Event.ADD]
        store.apply(changes, [new], embed([new.text]), [_event(new)])
        assert {m.text for m in store.iter_memories(include_deleted=False)} == {
            "lives in Tokyo",
            "works as a nurse",
        }
        assert [e.event for e in store.history(kept.id)] == [Event.ADD, Event.UPDATE]
        assert [e.event for e in store.history(dropped.id)] == [Event.ADD, Event.DELETE]
        assert [e.event for e in store.history(new.id)] == [Event.ADD]
        hit, score = store.search_vector(Scope(user_id=kept.user_id), embed(["lives in Tokyo"])[0], None, 1)[
            0
        ]
        assert hit.id == kept.id and score == pytest.approx(1.0, abs=1e-5)

    def test_vectors_and_iteration_round_trip(self, store: MemoryStore) -> None:
        vectors = np.eye(DIMENSION, dtype=np.float32)[:5]
        items = _insert(store, [{"text": f"v{i}"} for i in range(5)], vectors)
        store.update(replace(items[4], deleted_at=_ts(99)), None, _event(items[4], Event.DELETE))
        assert [m.id for m in store.iter_memories(batch_size=2)] == [m.id for m in items]
        assert [m.id for m in store.iter_memories(include_deleted=False)] == [m.id for m in items[:4]]
        got = store.vectors([m.id for m in items])
        assert set(got) == {m.id for m in items[:4]}
        for i, item in enumerate(items[:4]):
            np.testing.assert_allclose(got[item.id], vectors[i], atol=1e-6)
        store.reset()
        assert store.count(include_deleted=True) == 0

    # -- concurrency ---------------------------------------------------------------------------

    def test_concurrent_writers_lose_nothing(self, memory: Memory) -> None:
        per_writer = 15
        errors: list[BaseException] = []

        def write(writer: int) -> None:
            try:
                for i in range(per_writer):
                    memory.add(f"writer {writer} fact {i}", user_id=f"w{writer % 2}", infer=False)
            except BaseException as exc:  # collected and re-raised by the test below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(self.concurrent_writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        total = self.concurrent_writers * per_writer
        assert memory.store.count() == total
        texts = {m.text for u in ("w0", "w1") for m in memory.get_all(user_id=u, limit=1000)}
        assert len(texts) == total

    async def test_async_writers_lose_nothing(self, store: MemoryStore) -> None:
        amemory = AsyncMemory(store=store, embedder=HashingEmbedder(DIMENSION))
        await asyncio.gather(*(amemory.add(f"async fact {i}", user_id="a", infer=False) for i in range(30)))
        found = await amemory.search("async fact", user_id="a", limit=50)
        assert len(found) == 30 and store.count(Scope(user_id="a")) == 30


# -- helpers -----------------------------------------------------------------------------------


def _ts(i: int) -> str:
    return f"2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00.000000Z"


def _item(text: str, **fields: Any) -> MemoryItem:
    created = fields.pop("created_at", _ts(0))
    return MemoryItem(
        id=fields.pop("id", str(uuid.uuid4())),
        text=text,
        user_id=fields.pop("user_id", "u0"),
        agent_id=fields.pop("agent_id", None),
        run_id=fields.pop("run_id", None),
        memory_type=MemoryType(fields.pop("memory_type", "semantic")),
        metadata=fields.pop("metadata", {}),
        created_at=created,
        updated_at=fields.pop("updated_at", created),
        hash=text_hash(text),
        deleted_at=fields.pop("deleted_at", None),
    )


def _event(item: MemoryItem, event: Event = Event.ADD) -> HistoryEvent:
    return HistoryEvent(
        item.id, event, None, item.text, item.updated_at, item.user_id, item.agent_id, item.run_id
    )


def _insert(store: MemoryStore, specs: list[dict[str, Any]], vectors: Any = None) -> list[MemoryItem]:
    """Write memories straight through the port (exact timestamps, types and metadata)."""
    store.bind_embedder(HashingEmbedder(DIMENSION).model_id, DIMENSION)
    items = [_item(**spec) for spec in specs]
    if vectors is None:
        vectors = HashingEmbedder(DIMENSION).embed([i.text for i in items])
    live = [i for i, item in enumerate(items) if item.deleted_at is None]
    store.insert([items[i] for i in live], np.asarray(vectors)[live], [_event(items[i]) for i in live])
    for item in items:
        if item.deleted_at is not None:  # deleted ones go in live, then are deleted, as in real life
            live_copy = replace(item, deleted_at=None)
            store.insert([live_copy], HashingEmbedder(DIMENSION).embed([item.text]), [_event(live_copy)])
            store.update(item, None, _event(item, Event.DELETE))
    return items


def _texts(items: list[MemoryItem]) -> dict[str, str]:
    return {i.id: i.text for i in items}


def _live_in(item: MemoryItem, scope: Scope) -> bool:
    return item.deleted_at is None and scope.contains(item.user_id, item.agent_id, item.run_id)
