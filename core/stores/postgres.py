"""PostgreSQL + pgvector store: many processes, many machines, one database.

Vector search is exact within a scope by default: the scope's rows are found through a btree index
and ranked by cosine distance. An HNSW index with the scope applied *after* the ANN scan returns
too few (or wrong) rows for selective scopes (RESEARCH.md §3: recall@10 0.04), so HNSW is opt-in
(``hnsw=True``) and used only for scopes larger than ``hnsw_min_scope`` rows, with pgvector's
iterative index scans so filtered queries keep scanning until they have enough rows. Keyword
search uses PostgreSQL full-text search (``ts_rank_cd``). Filters are compiled to SQL
(:mod:`._postgres_filters`) with the reference semantics, checked by :mod:`memspan.testing`.

Async: this store has no native coroutines; :class:`~memspan.AsyncMemory` runs its methods in
worker threads, which share the thread-safe connection pool.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ..errors import DimensionMismatchError, StoreError, ValidationError
from ..filters import Filter
from ..keyword import best, coverage, query_terms
from ..ports import Change, MemoryStore, ScoredItems, Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from ._expiry_postgres import NOT_EXPIRED, sweep_batch
from ._postgres_filters import FilterSQL
from ._postgres_schema import apply_migrations
from ._postgres_sql import ITEM_COLUMNS, SCHEMA_NAME, row_item, scope_sql, split_url, tsquery


class PostgresStore(MemoryStore):
    """Memories, vectors, full-text index and history in one PostgreSQL schema."""

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str = "memspan",
        hnsw: bool = False,
        hnsw_min_scope: int = 20_000,
        hnsw_ef_search: int = 100,
        pool_size: int = 10,
        create_schema: bool = True,
    ):
        if not SCHEMA_NAME.match(schema):
            raise ValidationError(f"schema {schema!r}: use lower-case letters, digits and _ (max 63)")
        self.schema = schema
        self.hnsw = hnsw
        self.hnsw_min_scope = hnsw_min_scope
        self.hnsw_ef_search = hnsw_ef_search
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
                hnsw=ours.get("hnsw", "false").lower() in ("1", "true", "yes", "on"),
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
                conn.execute(f"DROP INDEX IF EXISTS {self._q}.memories_hnsw")
                conn.execute(
                    f"ALTER TABLE {self._q}.memories ALTER COLUMN embedding TYPE vector({int(dimension)})"
                )
                if self.hnsw:
                    conn.execute(
                        f"CREATE INDEX memories_hnsw ON {self._q}.memories USING hnsw (embedding vector_cosine_ops)"
                    )
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
    ) -> None:
        """One transaction: the changes, then the new memories (all or nothing)."""
        rows = self._new_rows(items, vectors)
        updates = [self._update_statement(change) for change in changes]
        if not rows and not updates:
            return
        with self._transaction() as conn, conn.cursor() as cur:
            for (sql, params), change in zip(updates, changes, strict=True):
                cur.execute(sql, params)
                if cur.rowcount != 1:
                    raise StoreError(f"memory {change.item.id} vanished during the update")
            if rows:
                cur.executemany(
                    f"INSERT INTO {self._q}.memories(id, text, user_id, agent_id, run_id, memory_type, "
                    "metadata, created_at, updated_at, hash, source_ids, deleted_at, embedding, expires_at) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    rows,
                )
            self._write_events(cur, [*(c.event for c in changes), *events])

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
                conn.execute(
                    f"DELETE FROM {q}.history WHERE memory_id IN (SELECT id FROM {q}.memories WHERE {where})",
                    params,
                )
                count = conn.execute(f"DELETE FROM {q}.memories WHERE {where}", params).rowcount
                conn.execute(
                    f"INSERT INTO {q}.audit(action, scope, count, created_at) VALUES ('PURGE', %s, %s, %s)",
                    (Jsonb(scope.as_dict()), count, at),
                )
                return int(count)
            conn.execute(
                f"INSERT INTO {q}.history(memory_id, event, old_text, new_text, old_metadata, user_id, agent_id, "
                f"run_id, reason, created_at) SELECT id, 'DELETE', text, NULL, metadata, user_id, agent_id, run_id, "
                f"'delete_all', %(at)s FROM {q}.memories WHERE {where} AND deleted_at IS NULL ORDER BY pk",
                params,
            )
            cursor = conn.execute(
                f"UPDATE {q}.memories SET deleted_at = %(at)s, updated_at = %(at)s, embedding = NULL "
                f"WHERE {where} AND deleted_at IS NULL",
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

    def _use_hnsw(self, scope: Scope, where: str, params: dict[str, Any]) -> bool:
        if not self.hnsw:
            return False
        rows = self._query(
            f"SELECT count(*) FROM (SELECT 1 FROM {{s}}.memories WHERE {where} AND deleted_at IS NULL "
            "LIMIT %(cap)s) AS capped",
            {**params, "cap": self.hnsw_min_scope + 1},
        )
        return int(rows[0][0]) > self.hnsw_min_scope

    def search_vector(self, scope: Scope, vector: Vector, flt: Filter | None, limit: int) -> ScoredItems:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        self._check_vectors(query.reshape(1, -1), 1)
        where, params = scope_sql(scope)
        extra, extra_params = self._filter(flt)
        params = {**params, **extra_params, "q": query, "limit": limit, "expiry_now": self.clock()}
        # "+ 0" hides the distance from the planner, so exact search never takes the ANN index;
        # %(q)b sends the vector in pgvector's binary format (no float formatting in Python)
        approximate = self._use_hnsw(scope, where, params)
        order = "embedding <=> %(q)b" if approximate else "(embedding <=> %(q)b) + 0"
        sql = (
            f"SELECT {ITEM_COLUMNS}, 1 - (embedding <=> %(q)b) AS score FROM {self._q}.memories "
            f"WHERE {where} AND deleted_at IS NULL AND {NOT_EXPIRED} AND embedding IS NOT NULL{extra} "
            f"ORDER BY {order} LIMIT %(limit)s"
        )
        if not approximate:
            rows = self._query(sql, params)
        else:
            try:
                with self._pool.connection() as conn, conn.transaction():
                    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                    conn.execute(
                        "SELECT set_config('hnsw.ef_search', %s, true)",
                        (str(max(self.hnsw_ef_search, 2 * limit)),),
                    )
                    rows = conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL ({self.schema}): {exc}") from exc
        # pgvector's cosine distance to a zero vector (text with no features) is NaN; that vector is
        # similar to nothing, which is what the SQLite store's numpy search answers (0.0)
        scored = [(row_item(r), 0.0 if math.isnan(r[-1]) else float(r[-1])) for r in rows]
        if approximate:  # relaxed order: re-sort the few rows it returned
            scored.sort(key=lambda pair: -pair[1])
        return scored

    def search_keyword(self, scope: Scope, query: str, flt: Filter | None, limit: int) -> ScoredItems:
        """Scored by :func:`memspan.keyword.coverage` from the scope's own term counts, as on SQLite."""
        terms = query_terms(query)
        if not terms:
            return []
        where, params = scope_sql(scope)
        params = {**params, "expiry_now": self.clock()}
        extra, extra_params = self._filter(flt)
        term_params = {f"term{i}": term for i, term in enumerate(terms)}
        queries = [tsquery(term, f"%(term{i})s") for i, term in enumerate(terms)]
        counts = "".join(f", count(*) FILTER (WHERE tsv @@ {q})" for q in queries)
        row = self._query(
            f"SELECT count(*){counts} FROM {{s}}.memories WHERE {where} AND deleted_at IS NULL AND {NOT_EXPIRED}",
            {**params, **term_params},
        )[0]
        flags = "".join(f", tsv @@ {q}" for q in queries)
        rows = self._query(
            f"SELECT {ITEM_COLUMNS}{flags} FROM {{s}}.memories "
            f"WHERE tsv @@ ({' || '.join(queries)}) AND {where} AND deleted_at IS NULL AND {NOT_EXPIRED}{extra}",
            {**params, **extra_params, **term_params},
        )
        width = len(terms)
        matched = {r[0]: [i for i, hit in enumerate(r[-width:]) if hit] for r in rows}
        ranked = best(
            coverage(int(row[0]), [int(n) for n in row[1:]], matched), limit, {r[0]: r[0] for r in rows}
        )
        items = {r[0]: row_item(r[:-width]) for r in rows}
        return [(items[pk], score) for pk, score in ranked]

    def term_counts(self, scope: Scope, terms: Sequence[str]) -> tuple[int, dict[str, int]] | None:
        where, params = scope_sql(scope)
        counts = "".join(
            f", count(*) FILTER (WHERE tsv @@ {tsquery(term, f'%(term{i})s')})"
            for i, term in enumerate(terms)
        )
        terms_params = {f"term{i}": term for i, term in enumerate(terms)}
        row = self._query(
            f"SELECT count(*){counts} FROM {{s}}.memories WHERE {where} AND deleted_at IS NULL",
            {**params, **terms_params},
        )[0]
        return int(row[0]), {term: int(n) for term, n in zip(terms, row[1:], strict=True)}

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

    def audit_log(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT action, scope, count, created_at FROM {s}.audit ORDER BY pk")
        return [{"action": a, "scope": s, "count": c, "created_at": t} for a, s, c, t in rows]

    def drop_schema(self) -> None:
        """Erase the whole schema, tables included (tests, and ``memspan`` teardown scripts)."""
        with self._transaction() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {self._q} CASCADE")

    def close(self) -> None:
        self._pool.close()
