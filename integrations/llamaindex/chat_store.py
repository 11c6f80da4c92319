"""A LlamaIndex ``BaseChatStore`` that keeps each key's messages in memspan.

Each key is a session id: its messages live in memspan's scope ``run_id=<key>``, so
``ChatMemoryBuffer.from_defaults(chat_store=MemspanChatStore(memory=m), chat_store_key="s1")``
keeps the conversation where ``Memory.get_all(run_id="s1")`` finds it. Messages are stored
verbatim, in order, with the whole LlamaIndex message in each one's metadata so tool calls
round-trip. They stay out of users' scopes on purpose (see the transcript notes in
:mod:`memspan.integrations._adapter`), so use keys no other user can guess.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr
from llama_index.core.llms import ChatMessage
from llama_index.core.storage.chat_store.base import BaseChatStore

from memspan import MemoryItem
from memspan.effects import Flow, run_async, run_sync
from memspan.errors import ScopeError
from memspan.scope import validate_id

from .._adapter import MESSAGE, FacadePort, Transcript
from ._convert import from_payload, transcript_entry


class MemspanChatStore(BaseChatStore):
    """Per-key message lists in memspan; each key is the ``run_id`` of its messages."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any = Field(description="a memspan Memory or AsyncMemory", exclude=True)
    _transcript: Transcript = PrivateAttr()

    @classmethod
    def class_name(cls) -> str:
        return "MemspanChatStore"

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._transcript = Transcript(FacadePort(self.memory), "llamaindex")

    # -- flows, each driven by a blocking and an awaitable method below ----------------------

    def _load(self, key: str) -> Flow[list[MemoryItem]]:
        return self._transcript.load(validate_id("chat store key", key))

    def _get(self, key: str) -> Flow[list[ChatMessage]]:
        items = yield from self._load(key)
        return [from_payload(item.metadata[MESSAGE]) for item in items]

    def _set(self, key: str, messages: list[ChatMessage]) -> Flow[None]:
        items = yield from self._load(key)
        yield from self._transcript.remove(items)
        yield from self._transcript.append(key, [transcript_entry(m) for m in messages])

    def _add(self, key: str, message: ChatMessage) -> Flow[None]:
        return self._transcript.append(validate_id("chat store key", key), [transcript_entry(message)])

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

    def add_message(self, key: str, message: ChatMessage) -> None:
        run_sync(self._add(key, message))

    async def async_add_message(self, key: str, message: ChatMessage) -> None:
        await run_async(self._add(key, message))

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
