"""PostgreSQL + pgvector passes the conformance suite, against a real server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from memspan.ports import MemoryStore
from memspan.stores.postgres import PostgresStore
from memspan.testing import PostgresTestServer, StoreConformance


class TestPostgresConformance(StoreConformance):
    @pytest.fixture
    def store(self, pg_server: PostgresTestServer) -> Iterator[MemoryStore]:
        store = PostgresStore(pg_server.url, schema=f"t_{uuid.uuid4().hex[:12]}")
        yield store
        store.drop_schema()
        store.close()


class TestPostgresHNSWConformance(StoreConformance):
    """With the HNSW index and a low threshold, big scopes take the ANN path; answers stay right."""

    @pytest.fixture
    def store(self, pg_server: PostgresTestServer) -> Iterator[MemoryStore]:
        store = PostgresStore(pg_server.url, schema=f"h_{uuid.uuid4().hex[:12]}", hnsw=True, hnsw_min_scope=100)
        yield store
        store.drop_schema()
        store.close()
