"""Keeping the SQLite keyword index (FTS5) inside the limits SQLite itself enforces.

A purge merges the whole index (FTS5 ``'optimize'``) so that no old segment keeps the purged
words. In the SQLite of many systems (3.40 among them) each ``'optimize'`` also appends one more
*level* to the index's structure record, and nothing ever removes the empty levels left below it.
SQLite refuses a structure of more than 2,000 levels as corrupt: after about a thousand purges in
one store every keyword search, and every write that touches the index, failed with "database disk
image is malformed", and a new connection could not open the index at all ("vtable constructor
failed"). Later SQLite releases cap the levels at 64, so they never get near the limit.

So the level count is read before merging (one small row), and an index with too many levels is
rebuilt from the live memories instead of merged: a rebuild starts from an empty structure and
leaves no purged word behind either. A store that already went past the limit is repaired the same
way when it is opened for writing.
"""

from __future__ import annotations

import sqlite3

#: the row of ``memories_fts_data`` that holds the index's structure record
STRUCTURE_ROWID = 10
#: SQLite rejects a structure with more levels than this (``FTS5_MAX_SEGMENT``)
SQLITE_LEVEL_LIMIT = 2000
#: above this many levels the index is rebuilt rather than merged (half of what SQLite accepts)
REBUILD_LEVELS = 1000
#: what newer SQLite versions put after the 4-byte cookie of a structure record (then the counts)
_V2_MARKER = b"\xff\x00\x00\x01"


def _varint(data: bytes, at: int) -> int | None:
    """SQLite's variable-length integer at ``at`` (``None`` if the record ends first)."""
    value = 0
    for offset in range(9):
        if at + offset >= len(data):
            return None
        byte = data[at + offset]
        if offset == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    return value


def structure_levels(conn: sqlite3.Connection) -> int | None:
    """How many levels the keyword index's structure record holds (``None``: no record, or a
    layout this code does not know; then nothing is decided from it)."""
    row = conn.execute("SELECT block FROM memories_fts_data WHERE id = ?", (STRUCTURE_ROWID,)).fetchone()
    if row is None or not isinstance(row[0], bytes) or len(row[0]) < 5:
        return None
    block: bytes = row[0]
    at = 8 if block[4:8] == _V2_MARKER else 4
    return _varint(block, at)


def rebuild(conn: sqlite3.Connection) -> None:
    """Index the live memories again from an empty index (deleted memories are not indexed)."""
    conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('delete-all')")
    conn.execute(
        "INSERT INTO memories_fts(rowid, text, scope_text) "
        "SELECT pk, coalesce(keywords, text), scope_text FROM memories WHERE deleted_at IS NULL"
    )


def merge_after_purge(conn: sqlite3.Connection) -> None:
    """Leave no purged word in an old segment of the index: merge it, or rebuild it when merging
    would grow its structure towards the limit SQLite enforces (see the module's docstring)."""
    levels = structure_levels(conn)
    if levels is not None and levels > REBUILD_LEVELS:
        rebuild(conn)
    else:
        conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")


def needs_repair(conn: sqlite3.Connection) -> bool:
    """Whether the index's structure has grown past :data:`REBUILD_LEVELS` (or SQLite's limit)."""
    levels = structure_levels(conn)
    return levels is not None and levels > REBUILD_LEVELS


def repair(conn: sqlite3.Connection) -> None:
    """Give the index an empty structure, then rebuild it from the live memories.

    Past SQLite's limit the index cannot even be opened, so not even ``'delete-all'`` can run
    before its structure record is replaced by an empty one (the bytes FTS5 writes for a new
    index, read from a scratch table so they match this SQLite's own format).
    """
    conn.execute("CREATE VIRTUAL TABLE temp.memspan_fts_blank USING fts5(x)")
    try:
        blank = conn.execute(
            "SELECT block FROM temp.memspan_fts_blank_data WHERE id = ?", (STRUCTURE_ROWID,)
        ).fetchone()[0]
    finally:
        conn.execute("DROP TABLE temp.memspan_fts_blank")
    conn.execute("UPDATE memories_fts_data SET block = ? WHERE id = ?", (blank, STRUCTURE_ROWID))
    rebuild(conn)
