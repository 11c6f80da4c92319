"""The SQLite store's purge path: ``delete_all`` (soft, or ``purge=True``), and after a purge the
emptying of the write-ahead log and the search for what the file may still hold of the erased
memories. None of it waits long for another process's reader: see :meth:`SQLitePurges.scrub_wal`."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence

from ..scope import Scope
from ._sqlite_base import SQLiteBase
from ._sqlite_fts import merge_after_purge
from ._sqlite_rows import _scope_sql, _utc_now
from ._sqlite_scrub import pages_holding

log = logging.getLogger("memspan.store")
#: how long a purge waits for other connections to let go of the WAL (it blocks writers meanwhile)
PURGE_WAL_WAIT = 0.2


class SQLitePurges(SQLiteBase):
    """Deleting a whole scope, and erasing it for good."""

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
            doomed = conn.execute(f"SELECT id, text FROM memories WHERE {where}", params).fetchall()
            count = len(doomed)
            texts = [text for _, text in doomed]
            for old, new in conn.execute(
                f"SELECT old_text, new_text FROM history WHERE memory_id IN (SELECT id FROM memories WHERE {where})",
                params,
            ):
                texts.extend(t for t in (old, new) if t)
            conn.execute(
                f"DELETE FROM history WHERE memory_id IN (SELECT id FROM memories WHERE {where})", params
            )
            conn.execute(f"DELETE FROM memories WHERE {where}", params)
            # the full-text index keeps deleted terms in old segments until they are merged
            merge_after_purge(conn)
            conn.execute(
                "INSERT INTO audit(action, scope, count, created_at) VALUES ('PURGE', ?, ?, ?)",
                (json.dumps(scope.as_dict()), count, at),
            )
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'epoch'")
        # secure_delete zeroed every freed page and cell of the file (no VACUUM: it needs a copy of
        # the file on disk and holds the lock for as long as it copies); the WAL still holds
        # earlier versions of the changed pages until it is copied back and emptied
        # what to look for once the WAL is empty (now, or at the next scrub_wal of this process)
        self._unverified.append(([i for i, _ in doomed], texts, at))
        self.scrub_wal(wait=PURGE_WAL_WAIT, at=at)
        return int(count)

    def _erase_leftovers(self, ids: Sequence[str], texts: Sequence[str], at: str) -> None:
        """Look for a purge's ids and texts in the file (see :mod:`._sqlite_scrub`) and report the
        pages where they are still found (a ``RESIDUE`` audit record and a log warning).

        Rewriting those pages' rows was tried and dropped: under concurrent writers it could not be
        shown safe in the time available (one run ended with a malformed file), so leftovers are
        reported, and a VACUUM by hand erases them."""
        page_size = int(self._query("PRAGMA page_size")[0][0])
        pages = pages_holding(self.path, page_size, ids, self._not_kept(texts))
        if not pages:
            return
        log.warning(
            "%s: erased text is still found in %d pages after a purge; VACUUM the file to erase it",
            self.path,
            len(pages),
        )
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO audit(action, scope, count, created_at) VALUES ('RESIDUE', '{}', ?, ?)",
                (len(pages), at),
            )

    def _not_kept(self, texts: Sequence[str]) -> list[str]:
        """The erased texts that no kept memory or history event still holds (another scope may
        hold the same text: finding it there is no leftover)."""
        if not texts:
            return []
        chosen = "(SELECT value FROM json_each(?))"
        kept = self._query(
            f"SELECT text FROM memories WHERE text IN {chosen} UNION SELECT old_text FROM history "
            f"WHERE old_text IN {chosen} UNION SELECT new_text FROM history WHERE new_text IN {chosen}",
            [json.dumps(list(set(texts)))] * 3,
        )
        held = {row[0] for row in kept}
        return [t for t in texts if t not in held]

    def scrub_wal(self, *, wait: float = 0.0, at: str | None = None) -> bool:
        """Copy the write-ahead log into the file and empty it; True if it is empty now.

        After a purge the WAL still holds earlier versions of the pages it changed, erased text
        included. Emptying it needs every reader (in any process) to be past them, and waiting
        for that would hold the write lock and stall every other user, so this waits at most
        ``wait`` seconds. A purge whose WAL could not be emptied is reported (a log warning and a
        ``WAL_PENDING`` audit record, content-free) and emptied by the next call that can: every
        purge tries, and so does :meth:`close`; ``WAL_SCRUBBED`` records when it happened.
        """
        if self.read_only:
            return False
        with self._lock:
            try:
                self._conn.execute(f"PRAGMA busy_timeout={max(int(wait * 1000), 0)}")
                busy, frames, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            finally:
                self._conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            unverified: list[tuple[list[str], list[str], str]] = []
            if busy == 0:
                unverified, self._unverified = self._unverified, []
            pending = self._meta("wal_pending") is not None
            stamp = at or _utc_now()
            if busy == 0 and pending:
                with self._transaction() as conn:
                    conn.execute("DELETE FROM meta WHERE key = 'wal_pending'")
                    conn.execute(
                        "INSERT INTO audit(action, scope, count, created_at) VALUES ('WAL_SCRUBBED', '{}', 0, ?)",
                        (stamp,),
                    )
                # that record went through the WAL: empty it again (it holds no erased text now)
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            elif busy != 0 and at is not None:
                log.warning(
                    "%s: a purge could not empty the write-ahead log (a reader is still using it); "
                    "%d log frames may hold erased text until the next purge, close or scrub_wal()",
                    self.path,
                    frames,
                )
                with self._transaction() as conn:
                    conn.execute(
                        "INSERT OR REPLACE INTO meta(key, value) VALUES ('wal_pending', ?)", (stamp,)
                    )
                    conn.execute(
                        "INSERT INTO audit(action, scope, count, created_at) VALUES ('WAL_PENDING', '{}', ?, ?)",
                        (int(frames), stamp),
                    )
        for ids, texts, when in unverified:  # outside the lock: the file scan must not stall others
            self._erase_leftovers(ids, texts, when)
        return bool(busy == 0)

    def reset(self) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM memories")
            conn.execute("DELETE FROM history")
            conn.execute("DELETE FROM audit")
            conn.execute("DELETE FROM meta WHERE key IN ('dimension', 'embedder')")
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key IN ('epoch', 'seq')")
