"""A session transcript for LangChain, kept in memspan under the session's ``run_id``.

Messages are stored verbatim in the session's own scope (see :class:`memspan.integrations._adapter.Transcript` for why
not in the user's), the whole LangChain message in each one's metadata so tool calls and names
round-trip. A history is keyed by its user (and/or agent) *and* its conversation: given
``user_id=``, the transcript's ``run_id`` is derived from both, so two users who both name a
conversation ``"1"`` never share one. Without a user or agent the conversation id alone is the
key, so use one no other user can guess, such as a LangGraph thread id (a UUID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import AIMessage, BaseMessage, message_to_dict, messages_from_dict

from memspan.effects import Flow, run_async, run_sync
from memspan.scope import validate_id

from .._adapter import MESSAGE, FacadePort, MemoryLike, Transcript, message_text

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _entry(message: BaseMessage) -> tuple[str, str, dict[str, Any]]:
    """Role, searchable text and serialised form; a tool-calling turn with no text names its tools."""
    text = message_text(message.content).strip()
    if not text and isinstance(message, AIMessage) and message.tool_calls:
        text = "(called " + ", ".join(c["name"] for c in message.tool_calls) + ")"
    return _ROLES.get(message.type, "user"), text or f"({message.type} message)", message_to_dict(message)


def transcript_run_id(session_id: str, user_id: str | None = None, agent_id: str | None = None) -> str:
    """The ``run_id`` a conversation's transcript is kept under: the session id itself when no user
    or agent owns it, else one derived from all three (unambiguous, whatever characters they hold)."""
    validate_id("session_id", session_id)
    if user_id is None and agent_id is None:
        return session_id
    owner = [validate_id("user_id", user_id) if user_id is not None else "", ""]
    owner[1] = validate_id("agent_id", agent_id) if agent_id is not None else ""
    digest = hashlib.sha256("\x1f".join([*owner, session_id]).encode()).hexdigest()[:40]
    return f"chat-{digest}"


class MemspanChatMessageHistory(BaseChatMessageHistory):
    """The messages of one conversation of one user (LangChain's ``session_id``)."""

    def __init__(
        self,
        memory: MemoryLike,
        run_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        ttl: float | None = None,
    ):
        """``run_id`` is the conversation (``session_id``); ``user_id``/``agent_id`` name whose it is,
        so the same conversation id of two users are two histories. ``self.run_id`` is the scope
        the transcript lives in (``memory.delete_all(run_id=history.run_id)`` erases it). ``ttl``
        (seconds, as ``RedisChatMessageHistory``'s): each message expires that long after it was
        added (memspan.expiry)."""
        self.transcript = Transcript(FacadePort(memory), "langchain", ttl)
        self.session_id = run_id
        self.user_id = user_id
        self.agent_id = agent_id
        self.run_id = transcript_run_id(run_id, user_id, agent_id)

    def _messages(self) -> Flow[list[BaseMessage]]:
        items = yield from self.transcript.load(self.run_id)
        return messages_from_dict([item.metadata[MESSAGE] for item in items])

    def _clear(self) -> Flow[None]:
        items = yield from self.transcript.load(self.run_id)
        yield from self.transcript.remove(items)

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return run_sync(self._messages())

    async def aget_messages(self) -> list[BaseMessage]:
        return await run_async(self._messages())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        run_sync(self.transcript.append(self.run_id, [_entry(m) for m in messages]))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await run_async(self.transcript.append(self.run_id, [_entry(m) for m in messages]))

    def clear(self) -> None:
        run_sync(self._clear())

    async def aclear(self) -> None:
        await run_async(self._clear())
