"""Who read or wrote which memory, one row per memory touched, queryable and exportable.

Rows are written by the REST handlers after the store answered, so a row means the memory was
really returned to (or changed by) that key. The log is append-only through the API.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from ..scope import Scope
from ..types import MemoryItem
from .keys import Principal, utc_now
from .service_db import ServiceDB

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
)


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
        for column in ("key_id", "memory_id", "user_id", "agent_id", "run_id", "action"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(self.since)
        return (" AND ".join(clauses) or "1"), params


class AccessLog:
    def __init__(self, db: ServiceDB):
        self.db = db

    def record(self, who: Principal, action: Action, operation: str, items: Iterable[MemoryItem]) -> None:
        at = utc_now()
        rows = [
            (at, who.key_id, who.name, action, operation, i.id, i.user_id, i.agent_id, i.run_id)
            for i in items
        ]
        if not rows:
            return
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO access_log(at, key_id, key_name, action, operation, memory_id, user_id, "
                "agent_id, run_id) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )

    def record_scope(self, who: Principal, action: Action, operation: str, scope: Scope) -> None:
        """A row for a call that touched a whole scope (delete_all) rather than listed memories."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO access_log(at, key_id, key_name, action, operation, memory_id, user_id, "
                "agent_id, run_id) VALUES (?,?,?,?,?,NULL,?,?,?)",
                (
                    utc_now(),
                    who.key_id,
                    who.name,
                    action,
                    operation,
                    scope.user_id,
                    scope.agent_id,
                    scope.run_id,
                ),
            )

    def query(self, q: LogQuery, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Newest first."""
        where, params = q.where()
        rows = self.db.query(
            f"SELECT pk, {', '.join(COLUMNS[1:])} FROM access_log WHERE {where} "
            "ORDER BY pk DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [dict(zip(COLUMNS, row, strict=True)) for row in rows]

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
                yield "".join(json.dumps(dict(zip(COLUMNS, r, strict=True))) + "\n" for r in rows)
            else:
                buffer = io.StringIO()
                csv.writer(buffer).writerows(rows)
                yield buffer.getvalue()
