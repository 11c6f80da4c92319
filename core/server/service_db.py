"""The service's own SQLite file: API keys and the access log, kept apart from the memory store.

Kept apart so the service works over any store (SQLite, PostgreSQL, Weaviate) and so a memory
export never carries key hashes. The schema is a list of numbered migrations, like the store's.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._files import create_private_file
from ..errors import SchemaVersionError, StoreError

V1 = """
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    admin        INTEGER NOT NULL DEFAULT 0,
    grants       TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE TABLE access_log (
    pk        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    key_name  TEXT NOT NULL,
    action    TEXT NOT NULL,
    operation TEXT NOT NULL,
    memory_id TEXT,
    user_id   TEXT,
    agent_id  TEXT,
    run_id    TEXT
);
CREATE INDEX access_log_memory ON access_log(memory_id, pk);
CREATE INDEX access_log_key ON access_log(key_id, pk);
CREATE INDEX access_log_user ON access_log(user_id, pk)
"""

# One row per request instead of one per memory (a list of 500 memories cost 500 rows): the ids a
# call touched go into memory_ids, space-separated; a write's row is committed as 'started' before
# the store is touched and marked 'done' (or 'failed') when it answered.
V2 = """
ALTER TABLE access_log ADD COLUMN memory_ids TEXT;
ALTER TABLE access_log ADD COLUMN count INTEGER;
ALTER TABLE access_log ADD COLUMN status TEXT NOT NULL DEFAULT 'done'
"""

#: migration N (1-based) is MIGRATIONS[N - 1]; append, never edit a released one
MIGRATIONS: list[str] = [V1, V2]


def default_service_path(store_location: str) -> Path:
    """Next to a SQLite store file (``memspan.db`` → ``memspan.service.db``), else in ``~/.memspan``."""
    if "://" not in store_location or store_location.startswith("sqlite://"):
        path = store_location.split("://", 1)[-1].lstrip("/") if "://" in store_location else store_location
        if store_location.startswith("sqlite:////"):
            path = "/" + path
        store = Path(path).expanduser()
        return store.with_name(store.stem + ".service.db")
    return Path.home() / ".memspan" / "service.db"


def _unwritable(path: Path, exc: sqlite3.Error) -> StoreError:
    # SQLite's own words ("database or disk is full", "attempt to write a readonly database") name
    # the fault and carry no memory content
    return StoreError(f"the service database (API keys and access log) failed: {exc}")


class ServiceDB:
    """One SQLite connection shared by the server's worker threads, serialised by a lock.

    Every SQLite failure (disk full, read-only file) surfaces as :class:`StoreError`, which the REST
    layer answers with 503: callers of the service fail closed instead of getting a plain 500.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        try:
            create_private_file(self.path)  # key hashes and who read what: the owner's alone
        except OSError as exc:
            raise StoreError(f"cannot create the service database {self.path}: {exc}") from exc
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable memspan service database ({exc})") from exc

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS service_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = int(
                conn.execute("SELECT coalesce(max(version), 0) FROM service_migrations").fetchone()[0]
            )
            if current > len(MIGRATIONS):
                raise SchemaVersionError(
                    f"{self.path} has service schema version {current}, newer than this memspan "
                    f"understands ({len(MIGRATIONS)}); upgrade memspan"
                )
            for version in range(current + 1, len(MIGRATIONS) + 1):
                for statement in MIGRATIONS[version - 1].split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO service_migrations(version, applied_at) VALUES (?, datetime('now'))",
                    (version,),
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    if self._conn.in_transaction:  # a full disk may have rolled it back already
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise _unwritable(self.path, exc) from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise _unwritable(self.path, exc) from exc

    def schema_versions(self) -> tuple[int, int]:
        """(the file's service schema version, this memspan's): /readyz compares them."""
        rows = self.query("SELECT coalesce(max(version), 0) FROM service_migrations")
        return int(rows[0][0]), len(MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
