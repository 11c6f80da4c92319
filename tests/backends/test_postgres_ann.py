"""PostgreSQL's approximate path (HNSW on vector or halfvec): right answers, the scope held, deleted
memories and other users never returned, small scopes exact."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest

from memspan.filters import parse_filter
from memspan.ports import MemoryStore
from memspan.scope import Scope
from memspan.stores.postgres import PostgresStore
from memspan.testing import PostgresTestServer, StoreConformance
from memspan.testing.stores import _insert

DIM = 64


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def schema(pg_server: PostgresTestServer) -> Iterator[str]:
    name = f"a_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _plan(store: PostgresStore, scope: Scope, query: np.ndarray) -> str:
    from memspan.stores._postgres_sql import scope_sql

    where, params = scope_sql(scope)
    sql = store._vector_sql(where, "", approximate=True)
    with store._pool.connection() as conn, conn.transaction():
        store._approximate(conn, 10)  # the search's own settings
        rows = conn.execute(
            f"EXPLAIN {sql}",
            {**params, "q": query, "limit": 10, "shortlist": 20, "expiry_now": store.clock()},
        ).fetchall()
    return "\n".join(r[0] for r in rows)


def _indexes(url: str, schema: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,)).fetchall()
    return {r[0] for r in rows}


@pytest.mark.parametrize("halfvec", [False, True], ids=["vector", "halfvec"])
def test_the_index_is_built_with_the_column_and_the_approximate_query_uses_it(
    pg_server: PostgresTestServer, schema: str, halfvec: bool
) -> None:
    store = PostgresStore(pg_server.url, schema=schema, hnsw=True, halfvec=halfvec, hnsw_min_scope=0)
    try:
        rng = np.random.default_rng(1)
        _insert(store, [{"text": f"row {i}", "user_id": "u"} for i in range(300)], _unit(rng, 300))
        plan = _plan(store, Scope(user_id="u"), _unit(rng, 1)[0])
        index = "memories_hnsw_half" if halfvec else "memories_hnsw"
        assert f"Index Scan using {index}" in plan, plan
    finally:
        store.close()


def test_the_default_store_is_exact_and_hnsw_indexes_the_first_write_in_halfvec(
    pg_server: PostgresTestServer, schema: str
) -> None:
    rng = np.random.default_rng(7)
    exact = PostgresStore(pg_server.url, schema=schema)
    try:
        assert not exact.hnsw
        _insert(exact, [{"text": f"row {i}", "user_id": "u"} for i in range(50)], _unit(rng, 50))
        assert not {"memories_hnsw", "memories_hnsw_half"} & _indexes(pg_server.url, schema)
    finally:
        exact.drop_schema()
        exact.close()
    store = PostgresStore(pg_server.url, schema=schema, hnsw=True)
    try:
        assert store.halfvec and store.hnsw_min_scope == 20_000
        _insert(store, [{"text": f"row {i}", "user_id": "u"} for i in range(50)], _unit(rng, 50))
        assert "memories_hnsw_half" in _indexes(pg_server.url, schema)
        assert not store._use_hnsw(Scope(user_id="u"), "user_id = %(scope_user_id)s", {"scope_user_id": "u"})
    finally:
        store.close()


def test_build_index_adds_the_index_to_a_filled_schema(pg_server: PostgresTestServer, schema: str) -> None:
    exact = PostgresStore(pg_server.url, schema=schema, hnsw=False)
    rng = np.random.default_rng(2)
    _insert(exact, [{"text": f"row {i}", "user_id": "u"} for i in range(200)], _unit(rng, 200))
    exact.close()
    store = PostgresStore(pg_server.url, schema=schema, hnsw=True, halfvec=True, hnsw_min_scope=0)
    try:
        query = _unit(rng, 1)[0]
        assert "memories_hnsw_half" not in _plan(store, Scope(user_id="u"), query)
        store.build_index()
        store.build_index()  # a second build is a no-op
        assert "Index Scan using memories_hnsw_half" in _plan(store, Scope(user_id="u"), query)
    finally:
        store.close()


def test_small_scopes_get_exactly_the_exact_answers(pg_server: PostgresTestServer, schema: str) -> None:
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 900)
    ann = PostgresStore(pg_server.url, schema=schema, hnsw=True, halfvec=True, hnsw_min_scope=400)
    exact = PostgresStore(pg_server.url, schema=schema, hnsw=False)
    try:
        # u0 has 600 memories (past the threshold), u1 and u2 150 each
        users = ["u0", "u0", "u0", "u0", "u1", "u2"]
        _insert(ann, [{"text": f"row {i}", "user_id": users[i % 6]} for i in range(900)], vectors)
        for user in ("u1", "u2"):
            for _ in range(10):
                query = _unit(rng, 1)[0]
                got = ann.search_vector(Scope(user_id=user), query, None, 10)
                want = exact.search_vector(Scope(user_id=user), query, None, 10)
                assert [(m.id, s) for m, s in got] == [(m.id, s) for m, s in want]
        big = Scope(user_id="u0")
        where = "user_id = %(scope_user_id)s"
        assert ann._use_hnsw(big, where, {"scope_user_id": "u0"})
        assert not ann._use_hnsw(Scope(user_id="u1"), where, {"scope_user_id": "u1"})
    finally:
        ann.close()
        exact.close()


@pytest.mark.parametrize("halfvec", [False, True], ids=["vector", "halfvec"])
def test_the_index_path_never_returns_deleted_memories_or_other_users(
    pg_server: PostgresTestServer, schema: str, halfvec: bool
) -> None:
    """Another user holds the very query vector and deleted memories sit next to it: neither may come
    back; the scores are the exact float32 cosines (halfvec only shortlists)."""
    rng = np.random.default_rng(4)
    base = _unit(rng, 1)[0]
    near = base + 0.05 * rng.normal(size=(40, DIM)).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    vectors = np.vstack([np.tile(base, (20, 1)), near, _unit(rng, 600)])
    specs = [{"text": f"other {i}", "user_id": "intruder"} for i in range(20)]
    specs += [
        {
            "text": f"near {i}",
            "user_id": "u",
            **({"deleted_at": "2026-01-02T00:00:00.000000Z"} if i % 2 else {}),
        }
        for i in range(40)
    ]
    specs += [
        {"text": f"far {i}", "user_id": "u" if i % 3 else "intruder", "metadata": {"n": i}}
        for i in range(600)
    ]
    store = PostgresStore(pg_server.url, schema=schema, hnsw=True, halfvec=halfvec, hnsw_min_scope=0)
    try:
        _insert(store, specs, vectors)
        hits = store.search_vector(Scope(user_id="u"), base, None, 15)
        texts = [m.text for m, _ in hits]
        assert len(hits) == 15 and all(m.user_id == "u" and m.deleted_at is None for m, _ in hits)
        assert not any(t.startswith("other") for t in texts)
        live_near = {f"near {i}" for i in range(0, 40, 2)}
        assert set(texts[:10]) <= live_near  # the 20 live near ones outrank every far one
        by_text = {s["text"]: i for i, s in enumerate(specs)}
        for item, score in hits:
            assert score == pytest.approx(float(vectors[by_text[item.text]] @ base), abs=1e-5)
        assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
        # with a filter, the iterative scan keeps going until it has enough rows of the scope
        flt = parse_filter({"n": {"gte": 300}})
        filtered = store.search_vector(Scope(user_id="u"), base, flt, 10)
        assert len(filtered) == 10 and all(m.user_id == "u" and m.metadata["n"] >= 300 for m, _ in filtered)
    finally:
        store.close()


@pytest.mark.slow
class TestPostgresHalfvecConformance(StoreConformance):
    """The whole contract with the halfvec HNSW index taking every scope past 100 rows."""

    @pytest.fixture
    def store(self, pg_server: PostgresTestServer) -> Iterator[MemoryStore]:
        store = PostgresStore(
            pg_server.url, schema=f"hv_{uuid.uuid4().hex[:12]}", hnsw=True, halfvec=True, hnsw_min_scope=100
        )
        yield store
        store.drop_schema()
        store.close()


def test_a_reset_store_takes_another_dimension_with_its_index(
    pg_server: PostgresTestServer, schema: str
) -> None:
    store = PostgresStore(pg_server.url, schema=schema, hnsw=True, halfvec=True, hnsw_min_scope=0)
    try:
        _insert(store, [{"text": "a", "user_id": "u"}], _unit(np.random.default_rng(6), 1))
        store.reset()
        store.bind_embedder("other-8", 8)
        vector = np.ones((1, 8), dtype=np.float32) / np.sqrt(8)
        from memspan.testing.stores import _event, _item

        item = _item("b", user_id="u")
        store.insert([item], vector, [_event(item)])
        assert [m.text for m, _ in store.search_vector(Scope(user_id="u"), vector[0], None, 3)] == ["b"]
        assert "memories_hnsw_half" in _indexes(pg_server.url, schema)
    finally:
        store.close()


def test_keyword_ranking_in_sql_matches_scoring_every_match_in_python(
    pg_server: PostgresTestServer, schema: str
) -> None:
    """The keyword search ranks in SQL and returns ``limit`` rows; the answer must be what scoring
    every match of the scope in Python (the reference :func:`coverage` and :func:`best`) gives."""
    from memspan.keyword import best, coverage, query_terms
    from memspan.stores._postgres_sql import tsquery

    rng = np.random.default_rng(8)
    vocabulary = [f"word{k}" for k in range(60)]
    weights = 1.0 / np.arange(1, 61)
    weights /= weights.sum()
    specs = [
        {"text": " ".join(rng.choice(vocabulary, size=6, p=weights)), "user_id": "u" if i % 4 else "v"}
        for i in range(800)
    ]
    store = PostgresStore(pg_server.url, schema=schema)
    try:
        _insert(store, specs, _unit(rng, 800))
        scope = Scope(user_id="u")
        for _ in range(25):
            query = " ".join(rng.choice(vocabulary, size=3))
            terms = query_terms(query)
            flags = ", ".join("tsv @@ " + tsquery(t, "%(t" + str(i) + ")s") for i, t in enumerate(terms))
            rows = store._query(
                f"SELECT pk, text, {flags} FROM {{s}}.memories WHERE user_id = 'u' AND deleted_at IS NULL",
                {f"t{i}": t for i, t in enumerate(terms)},
            )
            containing = [sum(1 for r in rows if r[2 + i]) for i in range(len(terms))]
            matched = {r[0]: [i for i in range(len(terms)) if r[2 + i]] for r in rows if any(r[2:])}
            want = best(coverage(len(rows), containing, matched), 10, {pk: pk for pk in matched})
            texts = {r[0]: r[1] for r in rows}
            got = store.search_keyword(scope, query, None, 10)
            assert [(m.text, round(s, 12)) for m, s in got] == [(texts[pk], round(s, 12)) for pk, s in want]
    finally:
        store.close()
