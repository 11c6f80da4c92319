"""pytest plugin: Google ADK's own ``InMemoryMemoryService`` tests, with the service built by memspan.

Loaded with ``-p _adk_memspan`` before the host's test module is imported, it replaces
``InMemoryMemoryService`` in ``google.adk.memory.in_memory_memory_service`` by a constructor of a
:class:`MemspanMemoryService` over a fresh memspan SQLite file, searching within the app and user
(``recall_within=["user_id", "agent_id"]``) as ADK's own services key memory; nothing else changes.
``$ADK_MEMSPAN_THRESHOLD`` sets the service's ``threshold`` (adk.sh runs the suite without one and
with 0.25, where only memories sharing a word or close in meaning come back, as keyword search's do).
"""

from __future__ import annotations

import os
import tempfile

import google.adk.memory
import google.adk.memory.in_memory_memory_service as host

from memspan import Memory
from memspan.config import default_embedder
from memspan.integrations.adk import MemspanMemoryService

_EMBEDDER = default_embedder()


class InMemoryMemoryService(MemspanMemoryService):
    """``InMemoryMemoryService()`` as memspan keeps it."""

    def __init__(self) -> None:
        fd, path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
        threshold = float(os.environ["ADK_MEMSPAN_THRESHOLD"]) if os.environ.get("ADK_MEMSPAN_THRESHOLD") else None
        super().__init__(
            Memory(path, embedder=_EMBEDDER), recall_within=["user_id", "agent_id"], threshold=threshold
        )


host.InMemoryMemoryService = InMemoryMemoryService  # type: ignore[misc]
google.adk.memory.InMemoryMemoryService = InMemoryMemoryService  # type: ignore[misc,attr-defined]
