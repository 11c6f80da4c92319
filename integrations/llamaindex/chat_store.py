"""A LlamaIndex ``BaseChatStore`` that keeps each key's messages in memspan.

Each key is a conversation: its messages live in memspan under the ``run_id`` that
:func:`~memspan.integrations._scopes.conversation_key` derives from the store's owner (``user_id`` /
``agent_id``) and the key, so two users' conversations named ``"s1"`` are two histories; without an
owner the key itself is the ``run_id`` (``Memory.get_all(run_id="s1")`` finds it), so use keys no
other user can guess. Messages are stored verbatim, in order, with the whole LlamaIndex message in
each one's metadata so tool calls round-trip; they stay out of users' scopes on purpose (see the
transcript notes in :mod:`memspan.integrations._adapter`).

The store serialises with its owner and the store's absolute location, and registers itself with
LlamaIndex's chat-store loader, so ``ChatMemoryBuffer.to_dict()`` / ``from_dict()`` round-trip.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms import ChatMessage
from llama_index.core.storage.chat_store.base import BaseChatStore
from llama_index.core.storage.chat_store.loading import RECOGNIZED_CHAT_STORES

from memspan import Memory, MemoryItem
from memspan.effects import Flow, run_async, run_sync
from memspan.errors import ScopeError, ValidationError

from .._adapter import MESSAGE, FacadePort, Transcript, absolute_location, open_if_path
from .._scopes import conversation_key
from ._convert import from_payload, transcript_entry


def store_location(memory: Any) -> str | None:
    """Where a memory's store lives (absolute path or URL), when it says; a server client has none."""
    for attribute in ("url", "path"):
        value = getattr(getattr(memory, "store", None), attribute, None)
        if value is not None:
            return absolute_location(value)
    return None


class MemspanChatStore(BaseChatStore):
    """Per-key message lists in memspan, keyed by owner and conversation."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any = Field(default=None, description="any memspan memory or a store path / URL", exclude=True)
    store: str | None = Field(default=None, description="absolute path or URL of the store (serialised)")
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
        return "MemspanChatStore"

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        if self.memory is None:  # rebuilt from a dict: reopen the store it names
            if self.store is None:
                raise ValidationError(
                    "MemspanChatStore needs memory= (a memspan memory) or store= (a path/URL)"
                )
            self.memory = Memory(self.store)
        self.memory = open_if_path(self.memory)  # a store path or URL is opened here
        if self.store is None:
            self.store = store_location(self.memory)
        for name in ("user_id", "agent_id"):
            if getattr(self, name) is not None:
                conversation_key("check", **{name: getattr(self, name)})  # memspan's ScopeError, now
        self._transcript = Transcript(FacadePort(self.memory), "llamaindex", self.ttl)

    def run_id(self, key: str) -> str:
        """The memspan ``run_id`` holding the conversation ``key`` of this store's owner."""
        return conversation_key(key, self.user_id, self.agent_id)

    # -- flows, each driven by a blocking and an awaitable method below ----------------------

    def _load(self, key: str) -> Flow[list[MemoryItem]]:
        return self._transcript.load(self.run_id(key))

    def _get(self, key: str) -> Flow[list[ChatMessage]]:
        items = yield from self._load(key)
        return [from_payload(item.metadata[MESSAGE]) for item in items]

    def _set(self, key: str, messages: list[ChatMessage]) -> Flow[None]:
        items = yield from self._load(key)
        yield from self._transcript.remove(items)
        yield from self._transcript.append(self.run_id(key), [transcript_entry(m) for m in messages])

    def _add(self, key: str, message: ChatMessage, idx: int | None) -> Flow[None]:
        if idx is None:
            yield from self._transcript.append(self.run_id(key), [transcript_entry(message)])
            return
        messages = yield from self._get(key)
        messages.insert(idx, message)  # list.insert semantics, as SimpleChatStore
        yield from self._set(key, messages)

    def _delete_all(self, key: str) -> Flow[list[ChatMessage] | None]:
        items = yield from self._load(key)
        yield from self._transcript.remove(items)
        return [from_payload(item.metadata[MESSAGE]) for item in items] or None

    def _delete_at(self, key: str, idx: int | None) -> Flow[ChatMessage | None]:
        items = yield from self._load(key)
        if not items or (idx is not None and not -len(items) <= idx < len(items)):
            return None
        item = items[-1 if idx is None else idx]
        yield from self._transcript.remove([item])
        return from_payload(item.metadata[MESSAGE])

    # -- BaseChatStore -----------------------------------------------------------------------

    def set_messages(self, key: str, messages: list[ChatMessage]) -> None:
        run_sync(self._set(key, messages))

    async def aset_messages(self, key: str, messages: list[ChatMessage]) -> None:
        await run_async(self._set(key, messages))

    def get_messages(self, key: str) -> list[ChatMessage]:
        return run_sync(self._get(key))

    async def aget_messages(self, key: str) -> list[ChatMessage]:
        return await run_async(self._get(key))

    def add_message(self, key: str, message: ChatMessage, idx: int | None = None) -> None:
        """Append ``message``, or insert it before position ``idx`` (as SimpleChatStore does)."""
        run_sync(self._add(key, message, idx))

    async def async_add_message(self, key: str, message: ChatMessage, idx: int | None = None) -> None:
        await run_async(self._add(key, message, idx))

    def delete_messages(self, key: str) -> list[ChatMessage] | None:
        return run_sync(self._delete_all(key))

    async def adelete_messages(self, key: str) -> list[ChatMessage] | None:
        return await run_async(self._delete_all(key))

    def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        return run_sync(self._delete_at(key, idx))

    async def adelete_message(self, key: str, idx: int) -> ChatMessage | None:
        return await run_async(self._delete_at(key, idx))

    def delete_last_message(self, key: str) -> ChatMessage | None:
        return run_sync(self._delete_at(key, None))

    async def adelete_last_message(self, key: str) -> ChatMessage | None:
        return await run_async(self._delete_at(key, None))

    def get_keys(self) -> list[str]:
        """Refused: listing every key would list every user's sessions, which memspan never does."""
        raise ScopeError(
            "MemspanChatStore cannot list its keys: memspan only reads inside a scope, and the keys "
            "of every session span every user. Keep the keys you hand out (e.g. per user, in your app)."
        )


# LlamaIndex rebuilds a ChatMemoryBuffer's store by class name from this table (SimpleChatStore only,
# out of the box); registering here is what makes ChatMemoryBuffer.from_dict() accept this store.
_loaders: dict[str, type[BaseChatStore]] = RECOGNIZED_CHAT_STORES  # type: ignore[assignment]
_loaders.setdefault(MemspanChatStore.class_name(), MemspanChatStore)
