"""The SQLite store's connection: one per store object, used under the store's lock, every write
in one ``BEGIN IMMEDIATE`` transaction, every SQLite error a :class:`~memspan.errors.StoreError`.

:class:`~memspan.stores.sqlite.SQLiteStore` is built on this (with its write path,
:mod:`._sqlite_writes`, and its purge path, :mod:`._sqlite_purge`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import DimensionMismatchError, ReadOnlyStoreError, StoreError
from ..ports import MemoryStore, Vector
from ._expiry_sqlite import install_clock


class SQLiteBase(MemoryStore):
    """What every part of the SQLite store uses: the connection, its lock and its transactions."""

    path: Path
    read_only: bool
    _conn: sqlite3.Connection
    _lock: threading.RLock
    _busy_ms: int
    #: purges whose erasure is not verified yet (their WAL could not be emptied): ids, texts, when
    _unverified: list[tuple[list[str], list[str], str]]

    def _connect(self, timeout: float) -> sqlite3.Connection:
        def connect(target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
            conn = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
            conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            install_clock(conn, lambda: self.clock())  # memspan_now() for the expiry condition
            return conn

        if not self.read_only:
            conn = connect(self.path)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # freed pages are zeroed, so erased memories (purge, old texts) leave no bytes behind
            conn.execute("PRAGMA secure_delete=ON")
            return conn
        uri = f"file:{self.path.resolve()}?mode=ro"
        conn = connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # a WAL file whose directory we cannot write has no shared-memory file to read through:
            # open it as immutable (we cannot change it, and we will not see later writes by others)
            conn.close()
            conn = connect(uri + "&immutable=1", uri=True)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any SQLite error on the way is a StoreError.

        SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error), so
        the rollback runs only while a transaction is still open; a rollback that fails too is
        noted on the error that caused it.
        """
        with self._lock:
            if self.read_only:
                raise ReadOnlyStoreError(
                    f"{self.path} is open read-only; open it writable to change memories"
                )
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback(exc)
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc) from exc
                raise

    def _rollback(self, cause: BaseException) -> None:
        if not self._conn.in_transaction:
            return  # SQLite already rolled it back
        try:
            self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            cause.add_note(f"the rollback failed too: {exc}")

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        message = str(exc)
        if "readonly" in message or "read-only" in message:
            return ReadOnlyStoreError(f"{self.path} is read-only: {message}")
        if "locked" in message or "busy" in message:
            return StoreError(f"{self.path} stayed locked by another writer: {message}; try again")
        if "full" in message:
            return StoreError(
                f"{self.path}: the disk is full ({message}); nothing of this write was stored; "
                "free some space and try again"
            )
        if "malformed" in message or "not a database" in message:
            return StoreError(
                f"{self.path} is damaged ({message}); restore it from a backup or "
                "`memspan export` what is still readable"
            )
        return StoreError(f"{self.path}: {message}")

    def _next_seq(self, conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        return int(row[0])

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def _check_vectors(self, vectors: Vector, rows: int) -> None:
        dim = self._meta("dimension")
        if vectors.ndim != 2 or vectors.shape[0] != rows:
            raise StoreError(f"expected {rows} vectors, got an array of shape {vectors.shape}")
        if dim is not None and vectors.shape[1] != int(dim):
            raise DimensionMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {dim}"
            )

    # -- embedding model -------------------------------------------------------------------

    def bind_embedder(self, model_id: str, dimension: int) -> None:
        stored_dim, stored_model = self._meta("dimension"), self._meta("embedder")
        if stored_dim is None:
            if self.read_only:
                return
            with self._transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('dimension', ?)", (str(dimension),)
                )
                conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('embedder', ?)", (model_id,))
            stored_dim, stored_model = self._meta("dimension"), self._meta("embedder")
        if stored_dim is not None and int(stored_dim) != dimension:
            raise DimensionMismatchError(
                f"{self.path} holds {stored_dim}-dimensional vectors from {stored_model!r}, but the "
                f"embedder {model_id!r} makes {dimension}-dimensional ones; use the same embedder, "
                "or export the memories and import them into a new store"
            )
        if stored_model is not None and stored_model != model_id:
            raise DimensionMismatchError(
                f"{self.path} was embedded with {stored_model!r}, not {model_id!r}: their vectors "
                "are not comparable; open it with the same embedder, or switch the store with "
                f"`memspan --db {self.path} reembed --to <model>`"
            )

    def embedder_info(self) -> tuple[str, int] | None:
        """The bound embedding model and dimension (``None`` before the first write)."""
        model, dimension = self._meta("embedder"), self._meta("dimension")
        return None if model is None or dimension is None else (model, int(dimension))
