"""The PostgreSQL store's write path: changes and new memories in one transaction, scope deletes,
the expiry sweep and the reset (a mixin of :class:`~memspan.stores.postgres.PostgresStore`).

A change's ``expected`` version is checked against the row locked ``FOR UPDATE``; an add that must
not repeat a live memory's text takes an advisory lock per owner first, so identical adds
serialise; a purge deletes the rows, then their history, and leaves an audit row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from ..errors import ConflictError, NotFoundError, StoreError
from ..ports import Change, Vector
from ..scope import Scope
from ..types import HistoryEvent, MemoryItem
from ._expiry_postgres import sweep_batch
from ._postgres_sql import scope_sql


def _owner_of(item: MemoryItem) -> Scope:
    return Scope(item.user_id, item.agent_id, item.run_id)


class PostgresWrites:
    """Write methods of :class:`~memspan.stores.postgres.PostgresStore` (a mixin: it uses the
    store's schema, transactions and vector checks)."""

    schema: str
    _q: str
    _dimension: str | None
    _transaction: Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
    _check_vectors: Callable[[Vector, int], None]

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
