"""The server graph store: FalkorDB (a Redis module) through its official client.

FalkorDB runs each query atomically but has no multi-statement transaction, so a write's statements
are chained into one query with ``WITH count(*) AS _n`` between them (an aggregate always yields one
row, even after an ``UNWIND`` of an empty list, so every part runs). Parameters travel in the
client's ``CYPHER name=value`` header, which the client escapes; no value is spliced by memspan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from falkordb import FalkorDB
from redis.exceptions import RedisError

from ..errors import StoreError, ValidationError
from .cypher import CypherGraphStore, Params, Statement

DEFAULT_GRAPH = "memspan"


def chain(statements: Sequence[Statement]) -> Statement:
    """Several statements as one query; their parameters must not disagree."""
    params: Params = {}
    for _, part in statements:
        for name, value in part.items():
            if name in params and params[name] != value:
                raise ValueError(f"parameter ${name} has two values in one chained write")
            params[name] = value
    joined = " ".join(
        f"{query} WITH count(*) AS _{i}" if i < len(statements) - 1 else query
        for i, (query, _) in enumerate(statements)
    )
    return joined, params


class FalkorDBGraphStore(CypherGraphStore):
    """Graph store on a FalkorDB server (``falkordb://host:port/graph``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        graph: str = DEFAULT_GRAPH,
        password: str | None = None,
        username: str | None = None,
    ):
        self.graph_name = graph
        try:
            self._db = FalkorDB(host=host, port=port, password=password, username=username)
            self._graph = self._db.select_graph(graph)
            for label, prop in (("MemspanEntity", "id"), ("MemspanEntity", "key"), ("MemspanMemory", "id")):
                self._ensure_index(label, prop)
        except RedisError as exc:
            raise StoreError(
                f"cannot reach FalkorDB at {host}:{port}: {exc}; is the server running?"
            ) from exc

    @classmethod
    def from_url(cls, url: str) -> FalkorDBGraphStore:
        """``falkordb://[user:password@]host:port[/graph]``."""
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValidationError(f"no host in {url!r}; use falkordb://127.0.0.1:6379/memspan")
        return cls(
            parts.hostname,
            parts.port or 6379,
            graph=parts.path.strip("/") or DEFAULT_GRAPH,
            password=unquote(parts.password) if parts.password else None,
            username=unquote(parts.username) if parts.username else None,
        )

    def _ensure_index(self, label: str, prop: str) -> None:
        existing = self._graph.query("CALL db.indexes() YIELD label, properties RETURN label, properties")
        for row in existing.result_set:
            if row[0] == label and prop in row[1]:
                return
        # labels and property names are fixed identifiers of memspan's schema, not caller values
        self._graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.{prop})")

    def run(self, query: str, params: Params) -> list[list[Any]]:
        try:
            result = self._graph.query(query, params)
        except RedisError as exc:
            raise StoreError(f"FalkorDB refused a graph statement: {exc}") from exc
        return [list(row) for row in result.result_set]

    def run_transaction(self, statements: Sequence[Statement]) -> None:
        if statements:
            self.run(*chain(statements))

    def drop(self) -> None:
        """Delete the whole graph key from the server (tests use a graph per test)."""
        try:
            self._graph.delete()
        except RedisError as exc:
            raise StoreError(f"cannot drop FalkorDB graph {self.graph_name}: {exc}") from exc

    def close(self) -> None:
        self._db.connection.close()
