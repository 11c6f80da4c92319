"""Neo4j through the official driver, with the same Cypher as the other backends.

Writes run in one managed write transaction (retried by the driver on transient cluster errors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from neo4j import GraphDatabase, ManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from ..errors import StoreError
from .cypher import CypherGraphStore, Params, Statement

_INDEXES = (
    "CREATE INDEX memspan_entity_id IF NOT EXISTS FOR (n:MemspanEntity) ON (n.id)",
    "CREATE INDEX memspan_entity_key IF NOT EXISTS FOR (n:MemspanEntity) ON (n.key)",
    "CREATE INDEX memspan_memory_id IF NOT EXISTS FOR (n:MemspanMemory) ON (n.id)",
)


class Neo4jGraphStore(CypherGraphStore):
    """Graph store on a Neo4j server (``neo4j://`` or ``bolt://`` URLs; auth as user/password)."""

    def __init__(
        self, url: str, *, user: str = "neo4j", password: str | None = None, database: str | None = None
    ):
        self.database = database
        self._driver = GraphDatabase.driver(url, auth=(user, password) if password is not None else None)
        try:
            self._driver.verify_connectivity()
        except (ServiceUnavailable, Neo4jError) as exc:
            raise StoreError(
                f"cannot reach Neo4j at {url}: {exc}; check NEO4J_URL and the credentials"
            ) from exc
        for statement in _INDEXES:
            self.run(statement, {})

    @classmethod
    def from_url(cls, url: str) -> Neo4jGraphStore:
        """``neo4j://user:password@host:7687/database`` (or ``bolt://``); the path names the database."""
        parts = urlsplit(url)
        netloc = parts.hostname or "localhost"
        if parts.port:
            netloc += f":{parts.port}"
        return cls(
            urlunsplit((parts.scheme, netloc, "", parts.query, "")),
            user=unquote(parts.username) if parts.username else "neo4j",
            password=unquote(parts.password) if parts.password else None,
            database=parts.path.strip("/") or None,
        )

    def run(self, query: str, params: Params) -> list[list[Any]]:
        try:
            records, _, _ = self._driver.execute_query(query, params, database_=self.database)
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused a graph statement: {exc}") from exc
        return [list(record.values()) for record in records]

    def run_transaction(self, statements: Sequence[Statement]) -> None:
        def work(tx: ManagedTransaction) -> None:
            for query, params in statements:
                tx.run(query, params).consume()

        try:
            with self._driver.session(database=self.database) as session:
                session.execute_write(work)
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused a graph write: {exc}") from exc

    def close(self) -> None:
        self._driver.close()
