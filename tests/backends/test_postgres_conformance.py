"""PostgreSQL + pgvector passes the conformance suite, against a real server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from memspan.filters import parse_filter
from memspan.ports import MemoryStore
from memspan.scope import Scope
from memspan.stores.postgres import PostgresStore
from memspan.testing import PostgresTestServer, StoreConformance
from memspan.testing.stores import _insert


class TestPostgresConformance(StoreConformance):
    @pytest.fixture
    def store(self, pg_server: PostgresTestServer) -> Iterator[MemoryStore]:
        store = PostgresStore(pg_server.url, schema=f"t_{uuid.uuid4().hex[:12]}")
        yield store
        store.drop_schema()
        store.close()


@pytest.mark.slow
class TestPostgresHNSWConformance(StoreConformance):
    """With the HNSW index and a low threshold, big scopes take the ANN path; answers stay right."""

    @pytest.fixture
    def store(self, pg_server: PostgresTestServer) -> Iterator[MemoryStore]:
        store = PostgresStore(
            pg_server.url, schema=f"h_{uuid.uuid4().hex[:12]}", hnsw=True, hnsw_min_scope=100
        )
        yield store
        store.drop_schema()
        store.close()


def test_hnsw_path_keeps_scope_and_filters_and_finds_the_neighbours(pg_server: PostgresTestServer) -> None:
    store = PostgresStore(pg_server.url, schema=f"h_{uuid.uuid4().hex[:12]}", hnsw=True, hnsw_min_scope=100)
    try:
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(1200, 64)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        specs = [
            {"text": f"row {i}", "user_id": f"u{i % 3}", "metadata": {"even": i % 2 == 0}}
            for i in range(1200)
        ]
        _insert(store, specs, vectors)
        assert store._use_hnsw(Scope(user_id="u1"), "user_id = %(scope_user_id)s", {"scope_user_id": "u1"})
        only_even = parse_filter({"even": True})
        recalls = []
        for q in range(20):
            query = vectors[q * 7] + 0.1 * rng.normal(size=64).astype(np.float32)
            rows = [i for i in range(1200) if i % 3 == 1 and i % 2 == 0]
            exact = {f"row {i}" for i in sorted(rows, key=lambda i: -float(vectors[i] @ query))[:10]}
            hits = store.search_vector(Scope(user_id="u1"), query, only_even, 10)
            assert len(hits) == 10 and all(m.user_id == "u1" and m.metadata["even"] for m, _ in hits)
            recalls.append(len(exact & {m.text for m, _ in hits}) / 10)
        assert np.mean(recalls) >= 0.9
    finally:
        store.drop_schema()
        store.close()


def test_memspan_store_setting_selects_postgres(
    pg_server: PostgresTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memspan import Memory
    from memspan.embedders import HashingEmbedder

    schema = f"e_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("MEMSPAN_STORE", f"{pg_server.url}?schema={schema}")
    with Memory(embedder=HashingEmbedder(32)) as memory:
        assert isinstance(memory.store, PostgresStore) and memory.store.schema == schema
        memory.add("chosen by MEMSPAN_STORE", user_id="u", infer=False)
        assert memory.search("chosen", user_id="u")[0].text == "chosen by MEMSPAN_STORE"
        memory.store.drop_schema()


def test_url_configuration_and_schema_versions(pg_server: PostgresTestServer) -> None:
    import psycopg

    from memspan import Memory
    from memspan.embedders import HashingEmbedder
    from memspan.errors import SchemaVersionError, ValidationError

    schema = f"u_{uuid.uuid4().hex[:10]}"
    url = f"{pg_server.url.replace('postgresql://', 'postgresql+psycopg://')}?schema={schema}&pool_size=3&connect_timeout=5"
    with Memory(url, embedder=HashingEmbedder(32)) as memory:
        assert isinstance(memory.store, PostgresStore)
        assert memory.store.schema == schema and memory.store.hnsw is False
        memory.add("configured by URL", user_id="u", infer=False)
        assert memory.store.embedder_info() == ("hashing-32", 32)
    indexed = PostgresStore.from_url(f"{url}&hnsw=true&halfvec=0")
    assert indexed.hnsw is True and indexed.halfvec is False
    indexed.close()
    with pytest.raises(ValidationError):
        PostgresStore(pg_server.url, schema="Bad-Name")
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f'INSERT INTO "{schema}".schema_migrations(version) VALUES (99)')
    with pytest.raises(SchemaVersionError, match="upgrade memspan"):
        PostgresStore(pg_server.url, schema=schema)
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_a_schema_from_before_cjk_keywords_finds_its_cjk_memories_after_the_upgrade(
    pg_server: PostgresTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memspan import Memory
    from memspan.embedders import HashingEmbedder
    from memspan.stores import _postgres_schema

    schema = f"k_{uuid.uuid4().hex[:10]}"
    monkeypatch.setattr(_postgres_schema, "MIGRATIONS", _postgres_schema.MIGRATIONS[:1])
    old = PostgresStore(pg_server.url, schema=schema)

    def expiry_column(change: str) -> None:  # today's code writes migration 3's column: lend it one
        with old._transaction() as conn:
            conn.execute(f'ALTER TABLE "{schema}".memories {change}')

    expiry_column("ADD COLUMN expires_at text")
    with Memory(store=old, embedder=HashingEmbedder(32)) as memory:
        memory.add(["我的姐姐住在布尔诺", "I like green tea", "茶"], user_id="u", infer=False)
        assert old.search_keyword(Scope(user_id="u"), "姐姐", None, 5) == []  # one token per clause
        expiry_column("DROP COLUMN expires_at")  # exactly what version 1 left
    monkeypatch.undo()
    store = PostgresStore(pg_server.url, schema=schema)
    try:
        scope = Scope(user_id="u")
        assert [m.text for m, _ in store.search_keyword(scope, "姐姐住在哪里", None, 5)] == [
            "我的姐姐住在布尔诺"
        ]
        assert [m.text for m, _ in store.search_keyword(scope, "茶", None, 5)] == ["茶"]
        assert [m.text for m, _ in store.search_keyword(scope, "green tea", None, 5)] == ["I like green tea"]
    finally:
        store.drop_schema()
        store.close()
