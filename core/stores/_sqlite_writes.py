"""The SQLite store's write path: each add, update and delete is one transaction that first checks
what the change was computed from (the version of the memory it replaces, or that no identical
memory landed meanwhile) and then writes rows, keyword index and history together."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ..errors import ConflictError, NotFoundError, StoreError
from ..ports import Change, Vector
from ..scope import Scope
from ..text import index_text
from ..types import HistoryEvent, MemoryItem
from ._sqlite_base import SQLiteBase
from ._sqlite_rows import _blob, _json_object, _scope_sql


class SQLiteWrites(SQLiteBase):
    """Writes of memories: :meth:`apply` (the port's one write of changes and new memories)."""

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

        ``BEGIN IMMEDIATE`` holds the file's write lock from the first read, so the checks of
        ``expected`` versions and of ``unique`` hashes see exactly what the writes replace.
        """
        fresh = self._with_vectors(items, vectors)
        for change in changes:
            if change.vector is not None:
                self._check_vectors(change.vector.reshape(1, -1), 1)
        if not changes and not fresh:
            return
        with self._transaction() as conn:
            for change in changes:
                if change.expected is not None:
                    self._check_expected(conn, change.expected)
            if unique:
                self._check_unique(conn, [item for item, _ in fresh])
            seq = self._next_seq(conn)
            for change in changes:
                self._update_row(conn, change, seq)
            self._insert_rows(conn, fresh, seq)
            self._index_keywords(conn, [c.item for c in changes] + [i for i, _ in fresh])
            self._write_events(conn, [*(c.event for c in changes), *events])

    @staticmethod
    def _check_expected(conn: sqlite3.Connection, expected: MemoryItem) -> None:
        """The memory must still be live and the version a change was computed from."""
        row = conn.execute(
            "SELECT text, metadata, updated_at, deleted_at FROM memories WHERE id = ?", (expected.id,)
        ).fetchone()
        if row is None or row[3] is not None:
            raise NotFoundError.for_id(expected.id)
        if (
            row[0] != expected.text
            or row[2] != expected.updated_at
            or _json_object(row[1]) != expected.metadata
        ):
            raise ConflictError(f"memory {expected.id} changed while it was being written; try again")

    @staticmethod
    def _check_unique(conn: sqlite3.Connection, items: Sequence[MemoryItem]) -> None:
        """No new item may repeat the text of a live memory of its scope (an identical add that
        committed after this add looked)."""
        for item in items:
            where, params = _scope_sql(Scope(item.user_id, item.agent_id, item.run_id))
            row = conn.execute(
                f"SELECT id FROM memories WHERE hash = ? AND {where} AND deleted_at IS NULL LIMIT 1",
                [item.hash, *params],
            ).fetchone()
            if row is not None:
                raise ConflictError(f"memory {row[0]} with the same text was stored meanwhile")

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
            "updated_at, hash, source_ids, deleted_at, embedding, seq, expires_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    i.expires_at,
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
            f"deleted_at=?, embedding={'embedding' if keep_vector else '?'}, seq=?, expires_at=? WHERE id=?",
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
                item.expires_at,
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

    @staticmethod
    def _index_keywords(conn: sqlite3.Connection, items: Sequence[MemoryItem]) -> None:
        """Keep each written memory's ``keywords`` (CJK pieces, migration 4) in step with its text."""
        rows = [(index_text(i.text), i.text, i.id) for i in items if i.deleted_at is None]
        conn.executemany(
            "UPDATE memories SET keywords = ?1 WHERE id = ?2 AND keywords IS NOT ?1",
            [(None if keywords == text else keywords, memory_id) for keywords, text, memory_id in rows],
        )
