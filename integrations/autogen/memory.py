"""An ``autogen_core.memory.Memory`` backed by memspan, and a helper that stores a finished team run.

``AssistantAgent(memory=[...])`` only ever calls :meth:`MemspanMemory.update_context`: before each
model call it searches memspan with the newest user text and adds what it found as a system message.
Writes therefore come from the application (:meth:`MemspanMemory.add`, :meth:`add_task_result`) or
from the agent itself through the tools in :mod:`memspan.integrations.autogen.tools`.

It is a Component: ``dump_component()`` records where the store is and whose memory it is, and
``load_component()`` reopens it with memspan's default (offline) embedder and extractor.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import BaseChatMessage, HandoffMessage, StopMessage
from autogen_core import CancellationToken, Component, ComponentModel
from autogen_core.memory import Memory, MemoryContent, MemoryMimeType, MemoryQueryResult, UpdateContextResult
from autogen_core.model_context import ChatCompletionContext
from autogen_core.models import ChatCompletionClient, SystemMessage, UserMessage
from pydantic import BaseModel, Field
from typing_extensions import Self

from memspan import AddResult, AsyncMemory, MemoryItem, Scope, ValidationError
from memspan.facade import AnyFacade, AsyncMemoryFacade

from .._adapter import absolute_location, as_awaitable
from .._scopes import ScopeKey, recall_ids

_TEXT_TYPES = {MemoryMimeType.TEXT.value, MemoryMimeType.MARKDOWN.value, MemoryMimeType.JSON.value}
#: metadata key recording a memory's AutoGen mime type when it is not plain text (JSON comes back as JSON)
MIME_KEY = "autogen_mime_type"


class MemspanMemoryConfig(BaseModel):
    """What ``dump_component`` records: the store's URL or path and whose memory this is."""

    store: str = Field(
        description="absolute path or URL of the store, so the config loads from any directory"
    )
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    recall_within: list[ScopeKey] | None = None
    limit: int = Field(default=5, ge=1, le=1000)
    threshold: float | None = None
    infer: bool = True
    name: str | None = None
    model_client: ComponentModel | None = None
    ttl: float | None = Field(default=None, gt=0, description="seconds until each memory written expires")


def _location(memory: AsyncMemoryFacade) -> str | None:
    """The path or URL a memory's store was opened from, when the store says (a server client has none)."""
    for attribute in ("url", "path"):
        value = getattr(getattr(memory, "store", None), attribute, None)
        if value is not None:
            return absolute_location(value)
    return None


def _mime(content: MemoryContent) -> str:
    return (
        content.mime_type.value if isinstance(content.mime_type, MemoryMimeType) else str(content.mime_type)
    )


def _text(content: MemoryContent) -> str:
    mime = _mime(content)
    if mime not in _TEXT_TYPES:
        raise ValidationError(
            f"memspan remembers text; MemoryContent with mime_type {mime!r} cannot be stored"
        )
    if isinstance(content.content, str):
        return content.content
    if isinstance(content.content, dict):
        return json.dumps(content.content, ensure_ascii=False)
    raise ValidationError(f"MemoryContent of type {type(content.content).__name__} is not text")


def _user_text(message: UserMessage) -> str:
    """The text of a user turn; images in a multimodal turn are left out of the query."""
    if isinstance(message.content, str):
        return message.content
    return "\n".join(part for part in message.content if isinstance(part, str))


def _content(item: MemoryItem) -> MemoryContent:
    """A memory as AutoGen content: JSON stored from a dict comes back as that dict."""
    metadata: dict[str, Any] = dict(item.metadata)
    mime = metadata.pop(MIME_KEY, MemoryMimeType.TEXT.value)
    metadata.update(
        id=item.id,
        score=item.score,
        created_at=item.created_at,
        **Scope(item.user_id, item.agent_id, item.run_id).as_dict(),
    )
    if mime == MemoryMimeType.JSON.value:
        try:
            value = json.loads(item.text)
        except ValueError:  # edited since into plain text: say so rather than pretend it is JSON
            value = None
        if isinstance(value, dict):
            return MemoryContent(content=value, mime_type=MemoryMimeType.JSON, metadata=metadata)
    if mime == MemoryMimeType.MARKDOWN.value:
        return MemoryContent(content=item.text, mime_type=MemoryMimeType.MARKDOWN, metadata=metadata)
    return MemoryContent(content=item.text, mime_type=MemoryMimeType.TEXT, metadata=metadata)


