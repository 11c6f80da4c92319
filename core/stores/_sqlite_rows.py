"""Rows of the SQLite store as memspan's types, and the SQL pieces every query of it shares."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..errors import CorruptRecordError
from ..filters import format_timestamp
from ..ports import Vector
from ..scope import SCOPE_KEYS, Scope
from ..types import MemoryItem, MemoryType

ITEM_COLUMNS = (
    "pk, id, text, user_id, agent_id, run_id, memory_type, metadata, created_at, updated_at, "
    "hash, source_ids, deleted_at, expires_at"
)


def _fts_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def scope_match(scope: Scope) -> str:
    """The FTS5 condition that keeps a keyword match inside a scope (see migration 3).

    Each id is one token, ``u``/``a``/``r`` + its UTF-8 bytes in hex, exactly as the generated
    ``scope_text`` column spells it; the SQL still checks the ids themselves.
    """
    tokens = [f'"{key[0]}{value.encode().hex().upper()}"' for key, value in scope.items()]
    return " AND ".join(f"scope_text : {token}" for token in tokens)


def _scope_sql(scope: Scope, alias: str = "") -> tuple[str, list[str]]:
    prefix = f"{alias}." if alias else ""
    clauses = [f"{prefix}{key} = ?" for key, _ in scope.items()]
    return " AND ".join(clauses) or "1", [value for _, value in scope.items()]


def _json_object(text: str) -> dict[str, Any]:
    return {} if text == "{}" else json.loads(text)  # type: ignore[no-any-return]


def _json_tuple(text: str) -> tuple[str, ...]:
    return () if text == "[]" else tuple(json.loads(text))


_MEMORY_TYPES = {t.value: t for t in MemoryType}


def _utc_now() -> str:
    return format_timestamp(datetime.now(timezone.utc))


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _row_item(row: Sequence[Any]) -> MemoryItem:
    """A memory from a row of ``ITEM_COLUMNS`` (positional: a search converts dozens of rows)."""
    try:
        return MemoryItem(
            row[1],  # id
            row[2],  # text
            row[3],  # user_id
            row[4],  # agent_id
            row[5],  # run_id
            _MEMORY_TYPES[row[6]],
            _json_object(row[7]),  # metadata
            row[8],  # created_at
            row[9],  # updated_at
            row[10],  # hash
            _json_tuple(row[11]),  # source_ids
            row[12],  # deleted_at
            None,  # score
            None,  # score_details
            row[13],  # expires_at
        )
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise _corrupt(row[1], exc) from exc


def _corrupt(memory_id: object, exc: BaseException) -> CorruptRecordError:
    shown = memory_id if isinstance(memory_id, str) else None
    return CorruptRecordError(
        f"memory {memory_id!r} is stored in a form memspan cannot read ({type(exc).__name__}: {exc}); "
        "skip it (export and migrate do) or restore it from a backup",
        shown,
    )


def filter_record(item: MemoryItem) -> dict[str, Any]:
    """What a filter sees of a memory: its metadata plus its own fields."""
    record: dict[str, Any] = dict(item.metadata)
    record.update(
        id=item.id,
        memory_type=item.memory_type.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
        user_id=item.user_id,
        agent_id=item.agent_id,
        run_id=item.run_id,
    )
    for key in SCOPE_KEYS:
        if record[key] is None:
            del record[key]
    return record
