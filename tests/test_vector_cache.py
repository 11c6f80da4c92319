"""The embedded store's vector search: compact cache + exact rescoring agrees with a float32 scan.

Real SQLite files throughout; the "exact" side reads the float32 vectors back from the file and
ranks them with numpy, so whatever the cache does in between (int8 rows, segments, shortlists)
is checked against what a plain scan of the scope would return.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from memspan.filters import parse_filter
from memspan.ports import Change
from memspan.scope import Scope
from memspan.stores import _compact
from memspan.stores._vector_cache import shortlist_size
from memspan.stores.sqlite import SQLiteStore
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType

DIM = 32
NOW = "2026-01-01T00:00:00.000000Z"


def _item(i: int, user: str | None, agent: str | None, run: str | None) -> MemoryItem:
    return MemoryItem(
        id=str(uuid.uuid4()),
        text=f"memory number {i}",
        user_id=user,
        agent_id=agent,
        run_id=run,
        memory_type=MemoryType.SEMANTIC,
        metadata={"parity": i % 2},
        created_at=NOW,
        updated_at=NOW,
        hash=f"h{i}",
    )


def _insert(store: SQLiteStore, items: list[MemoryItem], seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(items), DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    events = [
        HistoryEvent(m.id, Event.ADD, None, m.text, NOW, m.user_id, m.agent_id, m.run_id) for m in items
    ]
    store.insert(items, vectors, events)


def _layout() -> list[MemoryItem]:
    """Users (one larger than a shortlist), runs inside them, an agent across users, agent-only rows."""
    out = []
    for i in range(900):
        user = f"user-{i % 3}" if i < 600 else "big"
        out.append(_item(i, user, "helper" if i % 5 == 0 else None, f"run-{i % 7}"))
    out += [_item(1000 + i, None, "helper", f"run-{i % 4}") for i in range(150)]
    return out


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "vectors.db")
    s.bind_embedder("test-model", DIM)
    _insert(s, _layout(), seed=1)
    yield s
    s.close()


def _exact(
    store: SQLiteStore, scope: Scope, query: np.ndarray, limit: int, parity: int | None = None
) -> list[str]:
    clauses = " AND ".join(f"{key} = ?" for key, _ in scope.items())
    rows = store._query(
        f"SELECT id, embedding, metadata FROM memories WHERE {clauses} AND deleted_at IS NULL ORDER BY pk",
        [value for _, value in scope.items()],
    )
    if parity is not None:
        rows = [r for r in rows if f'"parity": {parity}' in r[2]]
    matrix = np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows])
    order = np.argsort(-(matrix @ query), kind="stable")[:limit]
    return [rows[i][0] for i in order]


SCOPES = [
    Scope(user_id="user-1"),
    Scope(user_id="big"),  # 300 rows: more than a shortlist of 10
    Scope(user_id="big", run_id="run-3"),
    Scope(agent_id="helper"),  # rows in many users' segments and its own
    Scope(user_id="user-2", agent_id="helper"),
    Scope(run_id="run-1"),
]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_search_ranks_as_an_exact_float32_scan(store: SQLiteStore, scope: Scope) -> None:
    rng = np.random.default_rng(7)
    for _ in range(10):
        query = rng.standard_normal(DIM).astype(np.float32)
        query /= np.linalg.norm(query)
        got = store.search_vector(scope, query, None, 10)
        assert [item.id for item, _ in got] == _exact(store, scope, query, 10)
        for item, score in got:  # exact float32 similarities, not the int8 approximation
            assert score == pytest.approx(float(store.vectors([item.id])[item.id] @ query), abs=1e-6)
            assert scope.contains(item.user_id, item.agent_id, item.run_id)


def test_a_filter_narrows_the_scan_exactly(store: SQLiteStore) -> None:
    query = np.ones(DIM, dtype=np.float32) / np.sqrt(DIM)
    flt = parse_filter({"parity": 1})
    got = store.search_vector(Scope(user_id="big"), query, flt, 10)
    assert [item.id for item, _ in got] == _exact(store, Scope(user_id="big"), query, 10, parity=1)


def test_unknown_scope_finds_nothing(store: SQLiteStore) -> None:
    query = np.ones(DIM, dtype=np.float32)
    assert store.search_vector(Scope(user_id="nobody"), query, None, 10) == []
    assert store.search_vector(Scope(user_id="big", run_id="run-99"), query, None, 10) == []


def _delete(store: SQLiteStore, item: MemoryItem) -> None:
    gone = dataclasses.replace(item, deleted_at=NOW, updated_at=NOW)
    event = HistoryEvent(
        item.id, Event.DELETE, item.text, None, NOW, item.user_id, item.agent_id, item.run_id
    )
    store.apply([Change(gone, None, event)], [], None, [])


def test_deleted_memories_are_never_returned(store: SQLiteStore) -> None:
    scope = Scope(user_id="big")
    query = np.asarray(store.vectors([_exact(store, scope, np.ones(DIM, np.float32), 1)[0]]).popitem()[1])
    best = store.search_vector(scope, query, None, 5)
    _delete(store, best[0][0])
    after = store.search_vector(scope, query, None, 5)
    assert best[0][0].id not in {item.id for item, _ in after}
    assert [item.id for item, _ in after] == _exact(store, scope, query, 5)
    store.delete_scope(scope, purge=False, at=NOW)
    assert store.search_vector(scope, query, None, 5) == []
    assert store.search_vector(Scope(user_id="user-0"), query, None, 5)  # others keep theirs


def test_another_process_writes_deletes_and_purges(store: SQLiteStore, tmp_path: Path) -> None:
    """The cache follows the file's change counter whoever writes it (here: a second process)."""
    scope = Scope(user_id="user-0")
    query = np.zeros(DIM, dtype=np.float32)
    query[0] = 1.0
    before = store.search_vector(scope, query, None, 3)
    assert len(before) == 3
    script = f"""
import dataclasses, numpy as np
from memspan.stores.sqlite import SQLiteStore
from memspan.scope import Scope
from memspan.ports import Change
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType
s = SQLiteStore({str(tmp_path / "vectors.db")!r})
now = {NOW!r}
item = MemoryItem("from-elsewhere", "written by another process", "user-0", None, None,
                  MemoryType.SEMANTIC, {{}}, now, now, "elsewhere")
vector = np.zeros((1, {DIM}), dtype=np.float32); vector[0, 0] = 1.0
s.insert([item], vector, [HistoryEvent(item.id, Event.ADD, None, item.text, now, "user-0", None, None)])
victim = s.get({before[0][0].id!r})
gone = dataclasses.replace(victim, deleted_at=now)
s.apply([Change(gone, None, HistoryEvent(victim.id, Event.DELETE, victim.text, None, now, "user-0",
        victim.agent_id, victim.run_id))], [], None, [])
s.close()
"""
    subprocess.run([sys.executable, "-c", script], check=True)
    after = [item.id for item, _ in store.search_vector(scope, query, None, 3)]
    assert after[0] == "from-elsewhere"
    assert before[0][0].id not in after
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from memspan.stores.sqlite import SQLiteStore; from memspan.scope import Scope\n"
            f"s = SQLiteStore({str(tmp_path / 'vectors.db')!r}); "
            f"s.delete_scope(Scope(user_id='user-0'), purge=True, at={NOW!r}); s.close()",
        ],
        check=True,
    )
    assert store.search_vector(scope, query, None, 3) == []
    assert len(store.search_vector(Scope(user_id="user-1"), query, None, 3)) == 3


