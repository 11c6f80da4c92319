"""Keyword search ranked inside SQLite returns exactly what scoring every match in Python returned.

The reference below is the previous implementation's computation (every (term, memory) match of
the scope read back, then :func:`coverage` and :func:`best`); the store must agree with it on
scores and order, ties and capped scores included, with and without a filter.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from memspan.filters import parse_filter
from memspan.keyword import best, coverage, query_terms
from memspan.scope import Scope
from memspan.stores import _sqlite_reads
from memspan.stores._sqlite_keyword import every_match
from memspan.stores.sqlite import SQLiteStore, filter_record, scope_match
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType

NOW = "2026-01-01T00:00:00.000000Z"
WORDS = ["garden", "trip", "sister", "coffee", "painting", "guitar", "lisbon", "museum", "beach", "novel"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    path = Path(tmp_path_factory.mktemp("kw")) / "kw.db"
    s = SQLiteStore(path)
    s.bind_embedder("test-model", 4)
    rng = random.Random(5)
    items = []
    for i in range(1500):
        # few words from a small vocabulary: many memories tie on the same set of terms
        text = " ".join(rng.choice(WORDS[: 3 + i % 7]) for _ in range(1 + i % 4))
        user = f"user-{i % 3}"
        items.append(
            MemoryItem(
                str(uuid.uuid4()),
                text,
                user,
                None,
                f"run-{i % 5}",
                MemoryType.SEMANTIC,
                {"n": i % 4},
                NOW,
                NOW,
                f"h{i}",
            )
        )
    events = [HistoryEvent(m.id, Event.ADD, None, m.text, NOW, m.user_id, None, m.run_id) for m in items]
    s.insert(items, np.ones((len(items), 4), dtype=np.float32), events)
    yield s
    s.close()


def _keeper(allowed: set[int] | None, excluded: set[int] | None) -> Callable[[int], bool]:
    return lambda pk: (allowed is None or pk in allowed) and not (excluded and pk in excluded)


def _reference(store: SQLiteStore, scope: Scope, query: str, limit: int, allowed: set[int] | None):
    terms = query_terms(query)
    in_scope = scope_match(scope)
    size = store._query("SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?", [in_scope])[0][0]
    containing, matched = every_match(store._query, in_scope, terms, None if allowed is None else allowed.__contains__)
    ranked = best(coverage(size, containing, matched), limit, {pk: pk for pk in matched})
    ids = dict(store._query("SELECT pk, id FROM memories"))
    return [(ids[pk], score) for pk, score in ranked]


QUERIES = [
    "garden trip",
    "coffee",
    "sister painting guitar lisbon",
    "museum beach novel garden",
    "nothing here",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(
    "scope", [Scope(user_id="user-1"), Scope(user_id="user-2", run_id="run-2"), Scope(run_id="run-4")]
)
def test_same_ranking_as_scoring_every_match(store: SQLiteStore, scope: Scope, query: str) -> None:
    for limit in (1, 10, 40):
        got = [(item.id, score) for item, score in store.search_keyword(scope, query, None, limit)]
        assert got == _reference(store, scope, query, limit, None)


def test_same_ranking_under_a_filter(store: SQLiteStore) -> None:
    scope = Scope(user_id="user-0")
    flt = parse_filter({"n": {"in": [1, 3]}})
    from memspan.stores.sqlite import ITEM_COLUMNS, _row_item

    rows = store._query(f"SELECT {ITEM_COLUMNS} FROM memories WHERE user_id = 'user-0'")

    allowed = {row[0] for row in rows if flt.matches(filter_record(_row_item(row)))}
    got = [(item.id, score) for item, score in store.search_keyword(scope, "garden coffee trip", flt, 10)]
    assert got == _reference(store, scope, "garden coffee trip", 10, allowed)
    assert got  # the filter leaves matches


def test_scope_size_follows_writes_from_another_connection(store: SQLiteStore) -> None:
    """The scope's size is memoised per change of the file: another writer's insert is counted."""
    scope = Scope(user_id="user-9")
    assert store.term_counts(scope, []) == (0, {})
    other = SQLiteStore(store.path)
    item = MemoryItem(
        str(uuid.uuid4()), "garden party", "user-9", None, None, MemoryType.SEMANTIC, {}, NOW, NOW, "x"
    )
    other.insert([item], np.ones((1, 4), dtype=np.float32), [])
    other.close()
    assert store.term_counts(scope, ["garden"]) == (1, {"garden": 1})
    assert [i.id for i, _ in store.search_keyword(scope, "garden", None, 5)] == [item.id]


def _later(seconds: float) -> str:
    from datetime import datetime, timedelta, timezone

    from memspan.filters import format_timestamp

    return format_timestamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def test_expired_memories_are_left_out_of_the_ranking_but_counted(tmp_path: Path) -> None:
    """An expired memory not swept yet takes no place of the limit; its words still count in the
    scope's term counts (as the scope's size counts it), exactly as in the exhaustive ranking."""
    from memspan import Memory
    from memspan.embedders import HashingEmbedder

    with Memory(tmp_path / "x.db", embedder=HashingEmbedder(16)) as memory:
        store = memory.store
        assert isinstance(store, SQLiteStore)
        gone = [
            memory.add(f"garden party number {i}", user_id="ana", ttl=60, infer=False).added[0]
            for i in range(3)
        ]
        kept = [memory.add(f"garden walk {i}", user_id="ana", infer=False).added[0] for i in range(3)]
        memory.add("a sunny morning", user_id="ana", infer=False)
        store.clock = lambda: _later(120)  # type: ignore[method-assign]
        scope = Scope(user_id="ana")
        got = store.search_keyword(scope, "garden party", None, 2)
        expected = _reference(store, scope, "garden party", 10, None)
        gone_ids = {m.id for m in gone}
        assert [(item.id, score) for item, score in got] == [p for p in expected if p[0] not in gone_ids][:2]
        assert {item.id for item, _ in got} <= {m.id for m in kept}
        vars(store).pop("clock", None)


def test_a_memory_that_expires_between_the_two_searches_is_not_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vector search reuses the expired set its keyword search read at the same state of the
    file; a memory whose time comes in between is still left out (by the exact rescoring)."""
    from memspan import Memory
    from memspan.embedders import HashingEmbedder

    with Memory(tmp_path / "y.db", embedder=HashingEmbedder(16)) as memory:
        store = memory.store
        assert isinstance(store, SQLiteStore)
        short = memory.add("green tea at the museum", user_id="ana", ttl=60, infer=False).added[0]
        others = [memory.add(f"green tea {i}", user_id="ana", infer=False).added[0] for i in range(3)]
        scope = Scope(user_id="ana")
        vector = memory.embedder.embed([short.text], kind="query")[0]
        reads = []
        real = _sqlite_reads.expired_pks
        monkeypatch.setattr(_sqlite_reads, "expired_pks", lambda *a: reads.append(a) or real(*a))
        assert short.id in {item.id for item, _ in store.search_keyword(scope, "museum tea", None, 10)}
        store.clock = lambda: _later(120)  # type: ignore[method-assign]
        found = {item.id for item, _ in store.search_vector(scope, vector, None, 10)}
        assert found == {m.id for m in others}
        assert len(reads) == 1  # the vector search took the keyword search's set
        store.search_vector(scope, vector, None, 10)
        assert len(reads) == 2  # handed over once: the next one reads afresh
        vars(store).pop("clock", None)


