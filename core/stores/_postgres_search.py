"""The PostgreSQL store's searches: dense (exact or HNSW) and keyword, all held to a scope.

Dense search is exact within a scope unless the store was opened with ``hnsw=True`` *and* the scope
holds more than ``hnsw_min_scope`` live rows. Measured (``benchmarks/scale_pg.py``,
docs/scale-out.md): an HNSW scan filtered to a scope that is a small share of the table (one user
of 100) walks through other users' vectors, even with pgvector 0.8's iterative scans
(``hnsw.iterative_scan = relaxed_order``), and was slower than the exact scan with recall@10 0.43;
and on one user's 100,000 random 384-d vectors its recall@10 was 0.12-0.21 (ef_search 100-200),
far from the 0.99 memspan asks of an index. So exact stays the default, and HNSW is an opt-in for
very large scopes whose embeddings cluster (real text does; the benchmark's random vectors are
HNSW's worst case), to be checked with the benchmark on one's own data.

The index may be built on ``halfvec`` (16-bit floats, half the size; ``halfvec=True``): the index
scan then shortlists candidates in half precision and the outer query rescores them with the
stored float32 vectors, so the scores returned are the exact cosines, as on the exact path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool

from ..errors import StoreError
from ..filters import Filter
from ..keyword import best, coverage, idf, query_terms
from ..ports import ScoredItems, Vector
from ..scope import Scope
from ._expiry_postgres import NOT_EXPIRED
from ._postgres_sql import ITEM_COLUMNS, row_item, scope_sql, tsquery

#: the HNSW indexes, by the type of the vectors they hold
INDEX_NAMES = {False: "memories_hnsw", True: "memories_hnsw_half"}


def index_sql(q: str, dimension: int, *, halfvec: bool, concurrently: bool = False) -> str:
    """``CREATE INDEX`` for the store's HNSW index (pgvector's defaults: m = 16, ef_construction = 64)."""
    how = "CONCURRENTLY " if concurrently else ""
    if halfvec:
        column = f"(embedding::halfvec({int(dimension)})) halfvec_cosine_ops"
    else:
        column = "embedding vector_cosine_ops"
    return f"CREATE INDEX {how}IF NOT EXISTS {INDEX_NAMES[halfvec]} ON {q}.memories USING hnsw ({column})"


class PostgresSearch:
    """Search methods of :class:`~memspan.stores.postgres.PostgresStore` (a mixin: it reads the
    store's pool, schema and options)."""

    schema: str
    hnsw: bool
    halfvec: bool
    hnsw_min_scope: int
    hnsw_ef_search: int
    _q: str
    _pool: ConnectionPool[psycopg.Connection[Any]]
    _dimension: str | None
    _query: Callable[..., list[Any]]
    _filter: Callable[[Filter | None], tuple[str, dict[str, Any]]]
    _check_vectors: Callable[[Vector, int], None]
    clock: Callable[[], str]

    def _use_hnsw(self, scope: Scope, where: str, params: dict[str, Any]) -> bool:
        """Whether the scope has more than ``hnsw_min_scope`` live rows (a count that stops there)."""
        if not self.hnsw:
            return False
        if self.hnsw_min_scope <= 0:
            return True
        rows = self._query(
            f"SELECT count(*) FROM (SELECT 1 FROM {{s}}.memories WHERE {where} AND deleted_at IS NULL "
            "LIMIT %(cap)s) AS capped",
            {**params, "cap": self.hnsw_min_scope + 1},
        )
        return int(rows[0][0]) > self.hnsw_min_scope

    def _vector_sql(self, where: str, extra: str, *, approximate: bool) -> str:
        live = f"WHERE {where} AND deleted_at IS NULL AND {NOT_EXPIRED} AND embedding IS NOT NULL{extra}"
        score = "1 - (embedding <=> %(q)b) AS score"
        if not approximate:
            # "+ 0" hides the distance from the planner, so exact search never takes the ANN index;
            # %(q)b sends the vector in pgvector's binary format (no float formatting in Python)
            return (
                f"SELECT {ITEM_COLUMNS}, {score} FROM {self._q}.memories {live} "
                "ORDER BY (embedding <=> %(q)b) + 0 LIMIT %(limit)s"
            )
        if not self.halfvec:
            return (
                f"SELECT {ITEM_COLUMNS}, {score} FROM {self._q}.memories {live} "
                "ORDER BY embedding <=> %(q)b LIMIT %(limit)s"
            )
        half = f"halfvec({int(self._dimension or 0)})"
        # the index orders by the half-precision distance; the outer query rescores the shortlist
        # with the stored float32 vectors (sorted and cut to ``limit`` in Python), so scores are exact
        return (
            f"SELECT {ITEM_COLUMNS}, {score} FROM (SELECT {ITEM_COLUMNS}, embedding FROM {self._q}.memories "
            f"{live} ORDER BY embedding::{half} <=> %(q)b::{half} LIMIT %(shortlist)s) AS shortlist"
        )

    def _approximate(self, conn: psycopg.Connection[Any], limit: int) -> None:
        """Settings of an approximate search, for its transaction only (``set_config(..., true)`` is
        ``SET LOCAL``, so a transaction-pooling pgbouncer keeps it right): pgvector 0.8's iterative
        scan, so a filtered scan goes on until it has enough rows of the scope; ``ef_search``; and no
        sorting, because the scope was counted and is large, so the planner must take the index even
        when stale statistics make the scope's btree look cheaper."""
        conn.execute(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
            "set_config('hnsw.ef_search', %s, true), set_config('enable_sort', 'off', true)",
            (str(max(self.hnsw_ef_search, 2 * limit)),),
        )

    def search_vector(self, scope: Scope, vector: Vector, flt: Filter | None, limit: int) -> ScoredItems:
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        self._check_vectors(query.reshape(1, -1), 1)
        where, params = scope_sql(scope)
        extra, extra_params = self._filter(flt)
        params = {**params, **extra_params, "q": query, "limit": limit, "shortlist": 2 * limit}
        params["expiry_now"] = self.clock()
        approximate = self._use_hnsw(scope, where, params)
        sql = self._vector_sql(where, extra, approximate=approximate)
        if not approximate:
            rows = self._query(sql, params)
        else:
            try:
                with self._pool.connection() as conn, conn.transaction():
                    self._approximate(conn, limit)
                    rows = conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL ({self.schema}): {exc}") from exc
        # pgvector's cosine distance to a zero vector (text with no features) is NaN; that vector is
        # similar to nothing, which is what the SQLite store's numpy search answers (0.0)
        scored = [(row_item(r), 0.0 if math.isnan(r[-1]) else float(r[-1])) for r in rows]
        if approximate:  # relaxed order (and a halfvec shortlist): sort by the exact scores
            scored.sort(key=lambda pair: -pair[1])
        return scored[:limit]

    def search_keyword(self, scope: Scope, query: str, flt: Filter | None, limit: int) -> ScoredItems:
        """Scored by :func:`memspan.keyword.coverage` from the scope's own term counts, as on SQLite.

        The matches are ranked in SQL by the same idf weights, so only ``limit`` rows come back
        (sending every match to Python made one user's 100,000-memory scope 2.6 times slower,
        docs/scale-out.md). Terms are counted in one pass over the scope: counting each through
        the GIN index was measured too, and was slower where the scope is a small share of the
        table, because a common word's posting list spans every user."""
        terms = query_terms(query)
        if not terms:
            return []
        where, params = scope_sql(scope)
        extra, extra_params = self._filter(flt)
        term_params = {f"term{i}": term for i, term in enumerate(terms)}
        queries = [tsquery(term, f"%(term{i})s") for i, term in enumerate(terms)]
        live = f"{where} AND deleted_at IS NULL AND {NOT_EXPIRED}"
        params = {**params, "expiry_now": self.clock()}
        counts = "".join(f", count(*) FILTER (WHERE tsv @@ {q})" for q in queries)
        row = self._query(
            f"SELECT count(*){counts} FROM {{s}}.memories WHERE {live}", {**params, **term_params}
        )[0]
        total, containing = int(row[0]), [int(n) for n in row[1:]]
        # a memory's score is its terms' idf sum over a constant, so this sum orders as the score does
        weights = {f"weight{i}": idf(total, n) for i, n in enumerate(containing)}
        weight = " + ".join(
            f"(CASE WHEN tsv @@ {q} THEN %(weight{i})s ELSE 0 END)" for i, q in enumerate(queries)
        )
        flags = "".join(f", tsv @@ {q}" for q in queries)
        rows = self._query(
            f"SELECT {ITEM_COLUMNS}{flags} FROM {{s}}.memories "
            f"WHERE tsv @@ ({' || '.join(queries)}) AND {live}{extra} "
            f"ORDER BY ({weight})::float8 DESC, pk LIMIT %(limit)s",
            {**params, **extra_params, **term_params, **weights, "limit": limit},
        )
        width = len(terms)
        matched = {r[0]: [i for i, hit in enumerate(r[-width:]) if hit] for r in rows}
        ranked = best(coverage(total, containing, matched), limit, {r[0]: r[0] for r in rows})
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
