"""Expiry on the SQLite store (see :mod:`memspan.expiry`): the condition reads add, and the sweep.

Reads compare ``expires_at`` with ``memspan_now()``, an SQL function each connection gets that
returns the store's clock, so a condition needs no extra parameter and every query keeps its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..expiry import EXPIRED, SWEEP_BATCH

#: true for a memory that has not expired (add it wherever a query says ``deleted_at IS NULL``)
NOT_EXPIRED = "(expires_at IS NULL OR expires_at > memspan_now())"
#: the live memories whose time has come (the partial index ``memories_expiry`` finds them)
_EXPIRED = "deleted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?"


def install_clock(conn: sqlite3.Connection, clock: Callable[[], str]) -> None:
    """Give ``conn`` the ``memspan_now()`` function (looked up per call, so a new clock applies)."""
    conn.create_function("memspan_now", 0, clock)


def expired_pks(
    query: Callable[[str, Sequence[Any]], list[Any]], where: str, params: Sequence[Any], now: str
) -> set[int]:
    """Primary keys of the scope's live memories that have expired but are not swept yet."""
    # named, or the planner walks the whole scope by its user index instead of the few expired rows
    rows = query(
        f"SELECT pk FROM memories INDEXED BY memories_expiry WHERE {_EXPIRED} AND {where}", [now, *params]
    )
    return {int(row[0]) for row in rows}


def sweep_batch(
    conn: sqlite3.Connection, where: str, params: Sequence[Any], now: str, next_seq: Callable[[], int]
) -> int:
    """Soft-delete up to :data:`SWEEP_BATCH` expired memories with their DELETE events, inside the
    caller's write transaction (``BEGIN IMMEDIATE``: no other writer runs meanwhile)."""
    pks = [
        row[0]
        for row in conn.execute(
            f"SELECT pk FROM memories INDEXED BY memories_expiry WHERE {_EXPIRED} AND {where} ORDER BY pk LIMIT ?",
            [now, *params, SWEEP_BATCH],
        )
    ]
    if not pks:
        return 0
    seq = next_seq()  # readers' vector mirrors drop the swept rows from this change on
    chosen = "pk IN (SELECT value FROM json_each(?))"
    keys = "[" + ",".join(str(pk) for pk in pks) + "]"
    conn.execute(
        "INSERT INTO history(memory_id, event, old_text, new_text, old_metadata, user_id, agent_id, run_id, "
        "reason, created_at) SELECT id, 'DELETE', text, NULL, metadata, user_id, agent_id, run_id, ?, ? "
        f"FROM memories WHERE {chosen} ORDER BY pk",
        (EXPIRED, now, keys),
    )
    cursor = conn.execute(
        f"UPDATE memories SET deleted_at = ?, updated_at = ?, embedding = NULL, seq = ? WHERE {chosen}",
        (now, now, seq, keys),
    )
    return int(cursor.rowcount)
