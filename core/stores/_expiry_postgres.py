"""Expiry on the PostgreSQL store (see :mod:`memspan.expiry`): the condition reads add, and the sweep.

Instants are memspan's canonical UTC text, compared byte-wise (``COLLATE "C"``) so no database
collation can reorder them; ``%(expiry_now)s`` is the store's clock at the time of the query.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..expiry import EXPIRED, SWEEP_BATCH

#: true for a memory that has not expired (add it wherever a query says ``deleted_at IS NULL``)
NOT_EXPIRED = '(expires_at IS NULL OR expires_at COLLATE "C" > %(expiry_now)s)'

V3 = """
ALTER TABLE {schema}.memories ADD COLUMN expires_at text;
CREATE INDEX memories_expiry ON {schema}.memories ((expires_at COLLATE "C"))
    WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
"""


def sweep_batch(conn: psycopg.Connection[Any], q: str, where: str, params: dict[str, Any], now: str) -> int:
    """Soft-delete up to :data:`SWEEP_BATCH` expired memories and write their DELETE events, in one
    statement of the caller's transaction.

    ``FOR UPDATE SKIP LOCKED`` leaves rows another transaction is writing (a refresh that pushes
    the expiry back, a second sweeper) to that transaction; the UPDATE re-checks the expiry of each
    row it locks, so a memory refreshed meanwhile is not deleted, and each event is written from the
    row the UPDATE returned, so events and deletions always agree.
    """
    cursor = conn.execute(
        f"WITH due AS (SELECT pk FROM {q}.memories WHERE deleted_at IS NULL AND expires_at IS NOT NULL "
        f'AND expires_at COLLATE "C" <= %(at)s AND {where} ORDER BY pk LIMIT %(batch)s FOR UPDATE SKIP LOCKED), '
        f"gone AS (UPDATE {q}.memories AS m SET deleted_at = %(at)s, updated_at = %(at)s, embedding = NULL "
        f'FROM due WHERE m.pk = due.pk AND m.deleted_at IS NULL AND m.expires_at COLLATE "C" <= %(at)s '
        "RETURNING m.pk, m.id, m.text, m.metadata, m.user_id, m.agent_id, m.run_id) "
        f"INSERT INTO {q}.history(memory_id, event, old_text, new_text, old_metadata, user_id, agent_id, "
        "run_id, reason, created_at) SELECT id, 'DELETE', text, NULL, metadata, user_id, agent_id, run_id, "
        "%(reason)s, %(at)s FROM gone ORDER BY pk",
        {**params, "at": now, "batch": SWEEP_BATCH, "reason": EXPIRED},
    )
    return int(cursor.rowcount)
