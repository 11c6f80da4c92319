"""What every framework adapter needs from memspan: the facade as an effects port, and scope rules.

Adapters write each operation once, as a flow (see :mod:`memspan.effects`) that yields calls on a
:class:`FacadePort`; ``run_sync`` serves the framework's blocking methods and ``run_async`` its
coroutines. Nothing here imports a framework, so the LlamaIndex adapter shares it too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from typing import Any

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call
from memspan.errors import ValidationError
from memspan.facade import (
    AnyFacade,
    AsyncMemoryFacade,
    MemoryFacade,
    blocking_twin,
    is_async_facade,
    is_blocking_facade,
    require_facade,
)

#: the facade methods adapters call through the port
FACADE_METHODS = frozenset({"add", "search", "get", "get_all", "update", "delete", "delete_all"})


#: what an adapter accepts as its memory: any facade, or a store path / URL to open
MemoryLike = AnyFacade | str | os.PathLike[str]


def open_facade(memory: object) -> Any:
    """A facade as given, or one opened from a location: an ``http(s)://`` URL is a memspan server
    (``RemoteMemory``, key from ``$MEMSPAN_API_KEY``), anything else a store path or URL (``Memory``)."""
    if isinstance(memory, (str, os.PathLike)):
        location = os.fspath(memory)
        if location.startswith(("http://", "https://")):
            from memspan.client import RemoteMemory

            return RemoteMemory(location)
        from memspan import Memory

        return Memory(location)
    return memory


class FacadePort:
    """Any memspan memory facade (local or a server client, blocking or awaitable) seen as one port.

    Blocking calls go to a blocking facade; ``a``-prefixed calls go to the awaitable facade when the
    caller gave one (so its native coroutines are awaited), and otherwise ``run_async`` runs the
    blocking method in a worker thread. Given an awaitable facade, the blocking twin is
    :func:`memspan.facade.blocking_twin`'s: a ``Memory`` over the same store, or a ``RemoteMemory``
    to the same server with the same key, so both paths see one memory.
    """

    def __init__(self, memory: MemoryLike):
        memory = open_facade(memory)
        require_facade(memory)
        self.awaitable: AsyncMemoryFacade | None = None
        self._blocking: MemoryFacade | None = None
        if is_async_facade(memory):
            self.awaitable = memory
            self._blocking = blocking_twin(memory)
        elif is_blocking_facade(memory):
            self._blocking = memory
        self.memory = memory

    @property
    def blocking(self) -> MemoryFacade:
        if self._blocking is None:
            raise ValidationError(
                f"{type(self.memory).__name__} is awaitable only, so use the framework's async methods "
                "(ainvoke, aget, ...), or pass a blocking memspan memory"
            )
        return self._blocking

    def _sweeper(self, name: str) -> Any:
        if name == "asweep_expired":
            if self.awaitable is None:
                raise AttributeError(name)  # run_async then runs the blocking method in a thread
            target: Any = self.awaitable
        else:
            target = self.blocking
        method = getattr(target, "sweep_expired", None)
        if method is None:
            raise ValidationError(f"{type(target).__name__} cannot sweep expired memories (no sweep_expired)")
        return method

    def __getattr__(self, name: str) -> Any:
        if name in ("sweep_expired", "asweep_expired"):  # memspan.expiry: every memspan facade has it
            return self._sweeper(name)
        if name.startswith("a") and name[1:] in FACADE_METHODS:
            if self.awaitable is None:
                raise AttributeError(name)  # run_async then runs the blocking method in a thread
            return getattr(self.awaitable, name[1:])
        if name in FACADE_METHODS:
            return getattr(self.blocking, name)
        raise AttributeError(name)


def absolute_location(location: str | os.PathLike[str]) -> str:
    """A store path or URL that means the same file from any working directory.

    Component configs and serialised adapters are loaded elsewhere; a relative ``memspan.db`` would
    then open (and create) a different, empty database. URLs other than ``sqlite:///`` name a server
    and are kept as given.
    """
    text = os.fspath(location)
    scheme, sep, rest = text.partition("://")
    if not sep:
        return os.path.abspath(os.path.expanduser(text))
    if scheme.lower() == "sqlite" and rest.startswith("/") and not rest.startswith("//"):
        return "sqlite:///" + os.path.abspath(os.path.expanduser(rest[1:]))
    return text


class AwaitableFacade:
    """A blocking memspan memory (``Memory`` or ``RemoteMemory``) seen through awaitable methods.

    For frameworks whose memory interface is all coroutines (AutoGen): each call runs the blocking
    method in a worker thread, so the event loop stays free, and both kinds of memory are accepted.
    """

    def __init__(self, memory: MemoryFacade):
        self.blocking = memory

    async def _run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self.blocking, name), *args, **kwargs)

    async def add(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("add", *args, **kwargs)

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("search", *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("get", *args, **kwargs)

    async def get_all(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("get_all", *args, **kwargs)

    async def update(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("update", *args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("delete", *args, **kwargs)

    async def delete_all(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("delete_all", *args, **kwargs)

    async def history(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("history", *args, **kwargs)

    async def aclose(self) -> None:
        await self._run("close")

    @property
    def store(self) -> Any:
        return getattr(self.blocking, "store", None)


def open_if_path(memory: object) -> object:
    """A store path or URL opened as a :class:`memspan.Memory` (absolute, so it can be serialised);
    anything else unchanged, for :class:`FacadePort` to check."""
    if isinstance(memory, (str, os.PathLike)):
        from memspan import Memory

        return Memory(absolute_location(memory))
    return memory


def as_awaitable(memory: object, what: str = "memory") -> AsyncMemoryFacade:
    """Any memspan memory as an awaitable facade (a blocking one runs in worker threads)."""
    if is_async_facade(memory):
        return memory
    if is_blocking_facade(memory):
        wrapped: AsyncMemoryFacade = AwaitableFacade(memory)  # type: ignore[assignment]
        return wrapped
    return require_facade(memory, what)  # type: ignore[return-value]  # always raises here


def as_blocking(memory: object, what: str = "memory") -> MemoryFacade:
    """Any memspan memory as a blocking facade (an awaitable one through its blocking twin)."""
    if is_blocking_facade(memory):
        return memory
    if is_async_facade(memory):
        twin = blocking_twin(memory)
        if twin is None:
            raise ValidationError(
                f"{what}: {type(memory).__name__} has no blocking twin; pass a memspan Memory or RemoteMemory"
            )
        return twin
    return require_facade(memory, what)  # type: ignore[return-value]  # always raises here


def long_term_scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> Scope:
    """Where long-term memories of a conversation live: the user and/or agent, not the session.

    A memory written under ``run_id`` could only be found again in that same session, and
    deduplication would only compare it with that session's memories; so when a user or an agent
    is named, the run only keys the transcript. A run alone (an anonymous session) is the scope;
    such a session's long-term memories then share the run's scope with its transcript, so give
    a user or an agent id wherever both are kept.
    """
    if user_id is not None or agent_id is not None:
        return Scope.of(user_id, agent_id, None)
    return Scope.of(None, None, run_id, operation="remembering")


def recall_scope(write: Scope, within: Sequence[str] | None) -> Scope:
    """Where an adapter that writes to ``write`` recalls: the whole user unless ``within`` narrows it
    (see :mod:`memspan.integrations._scopes`, the rule every adapter follows)."""
    from ._scopes import recall_ids

    ids = recall_ids(write.as_dict(), within)
    return Scope(ids.get("user_id"), ids.get("agent_id"), ids.get("run_id"))


def message_text(content: Any) -> str:
    """The text of a chat message's content: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def format_memories(texts: list[str], heading: str = "Relevant long-term memories") -> str:
    """The block of recalled memories put in front of a model."""
    return heading + ":\n" + "\n".join(f"- {text}" for text in texts)


