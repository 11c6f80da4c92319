"""The PostgreSQL store's schema, as numbered migrations (the simonw/llm pattern).

Each migration runs once, in order, inside one transaction holding an advisory lock, so several
processes opening the same database at once migrate it exactly once. ``{schema}`` is replaced by
the store's quoted PostgreSQL schema name. Append new migrations; never edit a released one.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..errors import SchemaVersionError
from ._expiry_postgres import V3 as EXPIRY_V3

V1 = """
CREATE TABLE {schema}.meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO {schema}.meta(key, value) VALUES ('application', 'memspan');

CREATE TABLE {schema}.memories (
    pk          bigserial PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    user_id     text,
    agent_id    text,
    run_id      text,
    memory_type text NOT NULL,
    text        text NOT NULL,
    hash        text NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{{}}',
    source_ids  jsonb NOT NULL DEFAULT '[]',
    created_at  text NOT NULL,
    updated_at  text NOT NULL,
    deleted_at  text,
    embedding   vector,
    tsv         tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
);
CREATE INDEX memories_user ON {schema}.memories (user_id, agent_id, run_id);
CREATE INDEX memories_agent ON {schema}.memories (agent_id, run_id);
CREATE INDEX memories_run ON {schema}.memories (run_id);
CREATE INDEX memories_hash ON {schema}.memories (hash);
CREATE INDEX memories_tsv ON {schema}.memories USING gin (tsv);

CREATE TABLE {schema}.history (
    pk           bigserial PRIMARY KEY,
    memory_id    text NOT NULL,
    event        text NOT NULL,
    old_text     text,
    new_text     text,
    old_metadata jsonb,
    new_metadata jsonb,
    user_id      text,
    agent_id     text,
    run_id       text,
    reason       text,
    created_at   text NOT NULL
);
CREATE INDEX history_memory ON {schema}.history (memory_id, pk);

-- what a purge leaves behind: that it happened, never what was erased
CREATE TABLE {schema}.audit (
    pk         bigserial PRIMARY KEY,
    action     text NOT NULL,
    scope      jsonb NOT NULL,
    count      integer NOT NULL,
    created_at text NOT NULL
);
"""

# Keyword search in every language: the 'english' parser keeps a whole Chinese or Japanese clause as
# one token. The index also holds the overlapping two-character pieces of every CJK run (as
# memspan.text.index_text writes them for SQLite), under the 'simple' configuration; a query's CJK
# pieces are looked up as such. The function is IMMUTABLE so the generated column can use it.
_CJK = r"'^[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]$'"
V2 = (
    """
CREATE FUNCTION {schema}.cjk_pieces(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(string_agg(
        CASE WHEN substr(t, i + 1, 1) ~ CJK THEN substr(t, i, 2) ELSE substr(t, i, 1) END, ' ' ORDER BY i
    ), '')
    FROM generate_series(1, char_length(t)) AS i
    WHERE substr(t, i, 1) ~ CJK AND (substr(t, i + 1, 1) ~ CJK OR substr(t, i - 1, 1) !~ CJK)
$$;
DROP INDEX {schema}.memories_tsv;
ALTER TABLE {schema}.memories DROP COLUMN tsv;
ALTER TABLE {schema}.memories ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('english', text) || to_tsvector('simple', {schema}.cjk_pieces(text))
) STORED;
CREATE INDEX memories_tsv ON {schema}.memories USING gin (tsv);
"""
).replace("CJK", _CJK)

#: migration N (1-based) is MIGRATIONS[N - 1]; 3 (expiry) lives beside its code
MIGRATIONS: list[str] = [V1, V2, EXPIRY_V3]

#: one advisory lock key for every memspan migration on a server
MIGRATION_LOCK = 0x6D656D7370616E


def apply_migrations(conn: psycopg.Connection[Any], schema: str, *, create_schema: bool) -> None:
    """Bring ``schema`` up to the latest version inside the caller's transaction."""
    q = f'"{schema}"'
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    if create_schema:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {q}")
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {q}.schema_migrations "
        "(version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {q}.schema_migrations").fetchone()
    current = int(row[0]) if row else 0
    if current > len(MIGRATIONS):
        raise SchemaVersionError(
            f"schema {schema} has version {current}, newer than this memspan understands "
            f"({len(MIGRATIONS)}); upgrade memspan (pip install -U memspan)"
        )
    for version in range(current + 1, len(MIGRATIONS) + 1):
        conn.execute(MIGRATIONS[version - 1].format(schema=q).encode())
        conn.execute(f"INSERT INTO {q}.schema_migrations(version) VALUES (%s)", (version,))
