"""What the four hosts added in #19 share: opening what the caller gave, whose memory it is, and
the flows behind their memory tools (no framework imported here).

Each host adapter takes a memspan memory (``Memory``, ``AsyncMemory``, ``RemoteMemory``,
``AsyncRemoteMemory``) or a store path / URL, which it then opens (and closes) itself. Whose memory
it is follows the scope model of :mod:`memspan.integrations._scopes`: writes carry every id given,
recall looks within ``recall_within`` (default: the broadest id given).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from memspan import AddResult, AsyncMemory, Event, MemoryItem, Scope
from memspan.effects import Flow, call, run_async
from memspan.errors import NotFoundError
from memspan.facade import AnyFacade

from ._adapter import NOT_TRANSCRIPT, FacadePort
from ._scopes import ScopeKey, recall_ids

#: what a host adapter accepts as its memory
MemoryLike = AnyFacade | str | os.PathLike[str]


def open_port(memory: object) -> tuple[FacadePort, bool]:
    """A port over ``memory``, and whether the adapter opened it (and so closes it)."""
    if isinstance(memory, (str, os.PathLike)):
        return FacadePort(AsyncMemory(memory)), True
    return FacadePort(memory), False  # type: ignore[arg-type]  # FacadePort raises a clear error


@dataclass(frozen=True)
class Owner:
    """Whose memories an adapter writes (every id given) and recalls (``recall_within``)."""

    write: Scope
    recall: Scope

    @classmethod
    def of(
        cls,
        user_id: str | None,
        agent_id: str | None,
        run_id: str | None,
        recall_within: Sequence[ScopeKey] | None,
        operation: str,
    ) -> Owner:
        write = Scope.of(user_id, agent_id, run_id, operation=operation)
        chosen = recall_ids(write.as_dict(), recall_within)
        return cls(write, Scope(chosen.get("user_id"), chosen.get("agent_id"), chosen.get("run_id")))


def recall_texts(
    port: FacadePort, scope: Scope, query: str, *, limit: int, threshold: float | None
) -> Flow[list[MemoryItem]]:
    """Remembered facts for ``query``: an empty query recalls nothing (there is nothing to match)."""
    if not query.strip():
        return []
    found = yield call(
        port, "search", query, **scope.as_dict(), filters=NOT_TRANSCRIPT, limit=limit, threshold=threshold
    )
    return list(found)


def learn(
    port: FacadePort, scope: Scope, messages: Sequence[Mapping[str, Any]], framework: str
) -> Flow[AddResult]:
    """Hand a turn to memspan's extractor, which decides what of it is worth keeping."""
    if not messages:
        return AddResult()
    result: AddResult = yield call(
        port, "add", [dict(m) for m in messages], **scope.as_dict(), metadata={"framework": framework}
    )
    return result


def save_fact(port: FacadePort, scope: Scope, fact: str, framework: str) -> Flow[str]:
    """The save tool: the extractor first; a fact it finds nothing in is kept as the agent gave it."""
    message = [{"role": "user", "content": fact}]
    meta = {"framework": framework}
    result = yield call(port, "add", message, **scope.as_dict(), metadata=meta)
    if not result.changes:
        result = yield call(port, "add", message, **scope.as_dict(), metadata=meta, infer=False)
    saved = [c for c in result.changes if c.event in (Event.ADD, Event.UPDATE)]
    if saved:
        return "Saved: " + "; ".join(f"{c.item.text} (id {c.item.id})" for c in saved)
    return "Already remembered: " + "; ".join(c.item.text for c in result.changes)


def search_facts(port: FacadePort, scope: Scope, query: str, limit: int) -> Flow[str]:
    """The search tool: one line per memory, best first, with the id ``forget`` takes."""
    found = yield from recall_texts(port, scope, query, limit=limit, threshold=None)
    if not found:
        return "No memories match."
    return "\n".join(f"- {item.text} (id {item.id}, score {item.score:.2f})" for item in found)


def forget_fact(port: FacadePort, scope: Scope, memory_id: str) -> Flow[str]:
    """The forget tool: only a memory in the caller's own scope can be deleted."""
    try:  # another scope's memory reads as missing: the model learns nothing about other users
        item = yield call(port, "delete", memory_id, **scope.as_dict())
    except NotFoundError:
        return f"No memory with id {memory_id} among this user's memories."
    return f"Forgot: {item.text}"


def tool_functions(
    port: FacadePort, owner: Owner, limit: int, framework: str
) -> tuple[Callable[..., Awaitable[str]], ...]:
    """``save_memory``, ``search_memory`` and ``forget_memory`` as plain coroutines, for a host to wrap
    as its own tools (their names, signatures and docstrings become the tools' schemas).

    The model picks only the fact, the query or the id: whose memory it is comes from ``owner``, so a
    model can never reach another user's memories by naming them.
    """

    async def save_memory(fact: str) -> str:
        """Remember one fact about the user for future conversations.

        Args:
            fact: One self-contained fact, preference or decision worth keeping.
        """
        return await run_async(save_fact(port, owner.write, fact, framework))

    async def search_memory(query: str) -> str:
        """Search what you remember about the user; shows each memory's id.

        Args:
            query: What to look for, in plain words.
        """
        return await run_async(search_facts(port, owner.recall, query, limit))

    async def forget_memory(memory_id: str) -> str:
        """Forget one memory, given its id as shown by search_memory.

        Args:
            memory_id: The id search_memory showed.
        """
        return await run_async(forget_fact(port, owner.recall, memory_id))

    return save_memory, search_memory, forget_memory


class HostedMemory:
    """What every host adapter holds: a port over the memory it was given, and whether it opened that
    memory from a path (and so closes it)."""

    port: FacadePort
    _owned: bool

    def _attach(self, memory: object) -> None:
        self.port, self._owned = open_port(memory)

    def close(self) -> None:
        """Close the memory if this object opened it from a path (blocking); a memory passed in stays
        open for its other users."""
        if self._owned:
            memory: Any = self.port.memory
            memory.close()


class RecallingMemory(HostedMemory):
    """A host adapter with an :class:`Owner`: recall within ``owner.recall``, learning and the memory
    tools in the owner's scopes, every write tagged with the host's ``framework`` name."""

    framework: ClassVar[str]
    owner: Owner
    limit: int
    threshold: float | None

    def _attach_owned(
        self,
        memory: object,
        owner: Owner,
        *,
        limit: int,
        threshold: float | None,
    ) -> None:
        self.owner = owner  # validated first: a bad scope opens no store
        self._attach(memory)
        self.limit, self.threshold = limit, threshold

    def _recall(self, query: str) -> Flow[list[MemoryItem]]:
        return recall_texts(self.port, self.owner.recall, query, limit=self.limit, threshold=self.threshold)

    async def recall(self, query: str) -> list[MemoryItem]:
        """What memspan remembers for ``query`` in the recall scope, best first."""
        return await run_async(self._recall(query))

    async def _learn(self, messages: Sequence[Mapping[str, Any]]) -> AddResult:
        return await run_async(learn(self.port, self.owner.write, messages, self.framework))

    def _tool_functions(self, search_limit: int | None) -> tuple[Callable[..., Awaitable[str]], ...]:
        return tool_functions(self.port, self.owner, search_limit or self.limit, self.framework)
