"""The memory facade as a protocol, so an integration takes an embedded memory or a server client alike.

:class:`~memspan.Memory` and :class:`~memspan.client.RemoteMemory` share one blocking interface,
:class:`~memspan.AsyncMemory` and :class:`~memspan.client.AsyncRemoteMemory` one awaitable interface,
with the same result types. Framework adapters check what they were given with :func:`require_facade`
(never ``isinstance(x, Memory)``), so a memory served by ``memspan serve`` drops in wherever a local
one does. Nothing here imports the client (or httpx): :func:`blocking_twin` looks for it only when
the object in hand could be one.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeGuard, runtime_checkable

from .errors import ValidationError
from .expiry import TTL, ExpiresAt, Unchanged
from .messages import MessagesInput
from .types import AddResult, HistoryEvent, MemoryItem, SearchResult

#: the data methods every facade has, blocking or awaitable; ``close`` / ``aclose`` come on top
FACADE_METHODS = ("add", "search", "get", "get_all", "update", "delete", "delete_all", "history")


@runtime_checkable
class MemoryFacade(Protocol):
    """The blocking facade: :class:`~memspan.Memory` and :class:`~memspan.client.RemoteMemory`."""

    def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
        expires_at: ExpiresAt = None,
        ttl: TTL = None,
    ) -> AddResult: ...

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
    ) -> SearchResult: ...

    def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem: ...

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[MemoryItem]: ...

    def update(
        self,
        memory_id: str,
        text: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        expires_at: ExpiresAt | Unchanged = ...,
        ttl: TTL = None,
    ) -> MemoryItem: ...

    def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem: ...

    def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int: ...

    def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncMemoryFacade(Protocol):
    """The awaitable facade: :class:`~memspan.AsyncMemory` and :class:`~memspan.client.AsyncRemoteMemory`."""

    async def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
        expires_at: ExpiresAt = None,
        ttl: TTL = None,
    ) -> AddResult: ...

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
    ) -> SearchResult: ...

    async def get(
        self,
        memory_id: str,
        *,
        include_deleted: bool = False,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem: ...

    async def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[MemoryItem]: ...

    async def update(
        self,
        memory_id: str,
        text: str | None = None,
        *,
        metadata: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        expires_at: ExpiresAt | Unchanged = ...,
        ttl: TTL = None,
    ) -> MemoryItem: ...

    async def delete(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> MemoryItem: ...

    async def delete_all(
        self, *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> int: ...

    async def history(
        self,
        memory_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[HistoryEvent]: ...

    async def aclose(self) -> None: ...


AnyFacade = MemoryFacade | AsyncMemoryFacade

if TYPE_CHECKING:  # mypy proves the four classes satisfy the protocols; nothing runs
    from .client import AsyncRemoteMemory, RemoteMemory
    from .memory import AsyncMemory, Memory

    def _conforms(
        local: Memory, remote: RemoteMemory, alocal: AsyncMemory, aremote: AsyncRemoteMemory
    ) -> None:
        blocking: list[MemoryFacade] = [local, remote]
        awaitable: list[AsyncMemoryFacade] = [alocal, aremote]
        del blocking, awaitable


_EXAMPLES = "memspan.Memory('memspan.db') or memspan.client.RemoteMemory(url, api_key=...)"
_ASYNC_EXAMPLES = "memspan.AsyncMemory('memspan.db') or memspan.client.AsyncRemoteMemory(url, api_key=...)"


def _kind(obj: object) -> Literal["blocking", "async"] | None:
    """Which facade ``obj`` is, judged by its methods: all present, and all coroutines or none.

    ``isinstance`` against a runtime protocol only sees that the names exist, and an ``AsyncMemory``
    also has a blocking ``close``; so the data methods decide, and a mix of the two is neither.
    """
    methods = [getattr(obj, name, None) for name in FACADE_METHODS]
    if not all(callable(method) for method in methods):
        return None
    awaited = [inspect.iscoroutinefunction(method) for method in methods]
    if all(awaited) and callable(getattr(obj, "aclose", None)):
        return "async"
    if not any(awaited) and callable(getattr(obj, "close", None)):
        return "blocking"
    return None


def is_blocking_facade(obj: object) -> TypeGuard[MemoryFacade]:
    """Whether ``obj`` is used like :class:`~memspan.Memory` (plain methods)."""
    return _kind(obj) == "blocking"


def is_async_facade(obj: object) -> TypeGuard[AsyncMemoryFacade]:
    """Whether ``obj`` is used like :class:`~memspan.AsyncMemory` (awaited methods)."""
    return _kind(obj) == "async"


def require_facade(obj: object, what: str = "memory") -> AnyFacade:
    """``obj`` if it is a blocking or an awaitable memory facade, else a ValidationError saying which."""
    if is_blocking_facade(obj) or is_async_facade(obj):
        return obj
    raise ValidationError(
        f"{what} must be a memspan memory (Memory, AsyncMemory, RemoteMemory or AsyncRemoteMemory), "
        f"got {type(obj).__name__}; open one with {_EXAMPLES}"
    )


def require_blocking(obj: object, what: str = "memory") -> MemoryFacade:
    """``obj`` if it is a blocking facade; an awaitable one is refused with the blocking equivalent."""
    if is_blocking_facade(obj):
        return obj
    if is_async_facade(obj):
        raise ValidationError(
            f"{what} must be a blocking memspan memory, got the awaitable {type(obj).__name__}; "
            f"use {_EXAMPLES}"
        )
    return require_facade(obj, what)  # type: ignore[return-value]  # always raises here


def require_async(obj: object, what: str = "memory") -> AsyncMemoryFacade:
    """``obj`` if it is an awaitable facade; a blocking one is refused with the awaitable equivalent."""
    if is_async_facade(obj):
        return obj
    if is_blocking_facade(obj):
        raise ValidationError(
            f"{what} must be an awaitable memspan memory, got the blocking {type(obj).__name__}; "
            f"use {_ASYNC_EXAMPLES}"
        )
    return require_facade(obj, what)  # type: ignore[return-value]  # always raises here


def blocking_twin(memory: AsyncMemoryFacade) -> MemoryFacade | None:
    """A blocking facade onto the same memory as ``memory``, for frameworks that call both ways.

    An ``AsyncMemory`` gets a ``Memory`` over the same store, embedder, extractor and settings. An
    ``AsyncRemoteMemory`` gets a ``RemoteMemory`` to the same server with the same key, timeout and
    retries: an ``httpx.AsyncClient`` is bound to the event loop it first ran on, so its coroutines
    cannot be run from blocking code on a loop of their own. A custom ``transport=`` is not carried
    over (the twin uses a plain HTTP connection). Any other awaitable facade has no known twin: ``None``.
    """
    from .memory import AsyncMemory, Memory

    if isinstance(memory, AsyncMemory):
        return Memory(
            memory.store, embedder=memory.embedder, extractor=memory.extractor, settings=memory.settings
        )
    client = sys.modules.get("memspan.client")  # an AsyncRemoteMemory exists only once this is imported
    if client is not None and isinstance(memory, client.AsyncRemoteMemory):
        http = memory._http  # the key lives only in the client's headers
        _, _, key = str(http.headers.get("Authorization", "")).partition(" ")
        twin: MemoryFacade = client.RemoteMemory(
            memory.url, api_key=key, timeout=http.timeout.read or 60.0, retries=memory.retries
        )
        return twin
    return None
