"""A Google ADK ``BaseMemoryService`` backed by memspan: ``Runner(memory_service=MemspanMemoryService(...))``.

ADK asks a memory service to ingest sessions (``add_session_to_memory``, ``add_events_to_memory``),
to take explicit memories (``add_memory``), to search (``search_memory``, which its ``load_memory``
and ``preload_memory`` tools call) and to delete one memory (``delete_memory``).

How ADK's ids map onto memspan's scopes:

- ``user_id`` is memspan's ``user_id``.
- ``app_name`` is memspan's ``agent_id``. An ADK app is one agent application, so what it learned
  stays attributable to it. Pass ``agent_id=`` to file every app under one agent id instead.
- The session id is provenance, not a scope: it goes into the memory's metadata as
  ``adk_session_id``. A fact learned in one session is one memory of the user, and deduplication
  compares it with everything the user's agent knows, not with that one session. With
  ``scope_sessions=True`` writes carry ``run_id=<session id>`` as well.
- Search looks within ``recall_within`` of the write ids: by default the whole user (so an ADK app
  recalls what the user's agents in other apps and frameworks learned). ``["user_id", "agent_id"]``
  narrows it to this app, as ADK's own services are keyed.

Events go through memspan's extractor (users' and agents' text turns; function calls and empty
events are left out). Each event's id is the message id, so a session added again is not
re-ingested, even after one of its memories was deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from google.adk.memory import BaseMemoryService
from google.adk.memory.base_memory_service import SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.genai import types
from typing_extensions import override

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call, run_async
from memspan.errors import ValidationError
from memspan.scope import validate_id

from .._adapter import NOT_TRANSCRIPT
from .._hosted import HostedMemory, MemoryLike
from .._scopes import ScopeKey, recall_ids

if TYPE_CHECKING:
    from google.adk.events.event import Event
    from google.adk.sessions.session import Session

FRAMEWORK = "adk"
SESSION_KEY = "adk_session_id"
#: metadata listing who wrote the events of the write a memory came from (see ``_author``)
AUTHORS_KEY = "adk_authors"
_PAGE = 1000


def event_message(event: Event) -> dict[str, Any] | None:
    """The memspan message of an event: its text parts, the user's or the authoring agent's."""
    if event.content is None or not event.content.parts:
        return None
    text = "\n".join(part.text for part in event.content.parts if part.text and not part.thought)
    if not text.strip():
        return None
    message: dict[str, Any] = {"content": text, "id": event.id}
    if event.timestamp:
        message["created_at"] = dt.datetime.fromtimestamp(event.timestamp, dt.timezone.utc).isoformat()
    if event.author == "user":
        message["role"] = "user"
    else:
        message.update(role="assistant", name=event.author)
    return message


def _entry_text(entry: MemoryEntry) -> str:
    parts = entry.content.parts or []
    text = "\n".join(part.text for part in parts if part.text)
    if not text.strip():
        raise ValidationError(f"MemoryEntry {entry.id or ''} has no text; memspan remembers text")
    return text


def _authors(messages: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{AUTHORS_KEY: [...]}``: everyone who wrote the messages of one write (the user, agents by name)."""
    return {AUTHORS_KEY: sorted({str(m.get("name") or m["role"]) for m in messages})}


def _author(item: MemoryItem) -> tuple[str | None, str]:
    """The memory's author, when the evidence names one, and its text without the author's name.

    memspan's extractor keeps an agent's words as ``"<agent>: ..."`` so whoever reads the memory
    knows who said them; ADK carries that in ``MemoryEntry.author`` instead (``preload_memory``
    prints ``author: text``). So a memory starting with the name of an agent of its write is that
    agent's, a write with one author gives every memory that author, and otherwise (a fact that an
    extracting model wrote from several people's turns) the author stays unset.
    """
    authors = item.metadata.get(AUTHORS_KEY)
    if not isinstance(authors, list):
        return None, item.text
    for name in authors:
        if isinstance(name, str) and name != "user" and item.text.startswith(f"{name}: "):
            return name, item.text[len(name) + 2 :]
    if len(authors) == 1 and isinstance(authors[0], str):
        return authors[0], item.text
    return None, item.text


def _entry(item: MemoryItem) -> MemoryEntry:
    metadata: dict[str, Any] = dict(item.metadata)
    author, text = _author(item)
    metadata.update(score=item.score, **Scope(item.user_id, item.agent_id, item.run_id).as_dict())
    return MemoryEntry(
        id=item.id,
        content=types.Content(role="user", parts=[types.Part(text=text)]),
        custom_metadata=metadata,
        author=author,
        timestamp=item.created_at,
    )


