"""The keyword index outlives any number of purges: the "database disk image is malformed" of the
1,000-trial SQLite race runs (issue #18).

Each purge merges the FTS5 index (``'optimize'``, so no old segment keeps a purged word). On SQLite
3.40 (and other releases before FTS5 capped it) every merge also leaves one more level in the
index's structure record, and past 2,000 levels SQLite calls the index corrupt. The race runs
purged about 1,000 times per file and crossed that line near their end. These tests bring an index
to that age in a second (a raw connection merging in one transaction, as a thousand purges would)
and then use the store as usual.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.scope import Scope
from memspan.stores._sqlite_fts import REBUILD_LEVELS, SQLITE_LEVEL_LIMIT, structure_levels


def _open(path: Path) -> Memory:
    return Memory(path, embedder=HashingEmbedder(64))


def _age_index(path: Path, levels: int) -> int:
    """Merge the index until its structure has about ``levels`` levels; return how many it has.

    Throwaway rows are indexed and the index merged after each, in one transaction, as purges
    between writes would; then the rows are deleted again (through the triggers, as any delete) and
    the index merged once more, which may take it past SQLite's limit."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for n in range(3 * levels):
            if (structure_levels(conn) or 0) >= levels - 2:
                break
            conn.execute(
                "INSERT INTO memories(id, user_id, memory_type, text, hash, created_at, updated_at, seq) "
                "VALUES (?, 'filler', 'semantic', ?, 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0)",
                (f"filler-{n}", f"filler note {n}"),
            )
            conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
        conn.execute("DELETE FROM memories WHERE user_id = 'filler'")
        conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')")
        conn.execute("COMMIT")
        return structure_levels(conn) or 0
    finally:
        conn.close()


def _index_is_sound(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 0)")
        levels = structure_levels(conn)
        assert levels is not None and levels <= REBUILD_LEVELS + 4, levels
        # the index holds exactly the live memories (deleted and purged ones are not indexed)
        indexed = conn.execute("SELECT count(*) FROM memories_fts_docsize").fetchone()[0]
        live = conn.execute("SELECT count(*) FROM memories WHERE deleted_at IS NULL").fetchone()[0]
        assert indexed == live
    finally:
        conn.close()


def _keyword(memory: Memory, user: str, query: str) -> list[str]:
    """The store's keyword search alone (a search through Memory adds the vector half)."""
    return [item.text for item, _ in memory.store.search_keyword(Scope(user_id=user), query, None, 10)]


def _seed(path: Path) -> str:
    with _open(path) as memory:
        memory.add(["Ana lives in Lisbon", "Ana works as a nurse"], user_id="ana", infer=False)
        gone = memory.add("Ana once lived in Porto", user_id="ana", infer=False).changes[0].item.id
        memory.delete(gone)
    return gone


def test_purges_keep_an_old_keyword_index_under_sqlites_limit(tmp_path: Path) -> None:
    """A store in use whose index has been merged a thousand times goes on purging: the old code's
    next purges took it past 2,000 levels and every later write failed as "malformed"."""
    path = tmp_path / "purged.db"
    _seed(path)
    with _open(path) as memory:
        reached = _age_index(path, SQLITE_LEVEL_LIMIT - 10)  # while this store is open
        if reached < SQLITE_LEVEL_LIMIT - 10:
            pytest.skip(f"this SQLite caps the index at {reached} levels: the limit cannot be reached")
        for k in range(12):  # each purge merged the index again: one or two more levels each
            memory.add(f"Bob's note {k} about zeppelins", user_id=f"bob-{k}", infer=False)
            assert memory.delete_all(user_id=f"bob-{k}", purge=True) == 1
        memory.add("Ana likes zeppelins", user_id="ana", infer=False)
        assert _keyword(memory, "ana", "zeppelins") == ["Ana likes zeppelins"]
        assert _keyword(memory, "bob-3", "zeppelins") == []
    _index_is_sound(path)


def test_a_store_whose_index_went_past_the_limit_is_repaired_when_opened(tmp_path: Path) -> None:
    """A file the old code left unreadable (its index past 2,000 levels: every keyword search and
    every write failed as "malformed") is usable again once memspan opens it for writing."""
    path = tmp_path / "broken.db"
    gone = _seed(path)
    reached = _age_index(path, SQLITE_LEVEL_LIMIT + 2)
    if reached <= SQLITE_LEVEL_LIMIT:
        pytest.skip(f"this SQLite caps the index at {reached} levels: the limit cannot be reached")
    broken = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match=r"malformed|vtable constructor failed"):
        broken.execute("SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'lisbon'").fetchall()
    broken.close()

    with _open(path) as memory:
        assert _keyword(memory, "ana", "Lisbon Porto") == ["Ana lives in Lisbon"]  # Porto was deleted
        memory.add("Ana moved to Porto again", user_id="ana", infer=False)
        assert _keyword(memory, "ana", "Porto") == ["Ana moved to Porto again"]
        assert memory.get(gone, include_deleted=True).deleted_at is not None
    _index_is_sound(path)
