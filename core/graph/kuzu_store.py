"""The embedded graph store: one kuzu database file beside the memories, no server.

kuzu wants a schema, so the tables are declared on open (idempotently); everything else is the shared
Cypher of :class:`~memspan.graph.cypher.CypherGraphStore`. One connection is shared and guarded by a
lock, because :class:`~memspan.AsyncMemory` runs blocking ports in worker threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import StoreError, ValidationError
from .cypher import CypherGraphStore, Params, Statement

try:
    import kuzu
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ValidationError(f"the embedded graph needs kuzu: pip install 'memspan[graph]' ({exc})") from exc

_SCHEMA = (
    "CREATE NODE TABLE IF NOT EXISTS MemspanEntity(id STRING, key STRING, name STRING, type STRING, "
    "user_id STRING, agent_id STRING, run_id STRING, created_at STRING, deleted_at STRING, PRIMARY KEY(id))",
    "CREATE NODE TABLE IF NOT EXISTS MemspanMemory(id STRING, user_id STRING, agent_id STRING, "
    "run_id STRING, created_at STRING, PRIMARY KEY(id))",
    "CREATE REL TABLE IF NOT EXISTS MENTIONS(FROM MemspanMemory TO MemspanEntity)",
    "CREATE REL TABLE IF NOT EXISTS RELATES(FROM MemspanEntity TO MemspanEntity, id STRING, "
    "relation STRING, valid_from STRING, valid_to STRING, memory_id STRING, created_at STRING, "
    "deleted_at STRING)",
)


class KuzuGraphStore(CypherGraphStore):
    """Graph store in a kuzu database file (``kuzu:///path/graph.kuzu``)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = kuzu.Database(str(self.path))
            self._conn = kuzu.Connection(self._db)
        except RuntimeError as exc:
            raise StoreError(
                f"cannot open the kuzu graph at {self.path}: {exc}. Another process may hold it open, "
                "or it was written by a different kuzu version."
            ) from exc
        self._lock = threading.Lock()
        for statement in _SCHEMA:
            self.run(statement, {})

    @classmethod
    def from_url(cls, url: str) -> KuzuGraphStore:
        """``kuzu:///relative/graph.kuzu`` or ``kuzu:////absolute/graph.kuzu``."""
        path = url.split("://", 1)[1]
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ValidationError(f"no file path in {url!r}; use kuzu:///path/to/graph.kuzu")
        return cls(path)

    def _execute(self, query: str, params: Params) -> list[list[Any]]:
        try:
            result = self._conn.execute(query, params)
        except RuntimeError as exc:
            raise StoreError(f"kuzu refused a graph statement: {exc}") from exc
        results = result if isinstance(result, list) else [result]
        return [list(row) for row in results[-1].get_all()]

    def run(self, query: str, params: Params) -> list[list[Any]]:
        with self._lock:
            return self._execute(query, params)

    def run_transaction(self, statements: Sequence[Statement]) -> None:
        with self._lock:
            self._execute("BEGIN TRANSACTION", {})
            try:
                for query, params in statements:
                    self._execute(query, params)
            except BaseException:
                self._execute("ROLLBACK", {})
                raise
            self._execute("COMMIT", {})

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._db.close()