class MemspanMemoryService(HostedMemory, BaseMemoryService):
    """ADK long-term memory in a memspan store, shared with every other memspan adapter.

    ``memory`` is a memspan ``Memory`` / ``AsyncMemory`` / server client, or a store path / URL
    opened here (and closed by :meth:`close`). ``limit`` and ``threshold`` shape what
    ``search_memory`` returns.
    """

    def __init__(
        self,
        memory: MemoryLike,
        *,
        agent_id: str | None = None,
        recall_within: Sequence[ScopeKey] | None = None,
        scope_sessions: bool = False,
        limit: int = 10,
        threshold: float | None = None,
    ) -> None:
        if recall_within is not None and "run_id" in recall_within:
            raise ValidationError(
                "ADK searches a user's memory without a session id: recall_within takes user_id and agent_id"
            )
        recall_ids({"user_id": "u", "agent_id": "a"}, recall_within)  # malformed lists fail here
        if agent_id is not None:
            validate_id("agent_id", agent_id)
        self._attach(memory)
        self.agent_id, self.recall_within = agent_id, recall_within
        self.scope_sessions, self.limit, self.threshold = scope_sessions, limit, threshold

    # -- scopes ----------------------------------------------------------------------------------

    def write_scope(self, app_name: str, user_id: str, session_id: str | None = None) -> Scope:
        """Where an ingest for this app, user (and session) writes."""
        run_id = session_id if self.scope_sessions else None
        return Scope.of(user_id, self.agent_id or app_name, run_id, operation="ADK memory")

    def recall_scope(self, app_name: str, user_id: str) -> Scope:
        """Where ``search_memory`` for this app and user looks."""
        chosen = recall_ids(self.write_scope(app_name, user_id).as_dict(), self.recall_within)
        return Scope(chosen.get("user_id"), chosen.get("agent_id"))

    # -- flows -----------------------------------------------------------------------------------

    def _seen(self, scope: Scope, session_id: str) -> Flow[set[str]]:
        """Ids of the session's events already turned into memories (deleted ones included)."""
        seen: set[str] = set()
        offset = 0
        while True:
            page = yield call(
                self.port, "get_all", **scope.as_dict(), filters={SESSION_KEY: session_id},
                limit=_PAGE, offset=offset, include_deleted=True,
            )
            for item in page:
                seen.update(item.source_ids)
            offset += len(page)
            if len(page) < _PAGE:
                return seen

    def _ingest(
        self,
        app_name: str,
        user_id: str,
        session_id: str | None,
        events: Sequence[Event],
        custom_metadata: Mapping[str, object] | None,
    ) -> Flow[None]:
        scope = self.write_scope(app_name, user_id, session_id)
        messages = [m for m in (event_message(e) for e in events) if m is not None]
        metadata: dict[str, Any] = {**(custom_metadata or {}), "framework": FRAMEWORK, "adk_app": app_name}
        if session_id is not None:
            metadata[SESSION_KEY] = session_id
            seen = yield from self._seen(scope, session_id)
            messages = [m for m in messages if m["id"] not in seen]
        if messages:
            yield call(self.port, "add", messages, **scope.as_dict(), metadata={**metadata, **_authors(messages)})

    def _add_entries(
        self, app_name: str, user_id: str, entries: Sequence[MemoryEntry], custom_metadata: Mapping[str, object] | None
    ) -> Flow[None]:
        scope = self.write_scope(app_name, user_id)
        texts = [_entry_text(entry) for entry in entries]  # every entry checked before the first write
        for entry, text in zip(entries, texts, strict=True):
            metadata = {**entry.custom_metadata, **(custom_metadata or {}), "framework": FRAMEWORK, "adk_app": app_name}
            message: dict[str, Any] = {"role": "user", "content": text}
            if entry.author and entry.author != "user":
                message.update(role="assistant", name=entry.author)
            if entry.id:
                message["id"] = entry.id
            if entry.author:  # the entry's own author, as given
                metadata[AUTHORS_KEY] = [entry.author]
            yield call(self.port, "add", [message], **scope.as_dict(), metadata=metadata, infer=False)

    def _search(self, app_name: str, user_id: str, query: str) -> Flow[SearchMemoryResponse]:
        if not query.strip():
            return SearchMemoryResponse()
        scope = self.recall_scope(app_name, user_id)
        found = yield call(
            self.port, "search", query, **scope.as_dict(), filters=NOT_TRANSCRIPT,
            limit=self.limit, threshold=self.threshold,
        )
        return SearchMemoryResponse(memories=[_entry(item) for item in found])

    # -- BaseMemoryService -----------------------------------------------------------------------

    @override
    async def add_session_to_memory(self, session: Session) -> None:
        """Remember what a session taught; events already ingested are not sent again."""
        await run_async(self._ingest(session.app_name, session.user_id, session.id, session.events, None))

    @override
    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Remember a few events (a turn); ``custom_metadata`` lands in the memories' metadata."""
        await run_async(self._ingest(app_name, user_id, session_id, events, custom_metadata))

    @override
    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Store explicit memories as given (no extraction); an entry without text is refused."""
        await run_async(self._add_entries(app_name, user_id, memories, custom_metadata))

    @override
    async def search_memory(self, *, app_name: str, user_id: str, query: str) -> SearchMemoryResponse:
        """memspan's hybrid search in the recall scope; each entry's metadata has score and scope ids."""
        return await run_async(self._search(app_name, user_id, query))

    @override
    async def delete_memory(self, *, app_name: str, user_id: str, memory_id: str | None = None) -> None:
        """Delete one memory of this user (``NotFoundError`` for an id outside the recall scope)."""
        if not memory_id:
            raise ValidationError("delete_memory needs the memory_id that search_memory returned")
        scope = self.recall_scope(app_name, user_id)
        await run_async(_delete(self.port, memory_id, scope))


def _delete(port: Any, memory_id: str, scope: Scope) -> Flow[None]:
    yield call(port, "delete", memory_id, **scope.as_dict())
