"""The public facades. :class:`Memory` and :class:`AsyncMemory` share one :class:`~memspan.pipeline.Engine`;
each method builds the same flow and only the driver differs (blocking or awaited). What they
share besides (opening and closing what they work with) is in :mod:`memspan._memory_base`."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._memory_base import _Base, _optional_scope
from .effects import run_async, run_sync
from .expiry import TTL, UNCHANGED, ExpiresAt, Unchanged
from .messages import MessagesInput
from .scope import Scope
from .telemetry import traced
from .types import AddResult, HistoryEvent, MemoryItem, MemoryType, SearchResult

if TYPE_CHECKING:
    from .graph.api import AsyncGraphAPI, GraphAPI


class Memory(_Base):
    """Long-term memory for agents, blocking API. Use as a context manager or call :meth:`close`."""

    @property
    def graph(self) -> GraphAPI:
        """Entities and relations of a Memory opened with ``graph=``."""
        engine = self._graph_engine()
        from .graph.api import GraphAPI

        return GraphAPI(engine, self._engine.now)

    @traced("add")
    def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        memory_type: str | MemoryType | None = None,
        infer: bool = True,
        expires_at: ExpiresAt = None,
        ttl: TTL = None,
    ) -> AddResult:
        """Remember what matters in ``messages`` (a string, a message dict, or a list of them).

        ``ttl`` (seconds or a timedelta) or ``expires_at`` (a datetime or ISO-8601 string) makes the
        new memories expire: invisible from then on, deleted by :meth:`sweep_expired`."""
        scope = Scope.of(user_id, agent_id, run_id, operation="add")
        return run_sync(
            self._engine.add(
                messages, scope=scope, metadata=metadata, memory_type=memory_type, infer=infer,
                expires_at=expires_at, ttl=ttl,
            )
        )  # fmt: skip

    @traced("search")
    def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        threshold: float | None = None,
        explain: bool = False,
        rerank: bool | None = None,
    ) -> SearchResult:
        """The memories of the scope that best match ``query``, scored in [0, 1], best first.

        ``rerank`` defaults to using the Memory's reranker when it has one."""
        scope = Scope.of(user_id, agent_id, run_id, operation="search")
        return run_sync(
            self._engine.search(
                query,
                scope=scope,
                filters=filters,
                limit=limit,
                threshold=threshold,
                explain=explain,
                rerank=rerank,
            )
        )

    @traced("get")
    def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        """One memory by id. With ``user_id=`` (etc.) it must lie in that scope, else NotFoundError."""
        owner = Scope(user_id, agent_id, run_id)
        return run_sync(self._engine.get(memory_id, include_deleted=include_deleted, owner=owner))

    @traced("get_all")
    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> list[MemoryItem]:
        """The memories of a scope, newest first, ``limit`` at a time from ``offset``, matching ``filters``."""
        scope = Scope.of(user_id, agent_id, run_id, operation="get_all")
        return run_sync(
            self._engine.get_all(
                scope=scope, filters=filters, limit=limit, offset=offset, include_deleted=include_deleted
            )
        )

    @traced("update")
    def update(
        self,
        memory_id: str,
        text: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        expires_at: ExpiresAt | Unchanged = UNCHANGED,
        ttl: TTL = None,
    ) -> MemoryItem:
        """Change a memory's text and/or replace its metadata; the old version goes to history.
        ``ttl=`` / ``expires_at=`` set a new expiry (``expires_at=None`` removes it).

        With ``user_id=`` (etc.) the memory must lie in that scope, else NotFoundError and no change
        (the same holds for :meth:`get`, :meth:`delete` and :meth:`history`).
        """
        owner = Scope(user_id, agent_id, run_id)
        return run_sync(
            self._engine.update(
                memory_id, text=text, metadata=metadata, owner=owner, expires_at=expires_at, ttl=ttl
            )
        )

    @traced("delete")
    def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        """Delete one memory; it stays readable in :meth:`history`."""
        return run_sync(self._engine.delete(memory_id, owner=Scope(user_id, agent_id, run_id)))

    @traced("delete_all")
    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        """Delete every memory of a scope. ``purge=True`` erases them and their history for good
        (right to erasure), leaving only a content-free audit record."""
        scope = Scope.of(user_id, agent_id, run_id, operation="delete_all")
        return run_sync(self._engine.delete_all(scope=scope, purge=purge))

    @traced("history")
    def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]:
        """Every change to one memory, oldest first (ADD, UPDATE, DELETE); held to a scope when one is given."""
        return run_sync(self._engine.history(memory_id, owner=Scope(user_id, agent_id, run_id)))

    @traced("sweep_expired")
    def sweep_expired(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        """Delete the memories whose expiry has passed (of a scope, or of the whole store), each with
        a DELETE event; returns how many. They were already invisible (see :mod:`memspan.expiry`)."""
        return run_sync(self._engine.sweep_expired(scope=_optional_scope(user_id, agent_id, run_id)))

    @traced("reset")
    def reset(self) -> None:
        """Erase every memory of every scope."""
        run_sync(self._engine.reset())

    def __enter__(self) -> Memory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncMemory(_Base):
    """The same memory, awaitable: ports with native coroutines are awaited, others run in threads."""

    @property
    def graph(self) -> AsyncGraphAPI:
        """Entities and relations of an AsyncMemory opened with ``graph=``."""
        engine = self._graph_engine()
        from .graph.api import AsyncGraphAPI

        return AsyncGraphAPI(engine, self._engine.now)

    @traced("add")
    async def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        memory_type: str | MemoryType | None = None,
        infer: bool = True,
        expires_at: ExpiresAt = None,
        ttl: TTL = None,
    ) -> AddResult:
        scope = Scope.of(user_id, agent_id, run_id, operation="add")
        return await run_async(
            self._engine.add(
                messages, scope=scope, metadata=metadata, memory_type=memory_type, infer=infer,
                expires_at=expires_at, ttl=ttl,
            )
        )  # fmt: skip

    @traced("search")
    async def search(
        self,
        query: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 10,
        threshold: float | None = None,
        explain: bool = False,
        rerank: bool | None = None,
    ) -> SearchResult:
        scope = Scope.of(user_id, agent_id, run_id, operation="search")
        return await run_async(
            self._engine.search(
                query,
                scope=scope,
                filters=filters,
                limit=limit,
                threshold=threshold,
                explain=explain,
                rerank=rerank,
            )
        )

    @traced("get")
    async def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        owner = Scope(user_id, agent_id, run_id)
        return await run_async(self._engine.get(memory_id, include_deleted=include_deleted, owner=owner))

    @traced("get_all")
    async def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> list[MemoryItem]:
        scope = Scope.of(user_id, agent_id, run_id, operation="get_all")
        return await run_async(
            self._engine.get_all(
                scope=scope, filters=filters, limit=limit, offset=offset, include_deleted=include_deleted
            )
        )

    @traced("update")
    async def update(
        self,
        memory_id: str,
        text: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        expires_at: ExpiresAt | Unchanged = UNCHANGED,
        ttl: TTL = None,
    ) -> MemoryItem:
        owner = Scope(user_id, agent_id, run_id)
        return await run_async(
            self._engine.update(
                memory_id, text=text, metadata=metadata, owner=owner, expires_at=expires_at, ttl=ttl
            )
        )

    @traced("delete")
    async def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        return await run_async(self._engine.delete(memory_id, owner=Scope(user_id, agent_id, run_id)))

    @traced("delete_all")
    async def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        scope = Scope.of(user_id, agent_id, run_id, operation="delete_all")
        return await run_async(self._engine.delete_all(scope=scope, purge=purge))

    @traced("history")
    async def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]:
        return await run_async(self._engine.history(memory_id, owner=Scope(user_id, agent_id, run_id)))

    @traced("sweep_expired")
    async def sweep_expired(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int:
        return await run_async(self._engine.sweep_expired(scope=_optional_scope(user_id, agent_id, run_id)))

    @traced("reset")
    async def reset(self) -> None:
        await run_async(self._engine.reset())

    async def aclose(self) -> None:
        self.close()
        aclose = getattr(self._own_llm, "aclose", None)
        if aclose is not None:  # the async HTTP client can only be closed on the event loop
            await aclose()

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
