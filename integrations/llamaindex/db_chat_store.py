"""An ``AsyncDBChatStore`` for LlamaIndex's current ``Memory``: ``Memory.from_defaults(chat_store=...)``.

LlamaIndex's ``Memory`` keeps its short-term queue in an ``AsyncDBChatStore``: messages per session
with a status, active ones in the queue and the oldest archived once they have been flushed to the
memory blocks. This one keeps them in memspan, keyed like :class:`MemspanChatStore` (owner and
session, see :func:`~memspan.integrations._scopes.conversation_key`), each message's status in its
metadata. ``delete_message(key, idx)`` takes the message's position in the session (memspan has no
row ids to hand out), and ``get_keys`` is refused (it would list every user's sessions).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms import ChatMessage
from llama_index.core.storage.chat_store.base_db import AsyncDBChatStore, MessageStatus

from memspan import MemoryItem
from memspan.effects import Flow, run_async
from memspan.errors import ScopeError

from .._adapter import MESSAGE, FacadePort, Transcript, open_if_path
from .._scopes import conversation_key
from ._convert import from_payload, transcript_entry

#: metadata key holding a message's LlamaIndex status (missing: active)
STATUS = "transcript_status"


def _status(item: MemoryItem) -> str:
    return str(item.metadata.get(STATUS, MessageStatus.ACTIVE.value))


class MemspanDBChatStore(AsyncDBChatStore):
    """LlamaIndex ``Memory``'s message queue in memspan (any memspan memory, blocking or awaitable)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any = Field(
        description="a memspan Memory, AsyncMemory, RemoteMemory or AsyncRemoteMemory", exclude=True
    )
    user_id: str | None = None
    agent_id: str | None = None
    ttl: float | None = Field(
        default=None,
        gt=0,
        description="seconds until each message expires, as RedisChatStore's ttl (memspan.expiry)",
    )
    _transcript: Transcript = PrivateAttr()

    @classmethod
    def class_name(cls) -> str:
        return "MemspanDBChatStore"

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        for name in ("user_id", "agent_id"):
            if getattr(self, name) is not None:
                conversation_key("check", **{name: getattr(self, name)})  # memspan's ScopeError, now
        self.memory = open_if_path(self.memory)  # a store path or URL is opened here
        self._transcript = Transcript(FacadePort(self.memory), "llamaindex", self.ttl)

    def run_id(self, key: str) -> str:
        """The memspan ``run_id`` holding session ``key`` of this store's owner."""
        return conversation_key(key, self.user_id, self.agent_id)

    # -- flows -------------------------------------------------------------------------------

    def _items(self, key: str, status: MessageStatus | None) -> Flow[list[MemoryItem]]:
        items = yield from self._transcript.load(self.run_id(key))
        if status is None:
            return items
        return [item for item in items if _status(item) == MessageStatus(status).value]

    def _append(self, key: str, messages: list[ChatMessage], status: MessageStatus) -> Flow[None]:
        entries = [transcript_entry(m) for m in messages]
        yield from self._transcript.append(self.run_id(key), entries, {STATUS: MessageStatus(status).value})

    def _replace(self, key: str, messages: list[ChatMessage], status: MessageStatus) -> Flow[None]:
        items = yield from self._items(key, None)
        yield from self._transcript.remove(items)
        yield from self._append(key, messages, status)

    def _delete_at(self, key: str, idx: int) -> Flow[ChatMessage | None]:
        items = yield from self._items(key, None)
        if not 0 <= idx < len(items):
            return None
        yield from self._transcript.remove([items[idx]])
        return from_payload(items[idx].metadata[MESSAGE])

    def _delete(self, key: str, status: MessageStatus | None) -> Flow[None]:
        items = yield from self._items(key, status)
        yield from self._transcript.remove(items)

    def _oldest(self, key: str, n: int, archive: bool) -> Flow[list[ChatMessage]]:
        items = yield from self._items(key, MessageStatus.ACTIVE)
        oldest = items[: max(n, 0)]
        if archive:
            yield from self._transcript.mark(oldest, {STATUS: MessageStatus.ARCHIVED.value})
        else:
            yield from self._transcript.remove(oldest)
        return [from_payload(item.metadata[MESSAGE]) for item in oldest]

    def _get(
        self, key: str, status: MessageStatus | None, limit: int | None, offset: int | None
    ) -> Flow[list[ChatMessage]]:
        items = yield from self._items(key, status)
        start = offset or 0
        chosen = items[start : start + limit] if limit is not None else items[start:]
        return [from_payload(item.metadata[MESSAGE]) for item in chosen]

    def _count(self, key: str, status: MessageStatus | None) -> Flow[int]:
        items = yield from self._items(key, status)
        return len(items)

    # -- AsyncDBChatStore ----------------------------------------------------------------------

    async def get_messages(
        self,
        key: str,
        status: MessageStatus | None = MessageStatus.ACTIVE,
        limit: int | None = None,
        offset: int | None = None,
    ) -> list[ChatMessage]:
        return await run_async(self._get(key, status, limit, offset))

    async def count_messages(self, key: str, status: MessageStatus | None = MessageStatus.ACTIVE) -> int:
        return await run_async(self._count(key, status))

    async def add_message(
        self, key: str, message: ChatMessage, status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        await run_async(self._append(key, [message], status))

    async def add_messages(
        self, key: str, messages: list[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        await run_async(self._append(key, list(messages), status))

    async def set_messages(
        self, key: str, messages: list[ChatMessage], status: MessageStatus = MessageStatus.ACTIVE
    ) -> None:
        """Replace every message of the session (whatever its status), as LlamaIndex's SQL store does."""
        await run_async(self._replace(key, list(messages), status))

    async def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        """Delete the message at position ``idx`` of the session (all statuses, oldest first)."""
        return await run_async(self._delete_at(key, idx))

    async def delete_messages(self, key: str, status: MessageStatus | None = None) -> None:
        await run_async(self._delete(key, status))

    async def delete_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        return await run_async(self._oldest(key, n, archive=False))

    async def archive_oldest_messages(self, key: str, n: int) -> list[ChatMessage]:
        return await run_async(self._oldest(key, n, archive=True))

    async def get_keys(self) -> list[str]:
        """Refused: listing every key would list every user's sessions, which memspan never does."""
        raise ScopeError(
            "MemspanDBChatStore cannot list its keys: memspan only reads inside a scope, and the keys "
            "of every session span every user. Keep the session ids you hand out."
        )