#: metadata marking a memory as a verbatim transcript message rather than a remembered fact
TRANSCRIPT = "memspan_transcript"
#: the filter recall uses, so a session's verbatim transcript never crowds out remembered facts
NOT_TRANSCRIPT: dict[str, Any] = {TRANSCRIPT: {"ne": True}}
#: metadata marking a memory as a LangGraph store item (an application's own record, not a recalled fact)
STORE_ITEM = "memspan_store_item"
#: what recall looks at: remembered facts, neither transcript messages nor store items
RECALLABLE: dict[str, Any] = {TRANSCRIPT: {"ne": True}, STORE_ITEM: {"ne": True}}


def recall(
    port: FacadePort,
    scope: Scope,
    query: str,
    *,
    limit: int,
    threshold: float | None,
    filters: dict[str, Any] | None = None,
) -> Flow[list[MemoryItem]]:
    """The scope's remembered facts that best match ``query`` (by default transcript messages and
    store items left out: ``filters`` replaces that)."""
    found = yield call(
        port,
        "search",
        query,
        **scope.as_dict(),
        filters=filters or RECALLABLE,
        limit=limit,
        threshold=threshold,
    )
    return list(found)


def remember(port: FacadePort, scope: Scope, messages: Sequence[dict[str, str]]) -> Flow[None]:
    """Hand a conversation to memspan's extractor, which decides what of it to keep."""
    if messages:
        yield call(port, "add", list(messages), **scope.as_dict())


