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
from psycopg_pool import ConnectionPool

from ..errors import DimensionMismatchError, StoreError, ValidationError
from ..filters import Filter
from ..ports import MemoryStore, Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from ._expiry_postgres import NOT_EXPIRED
from ._postgres_filters import FilterSQL
from ._postgres_schema import MIGRATIONS, apply_migrations
from ._postgres_search import INDEX_NAMES, PostgresSearch, index_sql
from ._postgres_sql import ITEM_COLUMNS, SCHEMA_NAME, row_item, scope_sql, split_url
from ._postgres_writes import PostgresWrites


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


class PostgresStore(PostgresSearch, PostgresWrites, MemoryStore):
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
