"""Reads of the SQLite store: scoped listing, keyword and vector search, the counts a search needs.

A mixin of :class:`~memspan.stores.sqlite.SQLiteStore`, which owns the connection, the vector
mirror (``_cache``, brought up to date from ``meta.seq`` by :meth:`SQLiteReads._sync`) and the memos.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from ..filters import Filter
from ..keyword import query_terms
from ..ports import ScoredItems, Vector
from ..scope import Scope
from ..types import MemoryItem
from ._expiry_sqlite import NOT_EXPIRED, expired_pks
from ._sqlite_base import SQLiteBase
from ._sqlite_keyword import ranked_matches, term_in_scope
from ._sqlite_rows import (
    ITEM_COLUMNS,
    _row_item,
    _scope_sql,
    filter_record,
    scope_match,
)
from ._vector_cache import VectorCache, readable, shortlist_size

log = logging.getLogger("memspan.store")

#: how long a keyword search's expired set may size its vector search's shortlist (seconds)
_EXPIRED_REUSE_S = 1.0


class SQLiteReads(SQLiteBase):
    path: Path
    _cache: VectorCache
    _filter_memo: tuple[Any, set[int]] | None
    _size_memo: tuple[Any, int] | None
    _expired_memo: tuple[Any, float, set[int]] | None

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
        live = "" if include_deleted else f" AND deleted_at IS NULL AND {NOT_EXPIRED}"
        return self._query(f"SELECT {ITEM_COLUMNS} FROM memories WHERE {where}{live} {order}", params)

    def list_memories(
        self, scope: Scope, flt: Filter | None, limit: int, *, include_deleted: bool = False, offset: int = 0
    ) -> list[MemoryItem]:
        if flt is None:
            where, params = _scope_sql(scope)
            live = "" if include_deleted else f" AND deleted_at IS NULL AND {NOT_EXPIRED}"
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
            matches = [term_in_scope(in_scope, term) for term in terms]
            row = self._query("SELECT " + ", ".join([count] * len(matches)), matches)[0]
        return total, dict(zip(terms, row, strict=True))

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

    def _scope_size(self, scope: Scope, state: tuple[int, int] | None = None) -> int:
        """The scope's live memories, counted once per change of the file (memoised by ``seq``).

        Counting walks the scope's whole token list in the keyword index (100,000 entries for a
        user with 100,000 memories) and a search asks up to three times; call inside a snapshot.
        ``state`` is :meth:`_state`'s, when the caller has read it already.
        """
        key = (*(state or self._state()), scope)
        if self._size_memo is not None and self._size_memo[0] == key:
            return self._size_memo[1]
        count = "SELECT count(*) FROM memories_fts WHERE memories_fts MATCH ?"
        size = int(self._query(count, [scope_match(scope)])[0][0])
        self._size_memo = (key, size)
        return size

    def _state(self) -> tuple[int, int]:
        """The file's change counter and purge epoch (``meta.seq``, ``meta.epoch``)."""
        rows = self._query(
            "SELECT (SELECT value FROM meta WHERE key='seq'), (SELECT value FROM meta WHERE key='epoch')"
        )
        return int(rows[0][0]), int(rows[0][1])

    def neighbours(
        self, run_scope: Scope, item: MemoryItem, flt: Filter | None, window: int
    ) -> tuple[MemoryItem | None, MemoryItem | None]:
        if flt is not None:
            return super().neighbours(run_scope, item, flt, window)
        where, params = _scope_sql(run_scope)
        found: list[MemoryItem | None] = []
        for compare, order in (("<", "DESC"), (">", "ASC")):  # a tie in time: the order of insertion
            rows = self._query(
                f"SELECT {ITEM_COLUMNS} FROM memories WHERE {where} AND deleted_at IS NULL AND {NOT_EXPIRED} "
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
            f"SELECT {ITEM_COLUMNS} FROM memories WHERE hash = ? AND {where} AND deleted_at IS NULL "
            f"AND {NOT_EXPIRED} LIMIT 1",
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
        seq, epoch = self._state()
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
            unreadable = len(cache.unreadable)
            cache.apply(chain.from_iterable(iter(lambda: cursor.fetchmany(4096), [])), seq)
        except sqlite3.DatabaseError as exc:
            cache.clear(epoch)  # half-applied: start over at the next search
            raise self._translate(exc) from exc
        if len(cache.unreadable) > unreadable:
            log.warning(
                "%s: %d memories have a damaged vector and are left out of vector search (row pks %s)",
                self.path,
                len(cache.unreadable),
                sorted(cache.unreadable)[:20],
            )

    def search_vector(self, scope: Scope, vector: Vector, flt: Filter | None, limit: int) -> ScoredItems:
        """The scope's ``limit`` nearest memories: a shortlist from the compact cache, rescored exactly."""
        query = np.asarray(vector, dtype=np.float32)
        with self._lock:
            self._sync()
            # not swept yet: the shortlist is that much longer (the keyword search's set is reused)
            expired = self._expired(scope, (self._cache.seq, self._cache.epoch), reuse=True)
            allowed = self._allowed(scope, flt) if flt is not None else None
            count = shortlist_size(limit + len(expired))
            shortlist = self._vector_search(scope, query, count, allowed)
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
            f"AND embedding IS NOT NULL AND deleted_at IS NULL AND {NOT_EXPIRED}",
            (json.dumps([int(p) for p in pks]),),
        )
        dimension = query.shape[-1]  # a damaged vector (wrong length) is left out, as by the cache
        rows = [r for r in rows if readable(r[-1], dimension)]
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
        instead (the scope tokens of migration 3 make that an index lookup, not a table scan), each
        term's as one string of row ids, and ranked in numpy on exact scores (see
        :mod:`._sqlite_keyword`).
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
            state = self._state()
            size = self._scope_size(scope, state)
            expired = self._expired(scope, state)  # not swept yet: left out before ranking
            ranked = ranked_matches(
                self._query, scope_match(scope), terms, allowed, limit, size, excluded=expired
            )
        items = self._items_by_pk([pk for pk, _ in ranked])
        return [
            (item, score)
            for pk, score in ranked
            if (item := items.get(pk)) is not None
            and item.deleted_at is None
            and scope.contains(item.user_id, item.agent_id, item.run_id)
        ]

    def _expired(self, scope: Scope, state: tuple[int, int], *, reuse: bool = False) -> set[int]:
        """The scope's expired memories that are not swept yet, as of now (call under the lock).

        One search asks twice: its keyword search, which must leave them all out, reads them; its
        vector search, right after, only lengthens its shortlist by their number (its exact
        rescoring leaves out whatever has expired by then), so with ``reuse`` it takes the set read
        for the same scope at the same state of the file instead of asking the file again. The set
        is handed over once and for a second at most: a later vector search (another search's, or
        a dense-only one) reads afresh, so a set read long ago never sizes a shortlist.
        """
        key, now = (*state, scope), time.monotonic()
        memo, self._expired_memo = self._expired_memo, None
        if reuse and memo is not None and memo[0] == key and now - memo[1] < _EXPIRED_REUSE_S:
            return memo[2]
        where, params = _scope_sql(scope)
        expired = expired_pks(self._query, where, params, self.clock())
        if not reuse:  # the keyword search's set, for the vector search right after it
            self._expired_memo = (key, now, expired)
        return expired
