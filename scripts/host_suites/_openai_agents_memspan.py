"""pytest plugin: the OpenAI Agents SDK's own session tests, with each ``SQLiteSession`` a ``MemspanSession``.

Loaded with ``-p _openai_agents_memspan`` before the host's test modules are imported, it replaces
the ``SQLiteSession`` those modules import by a constructor of a :class:`MemspanSession` over a
memspan SQLite file at the same path (a fresh file for ``:memory:``); nothing else in the tests changes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import agents
import agents.memory

from memspan import Memory
from memspan.config import default_embedder
from memspan.integrations.openai_agents import MemspanSession

_EMBEDDER = default_embedder()


class SQLiteSession(MemspanSession):
    """``SQLiteSession(session_id, db_path, ..., session_settings=)`` as memspan keeps it."""

    def __init__(
        self,
        session_id: str,
        db_path: str | Path = ":memory:",
        sessions_table: str = "agent_sessions",
        messages_table: str = "agent_messages",
        session_settings: Any = None,
    ) -> None:
        path = str(db_path)
        if path == ":memory:":
            fd, path = tempfile.mkstemp(suffix=".db")
            os.close(fd)
        super().__init__(session_id, Memory(path, embedder=_EMBEDDER), session_settings=session_settings)

    def close(self) -> None:
        super().close()
        memory: Any = self.port.memory
        memory.close()


agents.SQLiteSession = SQLiteSession  # type: ignore[misc,assignment]
agents.memory.SQLiteSession = SQLiteSession  # type: ignore[misc,assignment]
