"""The PostgreSQL store's schema, as numbered migrations (the simonw/llm pattern).

Each migration runs once, in order, inside one transaction holding an advisory lock, so several
processes opening the same database at once migrate it exactly once. ``{schema}`` is replaced by
the store's quoted PostgreSQL schema name. Append new migrations; never edit a released one.
"""

from __future__ import annotations

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

#: migration N (1-based) is MIGRATIONS[N - 1]
MIGRATIONS: list[str] = [V1]

#: one advisory lock key for every memspan migration on a server
MIGRATION_LOCK = 0x6D656D7370616E