def test_the_cache_holds_compact_rows(store: SQLiteStore) -> None:
    """int8 rows with a scale each: about a quarter of the float32 bytes (the issue's RSS target)."""
    store.search_vector(Scope(user_id="big"), np.ones(DIM, dtype=np.float32), None, 1)
    live = store.count()
    assert store._cache.size == live
    assert store._cache.nbytes() < 2 * live * (DIM + 4 + 8 + 12 + 1)  # segments grow by doubling
    assert store._cache.nbytes() < live * DIM * 4


@pytest.mark.parametrize("use_numkong", [True, False])
def test_int8_scores_are_close_to_float32(use_numkong: bool) -> None:
    if use_numkong and not _compact.has_simd_kernel():
        pytest.skip("numkong is not installed")
    rng = np.random.default_rng(3)
    rows = rng.standard_normal((500, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    query = rows[17] + 0.1 * rows[3]
    query /= np.linalg.norm(query)
    codes, scales = _compact.quantize(rows)
    approx = _compact.scores(codes, scales, query, use_numkong=use_numkong)
    assert np.abs(approx - rows @ query).max() < 0.01
    assert int(np.argmax(approx)) == 17


def test_zero_vectors_score_zero() -> None:
    codes, scales = _compact.quantize(np.zeros((2, 8), dtype=np.float32))
    assert not codes.any() and not scales.any()
    assert np.all(_compact.scores(codes, scales, np.ones(8, dtype=np.float32)) == 0)


def test_shortlist_is_larger_than_the_request() -> None:
    assert shortlist_size(10) >= 30 and shortlist_size(100) == 300


def test_bulk_catch_up_leaves_little_slack_and_later_rows_still_land(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "bulk.db")
    s.bind_embedder("test-model", DIM)
    _insert(s, [_item(i, "bulk", None, None) for i in range(5000)], seed=2)
    query = np.ones(DIM, dtype=np.float32) / np.sqrt(DIM)
    s.search_vector(Scope(user_id="bulk"), query, None, 1)  # first search: a catch-up of 5,000 rows
    segment = s._cache.segments[(0, s._cache.interned[0]["bulk"])]
    assert segment.size == 5000 and len(segment.pks) <= 5000 + 2 * (5000 // 8)  # a quarter, not double
    late = [_item(9000 + i, "bulk", None, None) for i in range(700)]  # grows past the trimmed room
    _insert(s, late, seed=3)
    got = s.search_vector(Scope(user_id="bulk"), query, None, 10)
    assert [item.id for item, _ in got] == _exact(s, Scope(user_id="bulk"), query, 10)
    assert s._cache.size == 5700
    s.close()
