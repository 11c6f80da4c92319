"""A LlamaIndex memory backed by memspan, for ``agent.run(..., memory=MemspanMemory(...))``.

Short-term, it keeps the session's messages: in memspan under ``run_id`` when a user or agent is
named too (so a session can be resumed from another process), in process otherwise (an anonymous
session's transcript would share its scope with its long-term memories). Long-term, each exchange
(the user's messages up to the assistant's reply) goes to memspan's extractor once the reply
arrives, and every ``get`` puts the memories that best match the latest user message into the
system prompt, so the message being answered is never "recalled" as a memory of itself.

Scopes: long-term memories belong to the user and/or agent named (the run only keys the
transcript), so a new session recalls what earlier ones learned; with only ``run_id`` the memory
lives and dies with that session. The transcript is keyed by owner *and* session, so two users'
sessions with the same id never share a history.

Like LlamaIndex's ``ChatMemoryBuffer``, ``get`` fits a token budget (``token_limit``, default 3000):
the recalled memories first, then as many of the latest messages as still fit. ``session_id=`` is
LlamaIndex's name for ``run_id``; any other argument this class does not know is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr, SerializeAsAny
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.memory.types import BaseMemory
from llama_index.core.storage.chat_store import BaseChatStore, SimpleChatStore
from llama_index.core.utils import get_tokenizer

from memspan import Scope, ValidationError
from memspan.effects import Flow, run_async, run_sync
from memspan.facade import AnyFacade

from .._adapter import (
    FacadePort,
    format_memories,
    long_term_scope,
    open_if_path,
    recall,
    recall_scope,
    remember,
)
from .._scopes import ScopeKey
from ._convert import conversation, latest_user_text, role_of, text_of
from .chat_store import MemspanChatStore


class MemspanMemory(BaseMemory):
    """Session history plus memspan long-term memory, for user, agent and run scopes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any = Field(
        description="any memspan memory (Memory, AsyncMemory, RemoteMemory, AsyncRemoteMemory) or a store path / URL",
        exclude=True,
    )
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    limit: int = 5
    threshold: float | None = None
    recall_within: tuple[ScopeKey, ...] | None = Field(
        default=None, description="ids recall looks within; default the broadest given (the whole user)"
    )
    chat_store: SerializeAsAny[BaseChatStore] | None = None
    chat_store_key: str = "chat_history"
    token_limit: int = Field(default=3000, gt=0, description="token budget of get(): memories plus history")
    tokenizer_fn: Callable[[str], list[Any]] = Field(default_factory=get_tokenizer, exclude=True)
    _port: FacadePort = PrivateAttr()
    _pending: list[ChatMessage] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "MemspanMemory"

    @classmethod
    def from_defaults(  # type: ignore[override]
        cls,
        memory: AnyFacade | str | os.PathLike[str],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        **kwargs: Any,
    ) -> MemspanMemory:
        return cls(memory=memory, user_id=user_id, agent_id=agent_id, run_id=run_id, **kwargs)

    def __init__(self, **data: Any) -> None:
        if "session_id" in data:  # LlamaIndex's Memory calls the session session_id
            session = data.pop("session_id")
            if data.get("run_id") not in (None, session):
                raise ValidationError("session_id and run_id name the same thing; pass one of them")
            data["run_id"] = session
        unknown = sorted(set(data) - set(type(self).model_fields))
        if unknown:
            raise ValidationError(
                f"MemspanMemory does not take {', '.join(unknown)}; it takes "
                f"{', '.join(sorted(type(self).model_fields))} (and session_id, LlamaIndex's name for run_id)"
            )
        super().__init__(**data)
        # checked after pydantic, so a bad scope raises memspan's ScopeError rather than pydantic's wrapper
        recall_scope(long_term_scope(self.user_id, self.agent_id, self.run_id), self.recall_within)
        self.memory = open_if_path(self.memory)  # a store path or URL is opened here
        self._port = FacadePort(self.memory)
        if self.chat_store is None:
            if self.run_id is not None and (self.user_id is not None or self.agent_id is not None):
                owned = MemspanChatStore(memory=self.memory, user_id=self.user_id, agent_id=self.agent_id)
                self.chat_store, self.chat_store_key = owned, self.run_id
            else:
                self.chat_store = SimpleChatStore()

    @property
    def _store(self) -> BaseChatStore:
        assert self.chat_store is not None  # set by model_post_init
        return self.chat_store

    @property
    def scope(self) -> Scope:
        """Where this memory's long-term memories live."""
        return long_term_scope(self.user_id, self.agent_id, self.run_id)

    def _tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(self.tokenizer_fn(f"{m.role.value}: {text_of(m)}")) for m in messages)

    def _fit(self, history: list[ChatMessage], budget: int) -> list[ChatMessage]:
        """The latest messages that fit ``budget`` tokens, never starting on a reply or a tool result
        (whose question would be cut off), as ChatMemoryBuffer does."""
        start = 0
        while start < len(history) and self._tokens(history[start:]) > budget:
            start += 1
        while start < len(history) and role_of(history[start]) in ("assistant", "tool"):
            start += 1
        return history[start:]

    def _with_memories(self, history: list[ChatMessage], input: str | None) -> Flow[list[ChatMessage]]:
        """The history, with the memories matching the latest user message in its system prompt,
        cut to the token budget (a system prompt the history starts with is kept)."""
        system = history[0] if history and history[0].role == MessageRole.SYSTEM else None
        turns = history[1:] if system is not None else history
        query = (input or "").strip() or latest_user_text(history)
        found = []
        if query:
            within = recall_scope(self.scope, self.recall_within)
            found = yield from recall(self._port, within, query, limit=self.limit, threshold=self.threshold)
        parts = [
            text_of(system) if system is not None else "",
            format_memories([i.text for i in found]) if found else "",
        ]
        prompt = "\n\n".join(p for p in parts if p)
        head = [ChatMessage(role=MessageRole.SYSTEM, content=prompt)] if prompt else []
        budget = self.token_limit - self._tokens(head)
        if budget <= 0:
            raise ValidationError(
                f"token_limit={self.token_limit} leaves no room for the conversation after the system prompt "
                "and recalled memories; raise token_limit or lower limit"
            )
        return [*head, *self._fit(turns, budget)]

    def _exchange(self, messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        """The finished exchange to remember: held back until the assistant has replied."""
        self._pending.extend(messages)
        if not any(role_of(m) == "assistant" and text_of(m) for m in messages):
            return []
        finished, self._pending = conversation(self._pending), []
        return finished

    # -- BaseMemory --------------------------------------------------------------------------

    def get(self, input: str | None = None, **kwargs: Any) -> list[ChatMessage]:
        history = self._store.get_messages(self.chat_store_key)
        return run_sync(self._with_memories(history, input))

    async def aget(self, input: str | None = None, **kwargs: Any) -> list[ChatMessage]:
        history = await self._store.aget_messages(self.chat_store_key)
        return await run_async(self._with_memories(history, input))

    def get_all(self) -> list[ChatMessage]:
        return self._store.get_messages(self.chat_store_key)

    async def aget_all(self) -> list[ChatMessage]:
        return await self._store.aget_messages(self.chat_store_key)

    def put(self, message: ChatMessage) -> None:
        self.put_messages([message])

    async def aput(self, message: ChatMessage) -> None:
        await self.aput_messages([message])

    def put_messages(self, messages: list[ChatMessage]) -> None:
        for message in messages:
            self._store.add_message(self.chat_store_key, message)
        run_sync(remember(self._port, self.scope, self._exchange(messages)))

    async def aput_messages(self, messages: list[ChatMessage]) -> None:
        for message in messages:
            await self._store.async_add_message(self.chat_store_key, message)
        await run_async(remember(self._port, self.scope, self._exchange(messages)))

    def set(self, messages: list[ChatMessage]) -> None:
        """Replace the session history (long-term memory is not touched: these turns are not new)."""
        self._store.set_messages(self.chat_store_key, messages)

    async def aset(self, messages: list[ChatMessage]) -> None:
        await self._store.aset_messages(self.chat_store_key, messages)

    def reset(self) -> None:
        """Clear the session history; long-term memories stay (erase them with ``Memory.delete_all``)."""
        self._pending = []
        self._store.delete_messages(self.chat_store_key)

    async def areset(self) -> None:
        self._pending = []
        await self._store.adelete_messages(self.chat_store_key)