FORMAT = "transcript_format"
POSITION = "transcript_position"
MESSAGE = "transcript_message"
_PAGE = 1000


class Transcript:
    """A session's messages kept verbatim as memspan memories (no extraction), in order.

    A transcript lives in the scope of its session id alone (``run_id``), never in a user's or an
    agent's scope: memspan's extractor compares new facts with everything in their scope, so
    verbatim turns there would pass for facts already remembered (and a language-model extractor
    could rewrite them). Each message is one memory marked as transcript, with the framework's
    own serialised message in its metadata so tool calls, names and extra fields round-trip;
    ``fmt`` keeps two frameworks' transcripts of one session apart.
    """

    def __init__(self, port: FacadePort, fmt: str, ttl: float | None = None):
        """``ttl`` (seconds): each message expires that long after it was written (memspan.expiry)."""
        self.port = port
        self.fmt = fmt
        self.ttl = ttl

    def load(self, run_id: str) -> Flow[list[MemoryItem]]:
        items: list[MemoryItem] = []
        while True:
            page = yield call(
                self.port,
                "get_all",
                run_id=run_id,
                filters={FORMAT: self.fmt, TRANSCRIPT: True},
                limit=_PAGE,
                offset=len(items),
            )
            items.extend(page)
            if len(page) < _PAGE:
                return sorted(items, key=lambda item: int(item.metadata[POSITION]))

    def append(
        self,
        run_id: str,
        entries: Sequence[tuple[str, str, dict[str, Any]]],
        extra: dict[str, Any] | None = None,
    ) -> Flow[None]:
        """Add ``(role, searchable text, serialised message)`` entries after the last message."""
        items = yield from self.load(run_id)
        position = int(items[-1].metadata[POSITION]) + 1 if items else 0
        for offset, (role, text, payload) in enumerate(entries):
            metadata = {TRANSCRIPT: True, FORMAT: self.fmt, POSITION: position + offset, MESSAGE: payload}
            message = {"role": role, "content": text}
            expiry = {"ttl": self.ttl} if self.ttl is not None else {}  # a facade without expiry still works
            yield call(
                self.port,
                "add",
                message,
                run_id=run_id,
                metadata=metadata | (extra or {}),
                infer=False,
                **expiry,
            )

    def mark(self, items: Sequence[MemoryItem], extra: dict[str, Any]) -> Flow[None]:
        """Set metadata on transcript messages (e.g. LlamaIndex's archived status)."""
        for item in items:
            yield call(self.port, "update", item.id, metadata=dict(item.metadata) | extra)

    def remove(self, items: Sequence[MemoryItem]) -> Flow[None]:
        for item in items:
            yield call(self.port, "delete", item.id)