def test_random_queries_filters_and_exclusions_rank_as_the_exhaustive_computation(store: SQLiteStore) -> None:
    """``ranked_matches`` against every-match scoring on random queries, limits, allowed and excluded
    sets (many memories share a term set, so the order of ties is checked too)."""
    from memspan.stores._sqlite_keyword import ranked_matches

    rng = random.Random(3)
    pks = [row[0] for row in store._query("SELECT pk FROM memories")]
    full = 0
    for _ in range(60):
        scope = rng.choice(
            [Scope(user_id="user-1"), Scope(run_id="run-3"), Scope(user_id="user-0", run_id="run-0")]
        )
        terms = rng.sample(WORDS, rng.randint(1, 6))
        allowed = set(rng.sample(pks, 600)) if rng.random() < 0.3 else None
        excluded = set(rng.sample(pks, 200)) if rng.random() < 0.5 else None
        limit = rng.choice([1, 5, 40, 2000])
        in_scope = scope_match(scope)
        with store._lock, store._snapshot():
            size = store._scope_size(scope)
            got = ranked_matches(store._query, in_scope, terms, allowed, limit, size, excluded=excluded)
            containing, matched = every_match(store._query, in_scope, terms, _keeper(allowed, excluded))
        expected = best(coverage(size, containing, matched), limit, {pk: pk for pk in matched})
        assert [(pk, float(s)) for pk, s in got] == [(pk, float(s)) for pk, s in expected]
        assert all(set(s.terms) == set(e.terms) for (_, s), (_, e) in zip(got, expected, strict=True))
        full += len(expected) == limit
    assert full > 20  # most cases fill their limit, so the cut through the ties is checked
