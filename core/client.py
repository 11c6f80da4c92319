"""A client for ``memspan serve`` with the interface of :class:`~memspan.Memory`.

``RemoteMemory`` (blocking, like ``Memory``) and ``AsyncRemoteMemory`` (like ``AsyncMemory``) return
the same types as the embedded memory, so either can be handed to a framework integration. Like the
embedded pipeline, each operation (and its retries) is written once as a flow of HTTP calls
(``memspan._wire``), run by :func:`~memspan.effects.run_sync` or :func:`~memspan.effects.run_async`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from ._wire import (
    HTTP,
    PAGE,
    AuthenticationError,
    ForbiddenError,
    Op,
    Operations,
    RateLimitedError,
    RemoteError,
    ServiceUnavailableError,
    connection,
    owner_ids,
    scope_ids,
)
from .effects import run_async, run_sync
from .expiry import TTL, UNCHANGED, ExpiresAt, Unchanged, wire_fields
from .messages import MessagesInput
from .types import AddResult, HistoryEvent, MemoryItem, MemoryType, SearchResult, Usage

__all__ = [
    "PAGE",
    "AsyncRemoteMemory",
    "AuthenticationError",
    "ForbiddenError",
    "RateLimitedError",
    "RemoteError",
    "RemoteMemory",
    "ServiceUnavailableError",
]


class RemoteMemory(Operations):
    """:class:`~memspan.Memory`'s API over HTTP: ``RemoteMemory("http://127.0.0.1:8765", api_key=...)``.

    ``url`` and ``api_key`` default to ``$MEMSPAN_URL`` and ``$MEMSPAN_API_KEY``. Rate-limited calls
    are retried ``retries`` times after the server's ``Retry-After``.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ):
        base, headers = connection(url, api_key)
        self.url = base
        self.retries = retries
        self._http = httpx.Client(base_url=base, headers=headers, timeout=timeout, transport=transport)
        self._io = HTTP(self._http, base)

    def _run(self, op: Op) -> Any:
        return run_sync(op)

    @property
    def usage(self) -> Usage:
        """Model calls are spent on the server; the client spends none."""
        return Usage()

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
        ids = scope_ids(user_id, agent_id, run_id)
        result: AddResult = self._run(
            self.op_add(messages, ids, metadata, memory_type, infer, wire_fields(expires_at, ttl))
        )
        return result

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
    ) -> SearchResult:
        ids = scope_ids(user_id, agent_id, run_id)
        op = self.op_search(query, ids, filters=filters, limit=limit, threshold=threshold, explain=explain)
        result: SearchResult = self._run(op)
        return result

    def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        owner = owner_ids(user_id, agent_id, run_id)
        item: MemoryItem = self._run(self.op_get(memory_id, include_deleted, owner))
        return item

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
        ids = scope_ids(user_id, agent_id, run_id)
        items: list[MemoryItem] = self._run(self.op_get_all(ids, filters, limit, offset, include_deleted))
        return items

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
        owner = owner_ids(user_id, agent_id, run_id)
        item: MemoryItem = self._run(
            self.op_update(memory_id, text, metadata, owner, wire_fields(expires_at, ttl))
        )
        return item

    def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        item: MemoryItem = self._run(self.op_delete(memory_id, owner_ids(user_id, agent_id, run_id)))
        return item

    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        count: int = self._run(self.op_delete_all(scope_ids(user_id, agent_id, run_id), purge))
        return count

    def sweep_expired(self) -> int:
        """Delete the server store's expired memories (an admin key's call); returns how many."""
        count: int = self._run(self.op_sweep_expired())
        return count

    def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]:
        events: list[HistoryEvent] = self._run(
            self.op_history(memory_id, owner_ids(user_id, agent_id, run_id))
        )
        return events

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteMemory:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncRemoteMemory(Operations):
    """:class:`~memspan.AsyncMemory`'s API over HTTP; the same operations, awaited."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        base, headers = connection(url, api_key)
        self.url = base
        self.retries = retries
        self._http = httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout, transport=transport)
        self._io = HTTP(self._http, base)

    async def _run(self, op: Op) -> Any:
        return await run_async(op)

    @property
    def usage(self) -> Usage:
        return Usage()

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
        ids = scope_ids(user_id, agent_id, run_id)
        result: AddResult = await self._run(
            self.op_add(messages, ids, metadata, memory_type, infer, wire_fields(expires_at, ttl))
        )
        return result

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
    ) -> SearchResult:
        ids = scope_ids(user_id, agent_id, run_id)
        op = self.op_search(query, ids, filters=filters, limit=limit, threshold=threshold, explain=explain)
        result: SearchResult = await self._run(op)
        return result

    async def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        owner = owner_ids(user_id, agent_id, run_id)
        item: MemoryItem = await self._run(self.op_get(memory_id, include_deleted, owner))
        return item

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
        ids = scope_ids(user_id, agent_id, run_id)
        items: list[MemoryItem] = await self._run(
            self.op_get_all(ids, filters, limit, offset, include_deleted)
        )
        return items

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
        owner = owner_ids(user_id, agent_id, run_id)
        item: MemoryItem = await self._run(
            self.op_update(memory_id, text, metadata, owner, wire_fields(expires_at, ttl))
        )
        return item

    async def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem:
        item: MemoryItem = await self._run(self.op_delete(memory_id, owner_ids(user_id, agent_id, run_id)))
        return item

    async def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        count: int = await self._run(self.op_delete_all(scope_ids(user_id, agent_id, run_id), purge))
        return count

    async def sweep_expired(self) -> int:
        count: int = await self._run(self.op_sweep_expired())
        return count

    async def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]:
        events: list[HistoryEvent] = await self._run(
            self.op_history(memory_id, owner_ids(user_id, agent_id, run_id))
        )
        return events

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRemoteMemory:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