class MemspanMemory(Memory, Component[MemspanMemoryConfig]):
    """AutoGen memory over a memspan store, scoped by ``user_id`` / ``agent_id`` / ``run_id``.

    Writes carry every id given; queries look within ``recall_within`` (default: the broadest id,
    ``user_id`` when set), so an agent serving a user also sees what the user's other agents, in any
    framework, remembered. ``memory`` is any memspan memory (``AsyncMemory``, ``Memory``, or a server's
    ``AsyncRemoteMemory`` / ``RemoteMemory``: shared, not closed here; a blocking one runs in worker
    threads) or a store path / URL (opened and closed by this object; recorded absolute in the config). With a path, ``model_client`` (any
    AutoGen ``ChatCompletionClient``) becomes memspan's extractor model and is part of the config.
    """

    component_type = "memory"
    component_provider_override = "memspan.integrations.autogen.MemspanMemory"
    component_config_schema = MemspanMemoryConfig

    def __init__(
        self,
        memory: AnyFacade | str | os.PathLike[str],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        recall_within: Sequence[ScopeKey] | None = None,
        limit: int = 5,
        threshold: float | None = None,
        infer: bool = True,
        name: str | None = None,
        model_client: ChatCompletionClient | None = None,
        ttl: float | None = None,
    ) -> None:
        self._ids = Scope.of(user_id, agent_id, run_id, operation="MemspanMemory").as_dict()
        self._recall = recall_ids(self._ids, recall_within)
        self._recall_within = list(recall_within) if recall_within is not None else None
        self._model_client = model_client
        self._memory: AsyncMemoryFacade
        if isinstance(memory, (str, os.PathLike)):
            self._store: str | None = absolute_location(memory)
            self._memory, self._owned = AsyncMemory(self._store, llm=model_client), True
        else:  # any memspan memory, shared; a blocking one is awaited through worker threads
            self._memory = as_awaitable(memory, "memory (or a store path/URL)")
            if model_client is not None:
                raise ValidationError(
                    "memory is already open: give the model to it, memspan.AsyncMemory(..., llm=model_client)"
                )
            self._owned, self._store = False, _location(self._memory)
        self._limit, self._threshold, self._infer = limit, threshold, infer
        self._ttl = ttl  # autogen's Memory has no expiry; memspan's (memspan.expiry) on every write
        self._name = name or "memspan"

    @property
    def name(self) -> str:
        return self._name

    @property
    def memory(self) -> AsyncMemoryFacade:
        """The memspan memory underneath, for anything this adapter does not cover."""
        return self._memory

    @property
    def write_ids(self) -> dict[str, str]:
        return dict(self._ids)

    @property
    def recall_scope(self) -> dict[str, str]:
        return dict(self._recall)

    # -- the autogen Memory protocol -----------------------------------------------------------

    async def add(self, content: MemoryContent, cancellation_token: CancellationToken | None = None) -> None:
        """Remember a piece of text (what the user said, a fact the application learned).

        JSON content is kept verbatim (an extractor would rewrite it into prose) and marked, so
        ``query`` hands it back as the dict it was."""
        text, mime = _text(content), _mime(content)
        if mime == MemoryMimeType.TEXT.value:
            await self.remember(text, metadata=content.metadata)
            return
        metadata = {**(content.metadata or {}), MIME_KEY: mime}
        await self.remember(
            text, metadata=metadata, infer=False if mime == MemoryMimeType.JSON.value else None
        )

    async def query(
        self,
        query: str | MemoryContent = "",
        cancellation_token: CancellationToken | None = None,
        **kwargs: Any,
    ) -> MemoryQueryResult:
        """memspan search in the recall scope; ``limit``, ``threshold`` and ``filters`` may be passed."""
        text = query if isinstance(query, str) else _text(query)
        unknown = set(kwargs) - {"limit", "threshold", "filters"}
        if unknown:
            raise ValidationError(f"unknown query options {sorted(unknown)}; use limit, threshold or filters")
        if not text.strip():  # like ListMemory: no query lists what there is, newest first
            listed = await self._memory.get_all(
                user_id=self._recall.get("user_id"),
                agent_id=self._recall.get("agent_id"),
                run_id=self._recall.get("run_id"),
                limit=kwargs.get("limit", self._limit),
                filters=kwargs.get("filters"),
            )
            return MemoryQueryResult(results=[_content(item) for item in listed])
        found = await self._memory.search(
            text,
            **self._recall,
            limit=kwargs.get("limit", self._limit),
            threshold=kwargs.get("threshold", self._threshold),
            filters=kwargs.get("filters"),
        )
        return MemoryQueryResult(results=[_content(item) for item in found])

    async def update_context(self, model_context: ChatCompletionContext) -> UpdateContextResult:
        """Search with the newest user text and hand what was found to the model as a system message."""
        messages = await model_context.get_messages()
        query = next((_user_text(m) for m in reversed(messages) if isinstance(m, UserMessage)), "")
        # no user text yet: like ListMemory, what there is (newest first, up to ``limit``)
        result = await self.query(query)
        if result.results:
            lines = "\n".join(f"{i}. {m.content!s}" for i, m in enumerate(result.results, 1))
            await model_context.add_message(SystemMessage(content=f"Relevant memories:\n{lines}"))
        return UpdateContextResult(memories=result)

    async def clear(self) -> None:
        """Delete what this memory wrote (all its ids), not what other agents wrote for the same user."""
        await self._memory.delete_all(**self._ids)

    async def close(self) -> None:
        if self._owned:
            await self._memory.aclose()

    # -- writing beyond the protocol -----------------------------------------------------------

    async def remember(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        *,
        metadata: Mapping[str, Any] | None = None,
        infer: bool | None = None,
    ) -> AddResult:
        """Store text or chat messages through memspan's extractor, tagged as coming from autogen."""
        meta = {"framework": "autogen", **(metadata or {})}
        infer = self._infer if infer is None else infer
        options: dict[str, Any] = {**self._ids, "metadata": meta, "infer": infer}
        if self._ttl is not None:  # only then: a memory without expiry (a custom facade) still works
            options["ttl"] = self._ttl
        return await self._memory.add(messages, **options)

    async def add_task_result(self, result: TaskResult, *, user_source: str = "user") -> AddResult:
        """Store a finished ``agent.run()`` / ``team.run()``: its chat messages, as one conversation.

        Messages from ``user_source`` are the user's; every other source is an assistant turn named
        by the agent that sent it. Events (tool calls, memory queries) and stop/handoff notices are
        skipped; message ids and times are kept as provenance.
        """
        conversation: list[dict[str, Any]] = []
        for message in result.messages:
            if not isinstance(message, BaseChatMessage) or isinstance(message, (StopMessage, HandoffMessage)):
                continue
            text = message.to_model_text()
            if not text.strip():
                continue
            turn: dict[str, Any] = {
                "content": text,
                "id": message.id,
                "created_at": message.created_at.isoformat(),
            }
            if message.source == user_source:
                turn["role"] = "user"
            else:
                turn.update(role="assistant", name=message.source)
            conversation.append(turn)
        if not conversation:
            return AddResult()
        return await self.remember(conversation)

    # -- Component -----------------------------------------------------------------------------

    def _to_config(self) -> MemspanMemoryConfig:
        if self._store is None:
            raise ValidationError(
                "this memory's store does not say where it lives, so it cannot be dumped; "
                "build MemspanMemory from a path or URL to make it serialisable"
            )
        return MemspanMemoryConfig(
            store=self._store,
            **self._ids,
            recall_within=self._recall_within,
            limit=self._limit,
            threshold=self._threshold,
            infer=self._infer,
            name=self._name,
            ttl=self._ttl,
            model_client=self._model_client.dump_component() if self._model_client is not None else None,
        )

    @classmethod
    def _from_config(cls, config: MemspanMemoryConfig) -> Self:
        return cls(
            config.store,
            user_id=config.user_id,
            agent_id=config.agent_id,
            run_id=config.run_id,
            recall_within=config.recall_within,
            limit=config.limit,
            threshold=config.threshold,
            infer=config.infer,
            name=config.name,
            ttl=config.ttl,
            model_client=(
                ChatCompletionClient.load_component(config.model_client)
                if config.model_client is not None
                else None
            ),
        )
