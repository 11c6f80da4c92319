"""pytest plugin: LangGraph's own store tests, with each store built as a ``MemspanStore``.

Loaded with ``-p _langgraph_memspan`` before the host's test modules are imported, it replaces the
store classes those modules import (``InMemoryStore``, ``SqliteStore``, ``AsyncSqliteStore``) by
constructors of a ``MemspanStore`` over a fresh memspan SQLite file; nothing else in the tests
changes. Every namespace lives in one tenant scope (``fixed(user_id="host-suite")``), as an
application with one store per tenant would configure it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import langgraph.store.memory

from memspan import AsyncMemory, Memory
from memspan.config import default_embedder
from memspan.integrations.langchain import MemspanStore
from memspan.integrations.langchain.namespaces import fixed

_EMBEDDER = default_embedder()
_TENANT = fixed(user_id="host-suite")


def _index(index: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(index) if index else None


def _path(conn: str) -> str:
    if conn in (":memory:", "") or conn.startswith("file::memory:"):
        fd, path = tempfile.mkstemp(suffix=".db")
        os.close(fd)
        return path
    return conn


class _SetupMixin:
    def setup(self) -> None:  # memspan migrates when it opens the file
        return None


class InMemoryStore(_SetupMixin, MemspanStore):
    def __init__(self, *, index: Mapping[str, Any] | None = None, ttl: Any = None) -> None:
        super().__init__(
            Memory(_path(":memory:"), embedder=_EMBEDDER), scope=_TENANT, index=_index(index), ttl=ttl
        )


class SqliteStore(_SetupMixin, MemspanStore):
    @classmethod
    @contextmanager
    def from_conn_string(cls, conn: str, *, index: Any = None, ttl: Any = None) -> Iterator[SqliteStore]:
        memory = Memory(_path(conn), embedder=_EMBEDDER)
        store = cls(memory, scope=_TENANT, index=_index(index), ttl=ttl)
        try:
            yield store
        finally:
            store.stop_ttl_sweeper()
            memory.close()


class AsyncSqliteStore(MemspanStore):
    async def setup(self) -> None:  # type: ignore[override]
        return None

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls, conn: str, *, index: Any = None, ttl: Any = None
    ) -> AsyncIterator[AsyncSqliteStore]:
        memory = AsyncMemory(_path(conn), embedder=_EMBEDDER)
        store = cls(memory, scope=_TENANT, index=_index(index), ttl=ttl)
        try:
            yield store
        finally:
            store.stop_ttl_sweeper()
            await memory.aclose()

    async def sweep_ttl(self) -> int:  # type: ignore[override]  # AsyncSqliteStore's is a coroutine
        return await self.asweep_ttl()

    async def start_ttl_sweeper(self, sweep_interval_minutes: float | None = None) -> Any:  # type: ignore[override]
        return super().start_ttl_sweeper(sweep_interval_minutes)

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:  # type: ignore[override]
        return super().stop_ttl_sweeper(timeout)


langgraph.store.memory.InMemoryStore = InMemoryStore  # type: ignore[misc]
try:
    import langgraph.store.sqlite
    import langgraph.store.sqlite.aio

    langgraph.store.sqlite.SqliteStore = SqliteStore  # type: ignore[misc]
    langgraph.store.sqlite.aio.AsyncSqliteStore = AsyncSqliteStore  # type: ignore[misc]
    langgraph.store.sqlite.AsyncSqliteStore = AsyncSqliteStore  # type: ignore[attr-defined]
except ImportError:  # the checkpoint suite alone needs no sqlite package
    pass
