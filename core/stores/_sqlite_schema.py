"""The SQLite store's schema, as numbered migrations (each runs once, in order, in a transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ..text import index_text

V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES ('application', 'memspan'), ('seq', '0'), ('epoch', '0');

CREATE TABLE memories (
    pk          INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    user_id     TEXT,
    agent_id    TEXT,
    run_id      TEXT,
    memory_type TEXT NOT NULL,
    text        TEXT NOT NULL,
    hash        TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    source_ids  TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    embedding   BLOB,
    seq         INTEGER NOT NULL
);
CREATE INDEX memories_user ON memories(user_id, agent_id, run_id);
CREATE INDEX memories_agent ON memories(agent_id, run_id);
CREATE INDEX memories_run ON memories(run_id);
CREATE INDEX memories_hash ON memories(hash);
CREATE INDEX memories_seq ON memories(seq);

CREATE VIRTUAL TABLE memories_fts USING fts5(
    text, content='memories', content_rowid='pk',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(rowid, text) VALUES (new.pk, new.text);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.pk, old.text);
END;
CREATE TRIGGER memories_fts_update_old AFTER UPDATE OF text, deleted_at ON memories
WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.pk, old.text);
END;
CREATE TRIGGER memories_fts_update_new AFTER UPDATE OF text, deleted_at ON memories
WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(rowid, text) VALUES (new.pk, new.text);
END;

CREATE TABLE history (
    pk           INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_id    TEXT NOT NULL,
    event        TEXT NOT NULL,
    old_text     TEXT,
    new_text     TEXT,
    old_metadata TEXT,
    new_metadata TEXT,
    user_id      TEXT,
    agent_id     TEXT,
    run_id       TEXT,
    reason       TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX history_memory ON history(memory_id, pk);

-- what a purge leaves behind: that it happened, never what was erased
CREATE TABLE audit (
    pk         INTEGER PRIMARY KEY AUTOINCREMENT,
    action     TEXT NOT NULL,
    scope      TEXT NOT NULL,
    count      INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
"""

# V1's two update triggers fired newest first: the new text was indexed, then the 'delete' of the old
# text also dropped the row's length record, so bm25() failed ("database disk image is malformed")
# on every later match. One trigger deletes then inserts, in order; the index is rebuilt from the
# live rows ('rebuild' would index deleted rows too, which no trigger would ever remove).
V2 = """
DROP TRIGGER memories_fts_update_old;
DROP TRIGGER memories_fts_update_new;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, deleted_at ON memories
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text)
        SELECT 'delete', old.pk, old.text WHERE old.deleted_at IS NULL;
    INSERT INTO memories_fts(rowid, text) SELECT new.pk, new.text WHERE new.deleted_at IS NULL;
END;
INSERT INTO memories_fts(memories_fts) VALUES ('delete-all');
INSERT INTO memories_fts(rowid, text) SELECT pk, text FROM memories WHERE deleted_at IS NULL;
"""

# the keyword index also holds each memory's scope as one token per id ('u' + hex of user_id...),
# so a keyword search matches only inside its scope instead of ranking the whole table first
V3 = """
ALTER TABLE memories ADD COLUMN scope_text TEXT GENERATED ALWAYS AS (
    CASE WHEN user_id IS NULL THEN '' ELSE 'u' || hex(user_id) END || ' ' ||
    CASE WHEN agent_id IS NULL THEN '' ELSE 'a' || hex(agent_id) END || ' ' ||
    CASE WHEN run_id IS NULL THEN '' ELSE 'r' || hex(run_id) END
) VIRTUAL;
DROP TRIGGER memories_fts_insert;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_update;
DROP TABLE memories_fts;
CREATE VIRTUAL TABLE memories_fts USING fts5(
    text, scope_text, content='memories', content_rowid='pk',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(rowid, text, scope_text) VALUES (new.pk, new.text, new.scope_text);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, scope_text)
        VALUES ('delete', old.pk, old.text, old.scope_text);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, deleted_at ON memories
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, scope_text)
        SELECT 'delete', old.pk, old.text, old.scope_text WHERE old.deleted_at IS NULL;
    INSERT INTO memories_fts(rowid, text, scope_text)
        SELECT new.pk, new.text, new.scope_text WHERE new.deleted_at IS NULL;
END;
INSERT INTO memories_fts(rowid, text, scope_text) SELECT pk, text, scope_text FROM memories WHERE deleted_at IS NULL;
"""

# Keyword search in every language: FTS5's unicode61 tokenizer keeps a whole Chinese or Japanese
# clause as one token, so nothing ever matched it. A memory whose text has CJK runs gets a
# ``keywords`` column (memspan.text.index_text: its runs as overlapping two-character pieces), and
# the index holds that instead of the raw text; every other memory keeps ``keywords`` NULL and is
# indexed from its text as before. The column is written by the store after each write (see
# SQLiteStore._index_keywords), so a row written by another tool is still indexed by its text.
V4 = """
ALTER TABLE memories ADD COLUMN keywords TEXT;
DROP TRIGGER memories_fts_insert;
DROP TRIGGER memories_fts_delete;
DROP TRIGGER memories_fts_update;
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(rowid, text, scope_text)
        VALUES (new.pk, coalesce(new.keywords, new.text), new.scope_text);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, scope_text)
        VALUES ('delete', old.pk, coalesce(old.keywords, old.text), old.scope_text);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, keywords, deleted_at ON memories
BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, scope_text)
        SELECT 'delete', old.pk, coalesce(old.keywords, old.text), old.scope_text WHERE old.deleted_at IS NULL;
    INSERT INTO memories_fts(rowid, text, scope_text)
        SELECT new.pk, coalesce(new.keywords, new.text), new.scope_text WHERE new.deleted_at IS NULL;
END;
"""


def set_keywords(conn: sqlite3.Connection, rows: list[tuple[int, str]]) -> None:
    """Give rows ``(pk, text)`` the keyword text their index needs (an unchanged row is not touched)."""
    values = [(k if (k := index_text(text)) != text else None, pk) for pk, text in rows]
    conn.executemany(
        "UPDATE memories SET keywords = ? WHERE pk = ? AND keywords IS NOT ?",
        [(k, pk, k) for k, pk in values],
    )


def _backfill_keywords(conn: sqlite3.Connection) -> None:
    set_keywords(conn, conn.execute("SELECT pk, text FROM memories WHERE deleted_at IS NULL").fetchall())


# Expiry (memspan.expiry): a memory may have an instant after which no read sees it. The partial index
# holds only live memories that expire, so finding the expired ones (every search, every sweep)
# costs nothing in a store where nothing expires.
V5 = """
ALTER TABLE memories ADD COLUMN expires_at TEXT;
CREATE INDEX memories_expiry ON memories(expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL;
"""

#: migration N (1-based) is MIGRATIONS[N - 1]; append, never edit a released one
MIGRATIONS: list[str] = [V1, V2, V3, V4, V5]
#: Python steps that run right after migration N's statements, in the same transaction
AFTER: dict[int, Callable[[sqlite3.Connection], None]] = {4: _backfill_keywords}


def statements(script: str) -> list[str]:
    """Split a script into statements (triggers included) so they can run inside one transaction."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.strip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer[:80]!r}")
    return out
