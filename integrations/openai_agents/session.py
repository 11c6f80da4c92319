"""An OpenAI Agents SDK ``Session`` kept in memspan: ``Runner.run(agent, text, session=...)``.

The SDK's ``Session`` protocol (``get_items`` / ``add_items`` / ``pop_item`` / ``clear_session``) is
the conversation, not long-term memory. Each item is kept verbatim as one memspan transcript
memory in the session's own scope (``run_id=session_id``, never the user's: see
:class:`memspan.integrations._adapter.Transcript`), the SDK's item in its metadata so tool calls and
reasoning items round-trip. A session is keyed by user *and* conversation: with ``user_id`` set,
only that user's items of the session are read, popped or cleared, so two users who happen to pick
the same session id never see each other's turns.
"""

from __future__ import annotations

import json
from typing import Any

from agents.items import TResponseInputItem
from agents.memory import SessionSettings
from agents.memory.session_settings import coerce_session_settings, resolve_session_limit

from memspan import MemoryItem
from memspan._inputs import MAX_METADATA_BYTES
from memspan.effects import Flow, run_async
from memspan.errors import StoreError, ValidationError
from memspan.scope import validate_id

from .._adapter import MESSAGE, Transcript, message_text
from .._hosted import HostedMemory, MemoryLike

FORMAT = "openai-agents"
#: memspan's metadata limit, less room for the transcript's own keys
_MAX_ITEM_BYTES = MAX_METADATA_BYTES - 1024


class SessionClosedError(StoreError, RuntimeError):
    """A session used after :meth:`MemspanSession.close`: a ``RuntimeError``, as ``SQLiteSession`` raises."""


def item_text(item: TResponseInputItem | dict[str, Any]) -> str:
    """The readable text of an input item: a message's text parts, else what kind of item it is."""
    content = item.get("content")
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        text = "\n".join(p for p in parts if isinstance(p, str))
    else:
        text = message_text(content)
    if text.strip():
        return text
    kind = item.get("type") or "message"
    name = item.get("name")
    return f"({kind} {name})" if isinstance(name, str) else f"({kind})"


def _entry(item: TResponseInputItem) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(item, dict):
        raise ValidationError(f"a session item must be a dict (a Responses input item), got {type(item).__name__}")
    try:  # the item must survive the store as JSON, or it could not be read back as it was given
        encoded = json.dumps(item)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"session item is not JSON: {error}") from error
    if len(encoded.encode()) > _MAX_ITEM_BYTES:  # checked here so a batch fails before its first write
        raise ValidationError(
            f"a session item of {len(encoded.encode()):,} bytes is over the {_MAX_ITEM_BYTES:,} memspan keeps per item"
        )
    payload = json.loads(encoded)
    role = item.get("role")
    return (role if role in ("user", "assistant", "system") else "tool"), item_text(item), payload


class MemspanSession(HostedMemory):
    """The items of one conversation (``session_id``), for one user when ``user_id`` is given.

    ``memory`` is any memspan memory (blocking or awaitable, embedded or a server client) or a
    store path / URL, opened here and closed by :meth:`close`. ``session_settings.limit`` caps
    what :meth:`get_items` returns, as in the SDK's own sessions.
    """

    def __init__(
        self,
        session_id: str,
        memory: MemoryLike,
        *,
        user_id: str | None = None,
        session_settings: SessionSettings | dict[str, Any] | None = None,
    ) -> None:
        self.session_id = validate_id("session_id", session_id)
        self.user_id = None if user_id is None else validate_id("user_id", user_id)
        self.session_settings = coerce_session_settings(session_settings or SessionSettings())
        self._attach(memory)
        # the transcript format names the user, so another user's items of this session never load
        fmt = FORMAT if user_id is None else f"{FORMAT} user={user_id}"
        self._transcript = Transcript(self.port, fmt)
        self._closed = False

    def _open(self) -> None:
        if self._closed:  # checked first, so no call (not even an empty add) slips past a closed session
            raise SessionClosedError(f"{type(self).__name__} is closed")

    def _load(self) -> Flow[list[MemoryItem]]:
        return self._transcript.load(self.session_id)

    def _get(self, limit: int | None) -> Flow[list[TResponseInputItem]]:
        items = yield from self._load()
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return [item.metadata[MESSAGE] for item in items]

    def _pop(self) -> Flow[TResponseInputItem | None]:
        items = yield from self._load()
        if not items:
            return None
        yield from self._transcript.remove(items[-1:])
        payload: TResponseInputItem = items[-1].metadata[MESSAGE]
        return payload

    def _clear(self) -> Flow[None]:
        items = yield from self._load()
        yield from self._transcript.remove(items)

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The conversation in order; with ``limit``, its latest ``limit`` items."""
        self._open()
        return await run_async(self._get(resolve_session_limit(limit, self.session_settings)))

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        self._open()
        entries = [_entry(item) for item in items]  # all checked before the first is written
        await run_async(self._transcript.append(self.session_id, entries))

    async def pop_item(self) -> TResponseInputItem | None:
        self._open()
        return await run_async(self._pop())

    async def clear_session(self) -> None:
        self._open()
        await run_async(self._clear())

    def close(self) -> None:
        """End the session: later calls raise :class:`SessionClosedError`, as ``SQLiteSession``'s do.

        The memory is closed too if this session opened it from a path (blocking, as
        ``SQLiteSession.close``); a memory passed in stays open for its other users.
        """
        if self._closed:
            return
        self._closed = True
        super().close()
