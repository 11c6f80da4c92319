"""The embedded default store: one SQLite file (WAL) with memories, vectors, FTS5 and history.

Vector search is exact within a scope: the vectors live in the file (float32) and are mirrored in
memory in compact form (int8, grouped by scope; see ``_vector_cache``), which every reader brings up
to date from a change counter (``meta.seq``) before it searches, so several processes can share one
file and each sees the others' writes. The mirror shortlists; the file's vectors rescore exactly.

This module opens the file (schema migrations, the keyword index's health) and reads; the
connection and its transactions are :mod:`._sqlite_base`, the write path :mod:`._sqlite_writes`,
deleting and purging a scope :mod:`._sqlite_purge`, searches and scoped reads :mod:`._sqlite_reads`, rows and SQL pieces :mod:`._sqlite_rows`.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import create_private_file
from ..errors import ReadOnlyStoreError, SchemaVersionError, StoreError
from ..ports import Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from ._expiry_sqlite import NOT_EXPIRED, sweep_batch
from ._sqlite_fts import needs_repair, repair
from ._sqlite_purge import PURGE_WAL_WAIT, SQLitePurges
from ._sqlite_reads import SQLiteReads
from ._sqlite_rows import (
    ITEM_COLUMNS,
    _corrupt,
    _row_item,
    _scope_sql,
    filter_record,
    scope_match,
)
from ._sqlite_schema import AFTER, MIGRATIONS, statements
from ._sqlite_writes import SQLiteWrites
from ._vector_cache import VectorCache

log = logging.getLogger("memspan.store")

__all__ = ["ITEM_COLUMNS", "PURGE_WAL_WAIT", "SQLiteStore", "filter_record", "scope_match"]


class SQLiteStore(SQLiteWrites, SQLitePurges, SQLiteReads):
    """All of memspan's state in one SQLite file. Safe for several threads and processes."""

    def __init__(
        self, path: str | os.PathLike[str] = "memspan.db", *, read_only: bool = False, timeout: float = 30.0
    ):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self._busy_ms = int(timeout * 1000)
        #: purges whose erasure is not verified yet (their WAL could not be emptied): ids, texts, when
        self._unverified: list[tuple[list[str], list[str], str]] = []
        exists = self.path.exists()
        if not exists and read_only:
            raise StoreError(f"{self.path} does not exist (cannot create a store read-only)")
        if exists and not read_only and not os.access(self.path, os.W_OK):
            read_only = True  # a file we cannot write is still readable
        self.read_only = read_only
        if not exists:
            try:
                create_private_file(self.path)  # 0600 in a 0700 folder: memories are personal data
            except OSError as exc:
                raise StoreError(f"cannot create the store file {self.path}: {exc}") from exc
        try:
            self._conn = self._connect(timeout)
            self._migrate()
            self._repair_index()
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "_conn"):
                self._conn.close()
            raise StoreError(
                f"{self.path} is not a usable memspan database ({exc}); "
                "restore it from a backup or `memspan export` from a good copy"
            ) from exc
        self._cache = VectorCache()
        self._filter_memo: tuple[Any, set[int]] | None = None
        self._closed = False
        self._size_memo: tuple[Any, int] | None = None
        self._expired_memo: tuple[Any, float, set[int]] | None = None

    @classmethod
    def from_url(cls, url: str) -> SQLiteStore:
        """``sqlite:///relative.db``, ``sqlite:////absolute/path.db``, ``sqlite:///~/m.db``."""
        path = url.split("://", 1)[1]
        if path.startswith("/"):
            path = path[1:]
        if not path:
            raise StoreError(f"no file path in {url!r}; use sqlite:///path/to/memspan.db")
        return cls(path)

    # -- plumbing --------------------------------------------------------------------------

    def _migrate(self) -> None:
        conn = self._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "schema_migrations" not in tables:
            raise StoreError(f"{self.path} is an SQLite file, but not a memspan database")
        current = self._schema_version() if tables else 0
        if current > len(MIGRATIONS):
            raise SchemaVersionError(
                f"{self.path} has schema version {current}, newer than this memspan understands "
                f"({len(MIGRATIONS)}); upgrade memspan (pip install -U memspan)"
            )
        if current == len(MIGRATIONS):
            return
        if self.read_only:
            raise ReadOnlyStoreError(f"{self.path} needs a schema upgrade but is read-only")
        with self._transaction():
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = self._schema_version()  # another process may have migrated meanwhile
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                if version in AFTER:
                    AFTER[version](conn)
                conn.execute(
                    "INSERT INTO schema_migrations(version, applied_at) VALUES (?, datetime('now'))",
                    (version,),
                )

    def _repair_index(self) -> None:
        """Rebuild a keyword index whose structure grew towards SQLite's limit (see
        :mod:`._sqlite_fts`: after about a thousand purges by earlier memspan versions, older
        SQLite releases reported the store as "database disk image is malformed")."""
        if self.read_only or not needs_repair(self._conn):
            return
        with self._transaction() as conn:
            if needs_repair(conn):  # another process may have repaired it meanwhile
                log.warning("%s: rebuilding its keyword index (too many levels to merge again)", self.path)
                repair(conn)

    def _schema_version(self) -> int:
        with self._lock:  # stats() calls this while other threads may use the connection
            row = self._conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0])

    # -- reads -----------------------------------------------------------------------------

    def get(self, memory_id: str) -> MemoryItem | None:
        rows = self._query(f"SELECT {ITEM_COLUMNS} FROM memories WHERE id = ?", (memory_id,))
        return _row_item(rows[0]) if rows else None

    def sweep_expired(self, at: str, scope: Scope | None = None) -> int:
        """Soft-delete expired memories in batches, each batch one write transaction (see
        :mod:`memspan.expiry`); the vector mirror drops them through the change counter."""
        where, params = _scope_sql(scope) if scope is not None else ("1", [])
        total = 0
        while True:
            with self._transaction() as conn:
                try:
                    swept = sweep_batch(conn, where, params, at, lambda: self._next_seq(conn))
                except sqlite3.DatabaseError as exc:
                    raise self._translate(exc) from exc
            total += swept
            if swept == 0:
                return total

    def history(self, memory_id: str) -> list[HistoryEvent]:
        rows = self._query(
            "SELECT memory_id, event, old_text, new_text, created_at, user_id, agent_id, run_id, old_metadata, "
            "new_metadata, reason FROM history WHERE memory_id = ? ORDER BY pk",
            (memory_id,),
        )
        try:
            return [
                HistoryEvent(
                    memory_id=r[0],
                    event=Event(r[1]),
                    old_text=r[2],
                    new_text=r[3],
                    created_at=r[4],
                    user_id=r[5],
                    agent_id=r[6],
                    run_id=r[7],
                    old_metadata=None if r[8] is None else json.loads(r[8]),
                    new_metadata=None if r[9] is None else json.loads(r[9]),
                    reason=r[10],
                )
                for r in rows
            ]
        except (TypeError, ValueError, RecursionError) as exc:
            raise _corrupt(memory_id, exc) from exc

    def iter_memories(self, *, include_deleted: bool = True, batch_size: int = 500) -> Iterator[MemoryItem]:
        live = "" if include_deleted else " AND deleted_at IS NULL"
        last = 0
        while True:
            rows = self._query(
                f"SELECT {ITEM_COLUMNS} FROM memories WHERE pk > ?{live} ORDER BY pk LIMIT ?",
                (last, batch_size),
            )
            if not rows:
                return
            yield from map(_row_item, rows)
            last = rows[-1][0]

    def vectors(self, memory_ids: Sequence[str]) -> dict[str, Vector]:
        rows = self._query(
            "SELECT id, embedding FROM memories WHERE embedding IS NOT NULL AND id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(memory_ids)),),
        )
        return {mid: np.frombuffer(blob, dtype="<f4").copy() for mid, blob in rows}

    def count(self, scope: Scope | None = None, *, include_deleted: bool = False) -> int:
        where, params = _scope_sql(scope) if scope is not None else ("1", [])
        live = "" if include_deleted else f" AND deleted_at IS NULL AND {NOT_EXPIRED}"
        return int(self._query(f"SELECT count(*) FROM memories WHERE {where}{live}", params)[0][0])

    def stats(self) -> dict[str, Any]:
        """Counts and sizes, for ``memspan stats``."""
        return {
            "path": str(self.path),
            "memories": self.count(),
            "deleted": self.count(include_deleted=True) - self.count(),
            "history_events": self._query("SELECT count(*) FROM history")[0][0],
            "users": self._query("SELECT count(DISTINCT user_id) FROM memories WHERE deleted_at IS NULL")[0][
                0
            ],
            "embedder": self._meta("embedder"),
            "dimension": None if self._meta("dimension") is None else int(self._meta("dimension") or 0),
            "schema_version": self._schema_version(),
            "file_bytes": self.path.stat().st_size if self.path.exists() else 0,
        }

    def schema_versions(self) -> tuple[int, int]:
        """(the file's schema version, this memspan's): ``memspan serve``'s /readyz compares them."""
        rows = self._query("SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(rows[0][0]), len(MIGRATIONS)

    def audit_log(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT action, scope, count, created_at FROM audit ORDER BY pk")
        return [{"action": a, "scope": json.loads(s), "count": c, "created_at": t} for a, s, c, t in rows]

    def close(self) -> None:
        """Close the connection (a second call does nothing), emptying a WAL a purge left behind."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if not self.read_only and self._meta("wal_pending") is not None:
                    self.scrub_wal()  # a purge left erased text in the WAL: empty it if we can now
            finally:
                self._conn.close()
