"""PostgreSQL + pgvector store: many processes, many machines, one database.

Vector search is exact within a scope by default: the scope's rows are found through a btree index
and ranked by cosine distance. ``hnsw=True`` adds an HNSW index over the vectors cast to
``halfvec`` (``halfvec=False``: float32), used only for scopes of more than ``hnsw_min_scope`` live
memories, with pgvector 0.8's iterative scans, its shortlist rescored with the float32 vectors
(:mod:`._postgres_search`, with the measured reasons it is not the default). Keyword search uses
PostgreSQL full-text search. Filters are compiled to SQL (:mod:`._postgres_filters`) with the
reference semantics, checked by :mod:`memspan.testing`.

Async: this store has no native coroutines; :class:`~memspan.AsyncMemory` runs its methods in
worker threads, which share the thread-safe connection pool.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ..errors import ConflictError, DimensionMismatchError, NotFoundError, StoreError, ValidationError
from ..filters import Filter
from ..ports import Change, MemoryStore, Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from ._expiry_postgres import NOT_EXPIRED, sweep_batch
from ._postgres_filters import FilterSQL
from ._postgres_schema import MIGRATIONS, apply_migrations
from ._postgres_search import INDEX_NAMES, PostgresSearch, index_sql
from ._postgres_sql import ITEM_COLUMNS, SCHEMA_NAME, row_item, scope_sql, split_url


def _owner_of(item: MemoryItem) -> Scope:
    return Scope(item.user_id, item.agent_id, item.run_id)


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


class PostgresStore(PostgresSearch, MemoryStore):
    """Memories, vectors, full-text index and history in one PostgreSQL schema."""

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "memspan",
        hnsw: bool = False,
        hnsw_min_scope: int = 20_000,
        hnsw_ef_search: int = 100,
        halfvec: bool = True,
        pool_size: int = 10,
        create_schema: bool = True,
    ):
        if not SCHEMA_NAME.match(schema):
            raise ValidationError(f"schema {schema!r}: use lower-case letters, digits and _ (max 63)")
        self.schema = schema
        self.hnsw = hnsw
        self.hnsw_min_scope = hnsw_min_scope
        self.hnsw_ef_search = hnsw_ef_search
        self.halfvec = halfvec
        self._q = f'"{schema}"'
        self._conninfo = conninfo
        self._prepare(create_schema)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            configure=register_vector,
            open=True,
            name=f"memspan-{schema}",
        )
        self._fold = self._case_fold()
        self._dimension = self._meta_value("dimension")

    @classmethod
    def from_url(cls, url: str) -> PostgresStore:
        """``postgresql://user:pass@host:5432/db?schema=memspan&hnsw=true&pool_size=10``; the
        ``postgresql+psycopg://`` spelling is accepted too. Other query options go to libpq."""
        conninfo, ours = split_url(url)
        try:
            return cls(
                conninfo,
                schema=ours.get("schema", "memspan"),
                hnsw=_flag(ours.get("hnsw", "false")),
                halfvec=_flag(ours.get("halfvec", "true")),
                hnsw_min_scope=int(ours.get("hnsw_min_scope", 20_000)),
                hnsw_ef_search=int(ours.get("hnsw_ef_search", 100)),
                pool_size=int(ours.get("pool_size", 10)),
            )
        except ValueError as exc:
            raise ValidationError(f"bad option in {url!r}: {exc}") from None

    # -- plumbing --------------------------------------------------------------------------

    def _prepare(self, create_schema: bool) -> None:
        """Create the extension and schema and run pending migrations, before the pool opens
        (its connections need the ``vector`` type to exist)."""
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as conn, conn.transaction():
                apply_migrations(conn, self.schema, create_schema=create_schema)
        except psycopg.Error as exc:
            raise StoreError(f"cannot prepare PostgreSQL schema {self.schema}: {exc}") from exc

    def _case_fold(self) -> str:
        """Python's ``casefold`` as closely as this server can: full Unicode folding on 18+."""
        version = int(self._query("SHOW server_version_num")[0][0])
        if version >= 180000:
            return "casefold(({}) COLLATE pg_unicode_fast)"
        if version >= 170000:
            return "lower(({}) COLLATE pg_c_utf8)"
        return "lower({})"

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL ({self.schema}): {exc}") from exc

    def _query(self, sql: str, params: Any = None) -> list[Any]:
        try:
            with self._pool.connection() as conn:
                return conn.execute(sql.replace("{s}", self._q), params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL ({self.schema}): {exc}") from exc

    def _meta_value(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM {s}.meta WHERE key = %s", (key,))
        return rows[0][0] if rows else None

    def _filter(self, flt: Filter | None) -> tuple[str, dict[str, Any]]:
        if flt is None:
            return "", {}
        compiler = FilterSQL(fold=self._fold)
        return f" AND {compiler.compile(flt)}", compiler.params

    # -- embedding model -------------------------------------------------------------------

    def bind_embedder(self, model_id: str, dimension: int) -> None:
        with self._transaction() as conn:
            conn.execute(f"LOCK TABLE {self._q}.meta IN EXCLUSIVE MODE")
            rows = dict(conn.execute(f"SELECT key, value FROM {self._q}.meta").fetchall())
            if "dimension" not in rows:
                # type the column now that the dimension is known (required by an HNSW index)
                for index in INDEX_NAMES.values():  # built for another dimension (before a reset)
                    conn.execute(f"DROP INDEX IF EXISTS {self._q}.{index}")
                conn.execute(
                    f"ALTER TABLE {self._q}.memories ALTER COLUMN embedding TYPE vector({int(dimension)})"
                )
                if self.hnsw:
                    conn.execute(index_sql(self._q, dimension, halfvec=self.halfvec))
                conn.execute(
                    f"INSERT INTO {self._q}.meta(key, value) VALUES ('dimension', %s), ('embedder', %s)",
                    (str(dimension), model_id),
                )
                rows = {"dimension": str(dimension), "embedder": model_id}
        stored_dim, stored_model = int(rows["dimension"]), rows["embedder"]
        self._dimension = str(stored_dim)
        if stored_dim != dimension:
            raise DimensionMismatchError(
                f"PostgreSQL schema {self.schema} holds {stored_dim}-dimensional vectors from "
                f"{stored_model!r}, but the embedder {model_id!r} makes {dimension}-dimensional ones; use "
                "the same embedder, or `memspan migrate` the memories into a new schema"
            )
        if stored_model != model_id:
            raise DimensionMismatchError(
                f"PostgreSQL schema {self.schema} was embedded with {stored_model!r}, not {model_id!r}: "
                "their vectors are not comparable; open it with the same embedder, or re-embed it into a new "
                "store with `memspan --db <this URL> reembed --to <model> --into <new URL>`"
            )

    def build_index(self, *, concurrently: bool = True) -> None:
        """Build this store's HNSW index on a schema that already holds vectors (it is built with
        the column's type when ``hnsw=True`` meets an empty schema). ``CONCURRENTLY`` lets writes go
        on while it builds; on a million memories that takes minutes, so it is never done implicitly."""
        if not self.hnsw:
            raise ValidationError("build_index needs a store opened with hnsw=True")
        dimension = self._meta_value("dimension")
        if dimension is None:
            raise StoreError("no embedder bound to this store yet: the index is built with the first write")
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as conn:
                conn.execute(
                    index_sql(self._q, int(dimension), halfvec=self.halfvec, concurrently=concurrently)
                )
        except psycopg.Error as exc:
            raise StoreError(f"cannot build the HNSW index of {self.schema}: {exc}") from exc

    def embedder_info(self) -> tuple[str, int] | None:
        """The bound embedding model and dimension (``None`` before the first write)."""
        model, dimension = self._meta_value("embedder"), self._meta_value("dimension")
        return None if model is None or dimension is None else (model, int(dimension))

    def _check_vectors(self, vectors: Vector, rows: int) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != rows:
            raise StoreError(f"expected {rows} vectors, got an array of shape {vectors.shape}")
        if self._dimension is None:
            self._dimension = self._meta_value("dimension")
        if self._dimension is None:
            raise StoreError("no embedder bound to this store yet: call bind_embedder first")
        if vectors.shape[1] != int(self._dimension):
            raise DimensionMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {self._dimension}"
            )

    # -- writes ----------------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[Change],
        items: Sequence[MemoryItem],
        vectors: Vector | None,
        events: Sequence[HistoryEvent],
        *,
        unique: bool = False,
    ) -> None:
        """One transaction: the changes, then the new memories (all or nothing).

        A change's ``expected`` version is compared with the row locked ``FOR UPDATE`` (a
        concurrent writer of that memory waits, then sees this write); ``unique`` takes an
        advisory lock per owner before it looks for the same text, so identical adds serialise.
        """
        rows = self._new_rows(items, vectors)
        updates = [self._update_statement(change) for change in changes]
        if not rows and not updates:
            return
        with self._transaction() as conn, conn.cursor() as cur:
            for (sql, params), change in zip(updates, changes, strict=True):
                if change.expected is not None:
                    self._check_expected(cur, change.expected)
                cur.execute(sql, params)
                if cur.rowcount != 1:
                    raise StoreError(f"memory {change.item.id} vanished during the update")
            if rows:
                if unique:
                    self._check_unique(cur, items)
                cur.executemany(
                    f"INSERT INTO {self._q}.memories(id, text, user_id, agent_id, run_id, memory_type, "
                    "metadata, created_at, updated_at, hash, source_ids, deleted_at, embedding, expires_at) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    rows,
                )
            self._write_events(cur, [*(c.event for c in changes), *events])

    def _check_expected(self, cur: psycopg.Cursor[Any], expected: MemoryItem) -> None:
        """The memory must still be live and the version a change was computed from."""
        row = cur.execute(
            f"SELECT text, metadata, updated_at, deleted_at FROM {self._q}.memories WHERE id = %s FOR UPDATE",
            (expected.id,),
        ).fetchone()
        if row is None or row[3] is not None:
            raise NotFoundError.for_id(expected.id)
        if row[0] != expected.text or row[2] != expected.updated_at or row[1] != expected.metadata:
            raise ConflictError(f"memory {expected.id} changed while it was being written; try again")

    def _check_unique(self, cur: psycopg.Cursor[Any], items: Sequence[MemoryItem]) -> None:
        """No new item may repeat the text of a live memory of its scope. The lock is per owner
        (the first id the scope sets), taken in a fixed order so two adds cannot deadlock."""
        owners = sorted({next(iter(_owner_of(i).items()), ("", "")) for i in items})
        for key, value in owners:
            cur.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"memspan:{self.schema}:{key}:{value}",),
            )
        for item in items:
            where, params = scope_sql(_owner_of(item))
            row = cur.execute(
                f"SELECT id FROM {self._q}.memories WHERE hash = %(hash)s AND {where} "
                "AND deleted_at IS NULL LIMIT 1",
                {**params, "hash": item.hash},
            ).fetchone()
            if row is not None:
                raise ConflictError(f"memory {row[0]} with the same text was stored meanwhile")

    def _new_rows(self, items: Sequence[MemoryItem], vectors: Vector | None) -> list[tuple[Any, ...]]:
        if not items:
            return []
        if vectors is None:
            raise StoreError(f"{len(items)} new memories came without vectors")
        self._check_vectors(vectors, len(items))
        return [
            (
                i.id, i.text, i.user_id, i.agent_id, i.run_id, i.memory_type.value, Jsonb(i.metadata),
                i.created_at, i.updated_at, i.hash, Jsonb(list(i.source_ids)), i.deleted_at,
                None if i.deleted_at is not None else np.asarray(v, dtype=np.float32), i.expires_at,
            )
            for i, v in zip(items, vectors, strict=True)
        ]  # fmt: skip

    def _update_statement(self, change: Change) -> tuple[str, tuple[Any, ...]]:
        item, vector = change.item, change.vector
        if vector is not None:
            self._check_vectors(vector.reshape(1, -1), 1)
        keep_vector = vector is None and item.deleted_at is None
        embedding = None if vector is None else np.asarray(vector, dtype=np.float32).reshape(-1)
        sql = (
            f"UPDATE {self._q}.memories SET text=%s, memory_type=%s, metadata=%s, updated_at=%s, hash=%s, "
            f"source_ids=%s, deleted_at=%s, embedding={'embedding' if keep_vector else '%s'}, expires_at=%s WHERE id=%s"
        )
        params = (
            item.text, item.memory_type.value, Jsonb(item.metadata), item.updated_at, item.hash,
            Jsonb(list(item.source_ids)), item.deleted_at, *(() if keep_vector else (embedding,)),
            item.expires_at, item.id,
        )  # fmt: skip
        return sql, params

    def _write_events(self, cur: psycopg.Cursor[Any], events: Sequence[HistoryEvent]) -> None:
        if not events:
            return
        cur.executemany(
            f"INSERT INTO {self._q}.history(memory_id, event, old_text, new_text, old_metadata, new_metadata, "
            "user_id, agent_id, run_id, reason, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            [
                (
                    e.memory_id, e.event.value, e.old_text, e.new_text,
                    None if e.old_metadata is None else Jsonb(e.old_metadata),
                    None if e.new_metadata is None else Jsonb(e.new_metadata),
                    e.user_id, e.agent_id, e.run_id, e.reason, e.created_at,
                )
                for e in events
            ],
        )  # fmt: skip

    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        where, params = scope_sql(scope)
        params = {**params, "at": at}
        q = self._q
        with self._transaction() as conn:
            if purge:
                # the rows first (a concurrent update of one now waits, then finds it gone), then
                # their history in a later statement, which sees every event committed before
                gone = conn.execute(f"DELETE FROM {q}.memories WHERE {where} RETURNING id", params).fetchall()
                conn.execute(f"DELETE FROM {q}.history WHERE memory_id = ANY(%s)", ([r[0] for r in gone],))
                conn.execute(
                    f"INSERT INTO {q}.audit(action, scope, count, created_at) VALUES ('PURGE', %s, %s, %s)",
                    (Jsonb(scope.as_dict()), len(gone), at),
                )
                return len(gone)
            # one statement: the DELETE events record exactly the rows (and texts) it deleted
            cursor = conn.execute(
                f"WITH gone AS (UPDATE {q}.memories SET deleted_at = %(at)s, updated_at = %(at)s, "
                f"embedding = NULL WHERE {where} AND deleted_at IS NULL "
                "RETURNING pk, id, text, metadata, user_id, agent_id, run_id) "
                f"INSERT INTO {q}.history(memory_id, event, old_text, new_text, old_metadata, user_id, "
                "agent_id, run_id, reason, created_at) SELECT id, 'DELETE', text, NULL, metadata, user_id, "
                "agent_id, run_id, 'delete_all', %(at)s FROM gone ORDER BY pk",
                params,
            )
            return int(cursor.rowcount)

    def sweep_expired(self, at: str, scope: Scope | None = None) -> int:
        """Soft-delete expired memories in batches, each one transaction (see :mod:`._expiry_postgres`)."""
        where, params = scope_sql(scope) if scope is not None else ("true", {})
        total = 0
        while True:
            with self._transaction() as conn:
                swept = sweep_batch(conn, self._q, where, params, at)
            total += swept
            if swept == 0:
                return total

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute(f"TRUNCATE {self._q}.memories, {self._q}.history, {self._q}.audit")
            conn.execute(f"DELETE FROM {self._q}.meta WHERE key IN ('dimension', 'embedder')")
        self._dimension = None

    # -- reads -----------------------------------------------------------------------------

    def get(self, memory_id: str) -> MemoryItem | None:
        rows = self._query(f"SELECT {ITEM_COLUMNS} FROM {{s}}.memories WHERE id = %s", (memory_id,))
        return row_item(rows[0]) if rows else None

    def list_memories(
        self, scope: Scope, flt: Filter | None, limit: int, *, include_deleted: bool = False, offset: int = 0
    ) -> list[MemoryItem]:
        where, params = scope_sql(scope)
        extra, extra_params = self._filter(flt)
        live = "" if include_deleted else f" AND deleted_at IS NULL AND {NOT_EXPIRED}"
        rows = self._query(
            f"SELECT {ITEM_COLUMNS} FROM {{s}}.memories WHERE {where}{live}{extra} "
            'ORDER BY created_at COLLATE "C" DESC, pk DESC LIMIT %(limit)s OFFSET %(offset)s',
            {**params, **extra_params, "limit": limit, "offset": offset, "expiry_now": self.clock()},
        )
        return [row_item(r) for r in rows]

    def find_hash(self, scope: Scope, text_hash: str) -> MemoryItem | None:
        where, params = scope_sql(scope)
        rows = self._query(
            f"SELECT {ITEM_COLUMNS} FROM {{s}}.memories WHERE hash = %(hash)s AND {where} "
            f"AND deleted_at IS NULL AND {NOT_EXPIRED} LIMIT 1",
            {**params, "hash": text_hash, "expiry_now": self.clock()},
        )
        return row_item(rows[0]) if rows else None

    def history(self, memory_id: str) -> list[HistoryEvent]:
        rows = self._query(
            "SELECT memory_id, event, old_text, new_text, created_at, user_id, agent_id, run_id, old_metadata, "
            "new_metadata, reason FROM {s}.history WHERE memory_id = %s ORDER BY pk",
            (memory_id,),
        )
        return [HistoryEvent(r[0], Event(r[1]), *r[2:]) for r in rows]

    def iter_memories(self, *, include_deleted: bool = True, batch_size: int = 500) -> Iterator[MemoryItem]:
        live = "" if include_deleted else " AND deleted_at IS NULL"
        last = 0
        while True:
            rows = self._query(
                f"SELECT {ITEM_COLUMNS} FROM {{s}}.memories WHERE pk > %s{live} ORDER BY pk LIMIT %s",
                (last, batch_size),
            )
            if not rows:
                return
            yield from map(row_item, rows)
            last = rows[-1][0]

    def vectors(self, memory_ids: Sequence[str]) -> dict[str, Vector]:
        rows = self._query(
            "SELECT id, embedding FROM {s}.memories WHERE id = ANY(%s) AND embedding IS NOT NULL",
            (list(memory_ids),),
        )
        return {mid: np.asarray(vec.to_numpy(), dtype=np.float32) for mid, vec in rows}

    def count(self, scope: Scope | None = None, *, include_deleted: bool = False) -> int:
        where, params = scope_sql(scope) if scope is not None else ("true", {})
        live = "" if include_deleted else f" AND deleted_at IS NULL AND {NOT_EXPIRED}"
        params = {**params, "expiry_now": self.clock()}
        return int(self._query(f"SELECT count(*) FROM {{s}}.memories WHERE {where}{live}", params)[0][0])

    def schema_versions(self) -> tuple[int, int]:
        """(the schema's version, this memspan's): ``memspan serve``'s /readyz compares them."""
        rows = self._query("SELECT coalesce(max(version), 0) FROM {s}.schema_migrations")
        return int(rows[0][0]), len(MIGRATIONS)

    def audit_log(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT action, scope, count, created_at FROM {s}.audit ORDER BY pk")
        return [{"action": a, "scope": s, "count": c, "created_at": t} for a, s, c, t in rows]

    def drop_schema(self) -> None:
        """Erase the whole schema, tables included (tests, and ``memspan`` teardown scripts)."""
        with self._transaction() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self._q} CASCADE")

    def close(self) -> None:
        self._pool.close()
