"""Who read or wrote which memories, one row per request, queryable and exportable.

The log fails closed: a write's row is committed (status ``started``) *before* the store is
touched, so no write is performed without it, and is completed (``done`` with the ids it changed, or
``failed``) when the store answered. A read's row is written after the store answered and before
anything is returned, so no memory leaves the service unlogged. If the service database cannot be
written the call answers 503 and, for a write, the store is never touched.

Cost is bounded: one row per request (the ids of a listed page go into one column), and old rows
are pruned by age and by the database's size (:class:`Retention`) a batch at a time.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from ..errors import StoreError
from ..scope import Scope
from ..types import MemoryItem
from .keys import Principal, utc_now
from .service_db import ServiceDB

logger = logging.getLogger(__name__)

Action = Literal["read", "write"]
COLUMNS = (
    "id",
    "at",
    "key_id",
    "key_name",
    "action",
    "operation",
    "memory_id",
    "user_id",
    "agent_id",
    "run_id",
    "memory_ids",
    "count",
    "status",
)
_INSERT = (
    "INSERT INTO access_log(at, key_id, key_name, action, operation, memory_id, user_id, agent_id, "
    "run_id, memory_ids, count, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass(frozen=True, slots=True)
class Retention:
    """How much access log to keep: rows older than ``max_age_days`` go, and the oldest rows go
    while the service database holds more than ``max_mib`` of data (0 turns a limit off).

    Pruning runs every ``every`` rows written and deletes at most ``batch`` rows a round, a few
    rounds at most, so no request pays for a large backlog at once.
    """

    max_age_days: float = 90.0
    max_mib: float = 256.0
    every: int = 100
    batch: int = 2000


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which rows to return; every field set narrows the result."""

    key_id: str | None = None
    memory_id: str | None = None
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    action: Action | None = None
    since: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("key_id", "user_id", "agent_id", "run_id", "action"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.memory_id is not None:
            # a row of one memory names it in memory_id; a row of several lists them in memory_ids
            clauses.append("(memory_id = ? OR instr(' ' || memory_ids || ' ', ?) > 0)")
            params += [self.memory_id, f" {self.memory_id} "]
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(self.since)
        return (" AND ".join(clauses) or "1"), params


def _row(values: Iterable[Any]) -> dict[str, Any]:
    row = dict(zip(COLUMNS, values, strict=True))
    ids = row["memory_ids"]
    row["memory_ids"] = ids.split(" ") if ids else ([row["memory_id"]] if row["memory_id"] else [])
    if row["count"] is None:  # a row from before one row per request
        row["count"] = len(row["memory_ids"])
    return row


def _ids(items: Iterable[MemoryItem]) -> tuple[str | None, str | None, int]:
    """(memory_id when exactly one, space-separated ids, count)."""
    ids = list(dict.fromkeys(i.id for i in items))
    return (ids[0] if len(ids) == 1 else None), (" ".join(ids) or None), len(ids)


class PendingWrite:
    """A write's row, committed before the store is touched; :meth:`done` records what changed."""

    def __init__(self, log: AccessLog, pk: int):
        self.log = log
        self.pk = pk

    def done(self, items: Iterable[MemoryItem], count: int | None = None) -> None:
        """The write succeeded; ``count`` overrides the number of ids (a delete_all's count)."""
        memory_id, ids, n = _ids(items)
        self.log._finish(self.pk, "done", memory_id, ids, n if count is None else count)

    def failed(self) -> None:
        self.log._finish(self.pk, "failed", None, None, 0)


class AccessLog:
    def __init__(self, db: ServiceDB, retention: Retention | None = None):
        self.db = db
        self.retention = retention or Retention()
        self._written = 0

    def _insert(
        self,
        who: Principal,
        action: Action,
        operation: str,
        scope: Scope,
        ids: tuple[str | None, str | None, int | None],
        status: str,
    ) -> int:
        memory_id, memory_ids, count = ids
        with self.db.transaction() as conn:
            cursor = conn.execute(
                _INSERT,
                (
                    utc_now(),
                    who.key_id,
                    who.name,
                    action,
                    operation,
                    memory_id,
                    scope.user_id,
                    scope.agent_id,
                    scope.run_id,
                    memory_ids,
                    count,
                    status,
                ),
            )
            pk = int(cursor.lastrowid or 0)
        self._written += 1
        if self._written % max(1, self.retention.every) == 0:
            self.prune()
        return pk

    def record(
        self, who: Principal, action: Action, operation: str, items: Iterable[MemoryItem], scope: Scope
    ) -> None:
        """One row for a call that returned (or changed) ``items`` of ``scope``; nothing when it
        returned nothing. Raises :class:`StoreError` when the row cannot be written, so the caller
        answers 503 instead of returning unlogged memories."""
        ids = _ids(items)
        if ids[2]:
            self._insert(who, action, operation, scope, ids, "done")

    def begin(
        self, who: Principal, operation: str, scope: Scope, memory_id: str | None = None
    ) -> PendingWrite:
        """Commit a write's row before the write; :class:`StoreError` (nothing written) if it cannot."""
        ids = (memory_id, memory_id, None)
        return PendingWrite(self, self._insert(who, "write", operation, scope, ids, "started"))

    def _finish(self, pk: int, status: str, memory_id: str | None, ids: str | None, count: int) -> None:
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    "UPDATE access_log SET status = ?, memory_id = coalesce(?, memory_id), "
                    "memory_ids = coalesce(?, memory_ids), count = ? WHERE pk = ?",
                    (status, memory_id, ids, count, pk),
                )
        except StoreError:
            # the write has its 'started' row already; the outcome is what could not be recorded
            logger.exception("access log row %s: could not record the outcome %r", pk, status)

    def prune(self) -> int:
        """Delete rows past the retention limits, a bounded number of batches; how many went."""
        r = self.retention
        removed = 0
        if r.max_age_days > 0:
            cutoff = (
                (datetime.now(timezone.utc) - timedelta(days=r.max_age_days))
                .isoformat(timespec="milliseconds")
                .replace("+00:00", "Z")
            )
            removed += self._delete_oldest("at < ?", [cutoff])
        if r.max_mib > 0:
            limit = r.max_mib * 1024 * 1024
            for _ in range(4):
                used = self.used_bytes()
                if used <= limit:
                    break
                # drop the oldest share of rows that brings the file to 90% of the limit
                low, high = self.db.query("SELECT min(pk), max(pk) FROM access_log")[0]
                if low is None:
                    break
                share = (used - 0.9 * limit) / used
                gone = self._delete_oldest("1", [], max(1, int((high - low + 1) * share)))
                removed += gone
                if not gone:
                    break
        return removed

    def _delete_oldest(self, where: str, params: list[Any], most: int | None = None) -> int:
        with self.db.transaction() as conn:
            cursor = conn.execute(
                f"DELETE FROM access_log WHERE pk IN (SELECT pk FROM access_log WHERE {where} "
                "ORDER BY pk LIMIT ?)",
                [*params, min(most or self.retention.batch, self.retention.batch)],
            )
            return int(cursor.rowcount)

    def used_bytes(self) -> int:
        """Bytes of the service database in use (freed pages are reused, so the file stops growing)."""
        pages = self.db.query("PRAGMA page_count")[0][0]
        free = self.db.query("PRAGMA freelist_count")[0][0]
        size = self.db.query("PRAGMA page_size")[0][0]
        return int((pages - free) * size)

    def query(self, q: LogQuery, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Newest first."""
        where, params = q.where()
        rows = self.db.query(
            f"SELECT pk, {', '.join(COLUMNS[1:])} FROM access_log WHERE {where} "
            "ORDER BY pk DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [_row(row) for row in rows]

    def export(self, q: LogQuery, fmt: Literal["jsonl", "csv"]) -> Iterator[str]:
        """Every matching row, oldest first, as JSON lines or CSV, in pages so memory stays flat."""
        if fmt == "csv":
            yield ",".join(COLUMNS) + "\r\n"
        where, params = q.where()
        last = 0
        while True:
            rows = self.db.query(
                f"SELECT pk, {', '.join(COLUMNS[1:])} FROM access_log WHERE {where} AND pk > ? "
                "ORDER BY pk LIMIT 1000",
                [*params, last],
            )
            if not rows:
                return
            last = rows[-1][0]
            if fmt == "jsonl":
                yield "".join(json.dumps(_row(r)) + "\n" for r in rows)
            else:
                buffer = io.StringIO()
                csv.writer(buffer).writerows(
                    [*r[: len(COLUMNS) - 3], " ".join(d["memory_ids"]), d["count"], d["status"]]
                    for r in rows
                    for d in [_row(r)]
                )
                yield buffer.getvalue()
