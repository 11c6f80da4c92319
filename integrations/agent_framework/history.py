"""An Agent Framework ``HistoryProvider`` that keeps each session's messages in memspan.

``get_messages`` / ``save_messages`` per session: each message is kept verbatim as one memspan
transcript memory under ``run_id=<session id>`` (never in a user's scope: see
:class:`memspan.integrations._adapter.Transcript`), the whole Agent Framework ``Message`` in its
metadata so function calls and results round-trip. With ``user_id``, a session is keyed by user and
session, so two users with the same session id never load each other's messages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, ClassVar

from agent_framework import HistoryProvider, Message
from agent_framework._sessions import filter_new_messages

from memspan._inputs import MAX_METADATA_BYTES
from memspan.effects import Flow, run_async
from memspan.errors import ValidationError
from memspan.scope import validate_id

from .._adapter import MESSAGE, Transcript
from .._hosted import HostedMemory, MemoryLike

FORMAT = "agent-framework"
_MAX_MESSAGE_BYTES = MAX_METADATA_BYTES - 1024


#: how a float JSON cannot hold (NaN, ±inf) is kept: memspan's metadata is strict JSON on every backend
_FLOAT = "__memspan_float__"


def _encode(value: Any) -> Any:
    """``value`` with non-finite floats tagged, so a message carrying one is kept as it was given."""
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT: repr(value)}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get(_FLOAT), str):
            return float(value[_FLOAT])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


def _entry(message: Message) -> tuple[str, str, dict[str, Any]]:
    payload = _encode(message.to_dict())
    size = len(json.dumps(payload).encode())
    if size > _MAX_MESSAGE_BYTES:  # checked before the batch's first write
        raise ValidationError(f"a message of {size:,} bytes is over the {_MAX_MESSAGE_BYTES:,} memspan keeps per message")
    role = str(message.role)
    text = message.text.strip() or f"({len(message.contents)} {role} contents)"
    return (role if role in ("user", "assistant", "system", "tool") else "tool"), text, payload


class MemspanHistoryProvider(HostedMemory, HistoryProvider):
    """Conversation history of Agent Framework sessions, in a memspan store.

    ``memory`` is a memspan memory (blocking or awaitable, embedded or a server client) or a store
    path / URL, opened here and closed by :meth:`close`. The flags (``load_messages``,
    ``store_inputs``, ...) are ``HistoryProvider``'s own; ``skip_excluded`` is the built-in
    providers' (messages a ``CompactionProvider`` marked ``_excluded`` are kept but not loaded).
    """

    DEFAULT_SOURCE_ID: ClassVar[str] = "memspan_history"

    def __init__(
        self,
        memory: MemoryLike,
        *,
        user_id: str | None = None,
        source_id: str | None = None,
        load_messages: bool = True,
        store_inputs: bool = True,
        store_context_messages: bool = False,
        store_context_from: set[str] | None = None,
        store_outputs: bool = True,
        skip_excluded: bool = False,
    ) -> None:
        super().__init__(
            source_id or self.DEFAULT_SOURCE_ID,
            load_messages=load_messages,
            store_inputs=store_inputs,
            store_context_messages=store_context_messages,
            store_context_from=store_context_from,
            store_outputs=store_outputs,
        )
        self.user_id = None if user_id is None else validate_id("user_id", user_id)
        self.skip_excluded = skip_excluded
        self._attach(memory)
        # the transcript format names the user, so another user's messages of a session never load
        self._transcript = Transcript(self.port, FORMAT if user_id is None else f"{FORMAT} user={user_id}")

    def _load(self, session_id: str | None) -> Flow[list[Message]]:
        items = yield from self._transcript.load(self._session(session_id))
        return [Message.from_dict(_decode(item.metadata[MESSAGE])) for item in items]

    def _visible(self, session_id: str | None) -> Flow[list[Message]]:
        messages = yield from self._load(session_id)
        if self.skip_excluded:  # a CompactionProvider's exclusions, kept in the store but not loaded
            messages = [m for m in messages if not m.additional_properties.get("_excluded", False)]
        return messages

    def _save(self, session_id: str | None, messages: Sequence[Message]) -> Flow[None]:
        entries = [_entry(m) for m in messages]  # all checked before the first write
        if not entries:
            return
        existing = yield from self._load(session_id)
        new = {id(m) for m in filter_new_messages(existing, messages)}  # a replayed transcript is not kept twice
        kept = [entry for m, entry in zip(messages, entries, strict=True) if id(m) in new]
        yield from self._transcript.append(self._session(session_id), kept)

    def _clear(self, session_id: str | None) -> Flow[None]:
        items = yield from self._transcript.load(self._session(session_id))
        yield from self._transcript.remove(items)

    @staticmethod
    def _session(session_id: str | None) -> str:
        if session_id is None:
            raise ValidationError("memspan keeps history per session: run the agent with a session (agent.create_session())")
        return validate_id("session_id", session_id)

    async def get_messages(self, session_id: str | None, *, state: dict[str, Any] | None = None, **kwargs: Any) -> list[Message]:
        """The session's messages, in order (without those compaction excluded, with ``skip_excluded``)."""
        return await run_async(self._visible(session_id))

    async def save_messages(
        self, session_id: str | None, messages: Sequence[Message], *, state: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Append the messages not already at the end of the session's history."""
        await run_async(self._save(session_id, messages))

    async def clear(self, session_id: str) -> None:
        """Forget a session's messages (they stay in memspan's history)."""
        await run_async(self._clear(session_id))
