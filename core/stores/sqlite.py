"""The embedded default store: one SQLite file (WAL) with memories, vectors, FTS5 and history.

Vector search is exact within a scope: the vectors live in the file (float32) and are mirrored in
memory in compact form (int8, grouped by scope; see ``_vector_cache``), which every reader brings up
to date from a change counter (``meta.seq``) before it searches, so several processes can share one
file and each sees the others' writes. The mirror shortlists; the file's vectors rescore exactly.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .._files import create_private_file
from ..errors import DimensionMismatchError, ReadOnlyStoreError, SchemaVersionError, StoreError
from ..filters import Filter
from ..keyword import query_terms
from ..ports import Change, MemoryStore, ScoredItems, Vector
from ..scope import SCOPE_KEYS, Scope
from ..text import index_text
from ..types import Event, HistoryEvent, MemoryItem, MemoryType
from ._sqlite_keyword import ranked_matches
from ._sqlite_schema import AFTER, MIGRATIONS, statements
from ._vector_cache import VectorCache, shortlist_size

ITEM_COLUMNS = (
    "pk, id, text, user_id, agent_id, run_id, memory_type, metadata, created_at, updated_at, "
    "hash, source_ids, deleted_at"
)


def _fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def scope_match(scope: Scope) -> str:
    """The FTS5 condition that keeps a keyword match inside a scope (see migration 3).

    Each id is one token, ``u``/``a``/``r`` + its UTF-8 bytes in hex, exactly as the generated
    ``scope_text`` column spells it; the SQL still checks the ids themselves.
    """
    tokens = [f'"{key[0]}{value.encode().hex().upper()}"' for key, value in scope.items()]
    return " AND ".join(f"scope_text : {token}" for token in tokens)


def _scope_sql(scope: Scope, alias: str = "") -> tuple[str, list[str]]:
    prefix = f"{alias}." if alias else ""
    clauses = [f"{prefix}{key} = ?" for key, _ in scope.items()]
    return " AND ".join(clauses) or "1", [value for _, value in scope.items()]


def _json_object(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)  # type: ignore[no-any-return]


def _json_tuple(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


_MEMORY_TYPES = {t.value: t for t in MemoryType}


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _row_item(row: Sequence[Any]) -> MemoryItem:
    """A memory from a row of ``ITEM_COLUMNS`` (positional: a search converts dozens of rows)."""
    return MemoryItem(
        row[1],  # id
        row[2],  # text
        row[3],  # user_id
        row[4],  # agent_id
        row[5],  # run_id
        _MEMORY_TYPES[row[6]],
        _json_object(row[7]),  # metadata
        row[8],  # created_at
        row[9],  # updated_at
        row[10],  # hash
        _json_tuple(row[11]),  # source_ids
        row[12],  # deleted_at
    )


def filter_record(item: MemoryItem) -> dict[str, Any]:
    """What a filter sees of a memory: its metadata plus its own fields."""
    record: dict[str, Any] = dict(item.metadata)
    record.update(
        id=item.id,
        memory_type=item.memory_type.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
        user_id=item.user_id,
        agent_id=item.agent_id,
        run_id=item.run_id,
    )
    for key in SCOPE_KEYS:
        if record[key] is None:
            del record[key]
    return record


class SQLiteStore(MemoryStore):
    """All of memspan's state in one SQLite file. Safe for several threads and processes."""

    def __init__(
        self, path: str | os.PathLike[str] = "memspan.db", *, read_only: bool = False, timeout: float = 30.0
    ):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
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
        except sqlite3.DatabaseError as exc:
            if hasattr(self, "_conn"):
                self._conn.close()
            raise StoreError(
                f"{self.path} is not a usable memspan database ({exc}); "
                "restore it from a backup or `memspan export` from a good copy"
            ) from exc
        self._cache = VectorCache()
        self._filter_memo: tuple[Any, set[int]] | None = None
        self._size_memo: tuple[Any, int] | None = None

    def _connect(self, timeout: float) -> sqlite3.Connection:
        def connect(target: str | Path, *, uri: bool = False) -> sqlite3.Connection:
            conn = sqlite3.connect(
                target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
            )
            conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
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

    def _schema_version(self) -> int:
        return int(
            self._conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self.read_only:
                raise ReadOnlyStoreError(
                    f"{self.path} is open read-only; open it writable to change memories"
                )
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._translate(exc) from exc
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._conn.execute("ROLLBACK")
                raise self._translate(exc) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads from one state of the file (a read transaction; the caller holds the lock)."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        message = str(exc)
        if "readonly" in message or "read-only" in message:
            return ReadOnlyStoreError(f"{self.path} is read-only: {message}")
        if "locked" in message or "busy" in message:
            return StoreError(f"{self.path} stayed locked by another writer: {message}; try again")
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
            except sqlite3.DatabaseError as exc:
                raise self._translate(exc) from exc

    def _meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

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

    def _check_vectors(self, vectors: Vector, rows: int) -> None:
        dim = self._meta("dimension")
        if vectors.ndim != 2 or vectors.shape[0] != rows:
            raise StoreError(f"expected {rows} vectors, got an array of shape {vectors.shape}")
        if dim is not None and vectors.shape[1] != int(dim):
            raise DimensionMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {dim}"
            )

    # -- writes ----------------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[Change],
        items: Sequence[MemoryItem],
        vectors: Vector | None,
        events: Sequence[HistoryEvent],
    ) -> None:
        """One transaction: the changes, then the new memories (all or nothing)."""
        fresh = self._with_vectors(items, vectors)
        for change in changes:
            if change.vector is not None:
                self._check_vectors(change.vector.reshape(1, -1), 1)
        if not changes and not fresh:
            return
        with self._transaction() as conn:
            try:
                seq = self._next_seq(conn)
                for change in changes:
                    self._update_row(conn, change, seq)
                self._insert_rows(conn, fresh, seq)
                self._index_keywords(conn, [c.item for c in changes] + [i for i, _ in fresh])
                self._write_events(conn, [*(c.event for c in changes), *events])
            except sqlite3.DatabaseError as exc:
                raise self._translate(exc) from exc

    def _with_vectors(
        self, items: Sequence[MemoryItem], vectors: Vector | None
    ) -> list[tuple[MemoryItem, Vector]]:
        if not items:
            return []
        if vectors is None:
            raise StoreError(f"{len(items)} new memories came without vectors")
        self._check_vectors(vectors, len(items))
        return list(zip(items, vectors, strict=True))

    @staticmethod
    def _insert_rows(conn: sqlite3.Connection, fresh: Sequence[tuple[MemoryItem, Vector]], seq: int) -> None:
        if not fresh:
            return
        conn.executemany(
            "INSERT INTO memories(id, text, user_id, agent_id, run_id, memory_type, metadata, created_at, "
            "updated_at, hash, source_ids, deleted_at, embedding, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    i.id,
                    i.text,
                    i.user_id,
                    i.agent_id,
                    i.run_id,
                    i.memory_type.value,
                    json.dumps(i.metadata),
                    i.created_at,
                    i.updated_at,
                    i.hash,
                    json.dumps(list(i.source_ids)),
                    i.deleted_at,
                    _blob(v),
                    seq,
                )
                for i, v in fresh
            ],
        )

    @staticmethod
    def _update_row(conn: sqlite3.Connection, change: Change, seq: int) -> None:
        item, vector = change.item, change.vector
        keep_vector = vector is None and item.deleted_at is None
        cursor = conn.execute(
            "UPDATE memories SET text=?, memory_type=?, metadata=?, updated_at=?, hash=?, source_ids=?, "
            f"deleted_at=?, embedding={'embedding' if keep_vector else '?'}, seq=? WHERE id=?",
            (
                item.text,
                item.memory_type.value,
                json.dumps(item.metadata),
                item.updated_at,
                item.hash,
                json.dumps(list(item.source_ids)),
                item.deleted_at,
                *(() if keep_vector else (None if vector is None else _blob(vector),)),
                seq,
                item.id,
            ),
        )
        if cursor.rowcount != 1:
            raise StoreError(f"memory {item.id} vanished during the update")

    @staticmethod
    def _write_events(conn: sqlite3.Connection, events: Sequence[HistoryEvent]) -> None:
        conn.executemany(
            "INSERT INTO history(memory_id, event, old_text, new_text, old_metadata, new_metadata, user_id, "
            "agent_id, run_id, reason, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    e.memory_id,
                    e.event.value,
                    e.old_text,
                    e.new_text,
                    None if e.old_metadata is None else json.dumps(e.old_metadata),
                    None if e.new_metadata is None else json.dumps(e.new_metadata),
                    e.user_id,
                    e.agent_id,
                    e.run_id,
                    e.reason,
                    e.created_at,
                )
                for e in events
            ],
        )

    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        where, params = _scope_sql(scope)
        with self._transaction() as conn:
            seq = self._next_seq(conn)
            if not purge:
                conn.execute(
                    "INSERT INTO history(memory_id, event, old_text, new_text, old_metadata, user_id, agent_id, "
                    "run_id, reason, created_at) SELECT id, 'DELETE', text, NULL, metadata, user_id, agent_id, "
                    f"run_id, 'delete_all', ? FROM memories WHERE {where} AND deleted_at IS NULL",
                    [at, *params],
                )
                cursor = conn.execute(
                    f"UPDATE memories SET deleted_at = ?, updated_at = ?, embedding = NULL, seq = ? "
                    f"WHERE {where} AND deleted_at IS NULL",
                    [at, at, seq, *params],
                )
                return int(cursor.rowcount)
            count = conn.execute(f"SELECT count(*) FROM memories WHERE {where}", params).fetchone()[0]
            conn.execute(
                f"DELETE FROM history WHERE memory_id IN (SELECT id FROM memories WHERE {where})", params
            )
            conn.execute(f"DELETE FROM memories WHERE {where}", params)
            # the full-text index keeps deleted terms in old segments until they are merged
            conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
            conn.execute(
                "INSERT INTO audit(action, scope, count, created_at) VALUES ('PURGE', ?, ?, ?)",
                (json.dumps(scope.as_dict()), count, at),
            )
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'epoch'")
        # b-tree rebalancing during the delete can leave copies of erased cells that secure_delete
        # does not reach: rewrite the file from its live content (cost grows with what remains)
        self._query("VACUUM")
        # the WAL still holds earlier versions of the erased pages: copy it back and empty it
        # (best effort: a reader in another process can keep it until its read ends)
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(count)

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM memories")
            conn.execute("DELETE FROM history")
            conn.execute("DELETE FROM audit")
            conn.execute("DELETE FROM meta WHERE key IN ('dimension', 'embedder')")
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key IN ('epoch', 'seq')")

    # -- reads -----------------------------------------------------------------------------

    def get(self, memory_id: str) -> MemoryItem | None:
        rows = self._query(f"SELECT {ITEM_COLUMNS} FROM memories WHERE id = ?", (memory_id,))
        return _row_item(rows[0]) if rows else None

    def _items_by_pk(self, pks: Sequence[int]) -> dict[int, MemoryItem]:
        if not pks:
            return {}
        rows = self._query(
            f"SELECT {ITEM_COLUMNS} FROM memories WHERE pk IN (SELECT value FROM json_each(?))",
            (json.dumps([int(p) for p in pks]),),
        )
        return {row[0]: _row_item(row) for row in rows}

    def _scope_rows(self, scope: Scope, *, include_deleted: bool, order: str = "") -> list[Any]:
        where, params = _scope_sql(scope)
        live = "" if include_deleted else " AND deleted_at IS NULL"
        return self._query(f"SELECT {ITEM_COLUMNS} FROM memories WHERE {where}{live} {order}", params)

    def list_memories(
        self, scope: Scope, flt: Filter | None, limit: int, *, include_deleted: bool = False, offset: int = 0
    ) -> list[MemoryItem]:
        if flt is None:
            where, params = _scope_sql(scope)
            live = "" if include_deleted else " AND deleted_at IS NULL"
            rows = self._query(
                f"SELECT {ITEM_COLUMNS} FROM memories WHERE {where}{live} "
                "ORDER BY created_at DESC, pk DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
            return [_row_item(r) for r in rows]
        rows = self._scope_rows(
            scope, include_deleted=include_deleted, order="ORDER BY created_at DESC, pk DESC"
        )
        matching = (item for item in map(_row_item, rows) if flt.matches(filter_record(item)))
        return [item for i, item in enumerate(matching) if offset <= i < offset + limit]

    def term_counts(self, scope: Scope, terms: Sequence[str]) -> tuple[int, dict[str, int]] | None:
        in_scope = scope_match(scope)  # the keyword index holds live memories only
        with self._lock, self._snapshot():
            total = self._scope_size(scope)
            if not terms:
                return total, {}
            count = "(SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?)"
            matches = [f"{in_scope} AND text : {_fts_string(term)}" for term in terms]
            row = self._query("SELECT " + ", ".join([count] * len(matches)), matches)[0]
        return total, dict(zip(terms, row, strict=True))

    def _scope_size(self, scope: Scope) -> int:
        """The scope's live memories, counted once per change of the file (memoised by ``seq``).

        Counting walks the scope's whole token list in the keyword index (100,000 entries for a
        user with 100,000 memories) and a search asks up to three times; call inside a snapshot.
        """
        seq, epoch = self._query(
            "SELECT (SELECT value FROM meta WHERE key='seq'), (SELECT value FROM meta WHERE key='epoch')"
        )[0]
        key = (seq, epoch, scope)
        if self._size_memo is not None and self._size_memo[0] == key:
            return self._size_memo[1]
        count = "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?"
        size = int(self._query(count, [scope_match(scope)])[0][0])
        self._size_memo = (key, size)
        return size

    def neighbours(
        self, run_scope: Scope, item: MemoryItem, flt: Filter | None, window: int
    ) -> tuple[MemoryItem | None, MemoryItem | None]:
        if flt is not None:
            return super().neighbours(run_scope, item, flt, window)
        where, params = _scope_sql(run_scope)
        found: list[MemoryItem | None] = []
        for compare, order in (("<", "DESC"), (">", "ASC")):  # a tie in time: the order of insertion
            rows = self._query(
                f"SELECT {ITEM_COLUMNS} FROM memories WHERE {where} AND deleted_at IS NULL "
                f"AND (created_at {compare} ? OR (created_at = ? AND pk {compare} "
                "(SELECT pk FROM memories WHERE id = ?))) "
                f"ORDER BY created_at {order}, pk {order} LIMIT 1",
                [*params, item.created_at, item.created_at, item.id],
            )
            found.append(_row_item(rows[0]) if rows else None)
        return found[0], found[1]

    def find_hash(self, scope: Scope, text_hash: str) -> MemoryItem | None:
        where, params = _scope_sql(scope)
        rows = self._query(
            f"SELECT {ITEM_COLUMNS} FROM memories WHERE hash = ? AND {where} AND deleted_at IS NULL LIMIT 1",
            [text_hash, *params],
        )
        return _row_item(rows[0]) if rows else None

    def _allowed(self, scope: Scope, flt: Filter) -> set[int]:
        """Primary keys of the scope's live memories that pass the filter (memoised per change)."""
        key = (self._cache.seq, self._cache.epoch, scope, flt)
        if self._filter_memo is not None and self._filter_memo[0] == key:
            return self._filter_memo[1]
        rows = self._scope_rows(scope, include_deleted=False)
        allowed = {row[0] for row in rows if flt.matches(filter_record(_row_item(row)))}
        self._filter_memo = (key, allowed)
        return allowed

    def _sync(self) -> None:
        rows = self._query(
            "SELECT (SELECT value FROM meta WHERE key='seq'), (SELECT value FROM meta WHERE key='epoch')"
        )
        seq, epoch = int(rows[0][0]), int(rows[0][1])
        cache = self._cache
        if epoch != cache.epoch:
            cache.clear(epoch)
        if seq == cache.seq:
            return
        try:  # streamed, not fetched whole: a million blobs at once would double the peak memory
            cursor = self._conn.execute(
                "SELECT pk, user_id, agent_id, run_id, embedding, deleted_at FROM memories WHERE seq > ?",
                (cache.seq,),
            )
            cache.apply(chain.from_iterable(iter(lambda: cursor.fetchmany(4096), [])), seq)
        except sqlite3.DatabaseError as exc:
            cache.clear(epoch)  # half-applied: start over at the next search
            raise self._translate(exc) from exc

    def search_vector(self, scope: Scope, vector: Vector, flt: Filter | None, limit: int) -> ScoredItems:
        """The scope's ``limit`` nearest memories: a shortlist from the compact cache, rescored exactly."""
        query = np.asarray(vector, dtype=np.float32)
        with self._lock:
            self._sync()
            allowed = self._allowed(scope, flt) if flt is not None else None
            shortlist = self._vector_search(scope, query, shortlist_size(limit), allowed)
        return self._rescore([pk for pk, _ in shortlist], query, limit)

    def _vector_search(
        self, scope: Scope, query: Vector, count: int, allowed: set[int] | None
    ) -> list[tuple[int, float]]:
        """The cache's approximate shortlist (a method of its own so a profiler can time it)."""
        return self._cache.search(scope, query, count, allowed)

    def _rescore(self, pks: Sequence[int], query: Vector, limit: int) -> ScoredItems:
        """The shortlist's ``limit`` best by exact float32 similarity, read from the file in one go.

        Each row comes with its memory's columns, so the winners need no second read. A row
        deleted since the cache was read has no embedding any more and drops out here.
        """
        if not pks:
            return []
        rows = self._query(
            f"SELECT {ITEM_COLUMNS}, embedding FROM memories WHERE pk IN (SELECT value FROM json_each(?)) "
            "AND embedding IS NOT NULL AND deleted_at IS NULL",
            (json.dumps([int(p) for p in pks]),),
        )
        if not rows:
            return []
        keys = np.array([r[0] for r in rows], dtype=np.int64)
        matrix = np.frombuffer(b"".join(r[-1] for r in rows), dtype="<f4").reshape(len(rows), -1)
        exact = matrix @ query
        order = np.lexsort((keys, -exact))[:limit]
        return [(_row_item(rows[i]), float(exact[i])) for i in order]

    def search_keyword(self, scope: Scope, query: str, flt: Filter | None, limit: int) -> ScoredItems:
        """Scored by :func:`memspan.keyword.coverage` from the scope's own term counts.

        FTS5's ``bm25()`` is not used: its statistics are the whole table's, so other users'
        memories would move this scope's scores. Each term's matches *within the scope* are read
        instead (the scope tokens of migration 3 make that an index lookup, not a table scan),
        and ranked inside SQLite (see :mod:`._sqlite_keyword`).
        """
        terms = query_terms(query)
        if not terms:
            return []
        allowed = None
        if flt is not None:
            with self._lock:
                self._sync()
                allowed = self._allowed(scope, flt)
        with self._lock, self._snapshot():  # the counts and the matches from one state of the file
            size = self._scope_size(scope)
            ranked = ranked_matches(self._query, scope_match(scope), terms, allowed, limit, size)
        items = self._items_by_pk([pk for pk, _ in ranked])
        return [
            (item, score)
            for pk, score in ranked
            if (item := items.get(pk)) is not None
            and item.deleted_at is None
            and scope.contains(item.user_id, item.agent_id, item.run_id)
        ]

    @staticmethod
    def _index_keywords(conn: sqlite3.Connection, items: Sequence[MemoryItem]) -> None:
        """Keep each written memory's ``keywords`` (CJK pieces, migration 4) in step with its text."""
        rows = [(index_text(i.text), i.text, i.id) for i in items if i.deleted_at is None]
        conn.executemany(
            "UPDATE memories SET keywords = ?1 WHERE id = ?2 AND keywords IS NOT ?1",
            [(None if keywords == text else keywords, memory_id) for keywords, text, memory_id in rows],
        )

    def history(self, memory_id: str) -> list[HistoryEvent]:
        rows = self._query(
            "SELECT memory_id, event, old_text, new_text, created_at, user_id, agent_id, run_id, old_metadata, "
            "new_metadata, reason FROM history WHERE memory_id = ? ORDER BY pk",
            (memory_id,),
        )
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
        live = "" if include_deleted else " AND deleted_at IS NULL"
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

    def audit_log(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT action, scope, count, created_at FROM audit ORDER BY pk")
        return [{"action": a, "scope": json.loads(s), "count": c, "created_at": t} for a, s, c, t in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
