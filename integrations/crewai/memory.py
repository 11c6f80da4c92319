"""A crewai ``Memory`` whose recall, saves and memory tools all go through memspan.

crewai 1.x has one memory class, and a crew touches it in four places: ``recall`` before each task,
``extract_memories`` + ``remember_many`` after it, and the agents' "Search memory" / "Save to memory"
tools (``recall`` / ``remember``). A crewai storage backend would only ever see embeddings, so this
subclass replaces those methods instead: crewai never embeds or calls its analysis LLM, memspan's own
embedder and extractor do the work, and no OpenAI key is needed.

crewai catches every memory exception and turns it into an event, so a broken store would make a
crew quietly forget. Here each failure is logged at ERROR, kept in :attr:`MemspanMemory.failures`,
and (with ``on_error="raise"``, the default) raised as :class:`CrewMemoryError` when the crew drains
its memory at the end of ``kickoff``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from crewai.events.event_bus import crewai_event_bus
from crewai.events.types.memory_events import (
    MemoryQueryCompletedEvent,
    MemoryQueryFailedEvent,
    MemoryQueryStartedEvent,
    MemorySaveCompletedEvent,
    MemorySaveFailedEvent,
    MemorySaveStartedEvent,
)
from crewai.memory.types import MemoryMatch, MemoryRecord
from crewai.memory.unified_memory import Memory as CrewMemory
from pydantic import Field, PrivateAttr

from memspan import Memory, MemoryItem, MemspanError, Scope, ValidationError

from .._adapter import as_blocking
from .._scopes import ScopeKey, recall_ids
from . import edits
from .records import (
    recall_filter,
    save_metadata,
    task_summary,
    to_record,
)
from .scopes import ScopeTreeStorage, join, path_filter

logger = logging.getLogger("memspan.integrations.crewai")

_SOURCE_TYPE = "memspan"
#: what :meth:`MemspanMemory.scoped` carries over to the new view (besides the store)
_VIEW_FIELDS = (
    "user_id", "agent_id", "run_id", "recall_within", "infer", "recall_threshold", "on_error", "ttl",
    "read_only", "root_scope",
)  # fmt: skip


class CrewMemoryError(MemspanError):  # type: ignore[misc]  # mypy sees memspan as Any from here
    """memspan memory operations failed during a crew run (crewai itself only emitted events)."""


class MemspanMemory(CrewMemory):
    """crewai memory backed by memspan: pass it as ``Crew(memory=...)`` or ``Agent(memory=...)``.

    ``user_id`` is the person the crew works for, ``agent_id`` the crew itself (default ``"crewai"``)
    and ``run_id`` a session or kickoff. Saves are written to all the ids given. Recall is limited to
    ``recall_within`` (default: the broadest id given — ``user_id`` if set), so a crew serving a user
    also sees what that user's other agents, in any framework, remembered. Give one crew agent a
    private memory with ``Agent(memory=crew_memory.scoped(agent_id="crew/researcher"))``.

    crewai's scope paths (``remember(scope="/project/x")``, ``recall(scope="/project")``,
    ``root_scope``, ``scope()``, ``slice()``, ``list_scopes()``, ``tree()``) work *within* those ids:
    a path is kept in each memory's metadata and filtered on (see :mod:`.scopes`). ``importance``,
    ``private`` and ``source`` are kept too. ``reset()`` / ``reset_all()`` (what
    ``crew.reset_memories(command_type="memory")`` calls) delete what this crew wrote, never the
    other memories of the shared store.
    """

    backend: Any = Field(
        exclude=True,
        description="Any memspan memory (Memory, AsyncMemory, RemoteMemory, AsyncRemoteMemory) or a store path / URL.",
    )
    llm: Any = Field(default=None, description="A crewai model to be memspan's extractor (path backends).")
    storage: Any = Field(default="memspan", description="Always memspan: pass the store as backend=.")
    user_id: str | None = None
    agent_id: str | None = "crewai"
    run_id: str | None = None
    recall_within: tuple[ScopeKey, ...] | None = None
    infer: bool = Field(default=True, description="Let memspan's extractor decide what to keep.")
    recall_threshold: float | None = None
    on_error: Literal["raise", "log"] = "raise"
    ttl: float | None = Field(
        default=None,
        gt=0,
        description="Seconds until each saved memory expires (crewai has no TTL; memspan.expiry).",
    )

    _owns_backend: bool = PrivateAttr(default=False)
    _failures: list[tuple[str, BaseException]] = PrivateAttr(default_factory=list)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # checked here, after pydantic, so callers get memspan's errors rather than pydantic's wrapping
        if "embedder" in self.model_fields_set and self.embedder is not None:
            raise ValidationError(
                "embedder= is crewai's embedder, which memspan does not use: memspan embeds with the "
                "memory's own embedder; give it there, memspan.Memory(path, embedder=...)"
            )
        Scope.of(self.user_id, self.agent_id, self.run_id, operation="MemspanMemory")
        recall_ids(self._write_ids(), self.recall_within)  # fail now, not on the first recall
        # a crewai model given as llm= becomes memspan's extractor model when memspan opens the store
        model = self.llm if "llm" in self.model_fields_set else None
        if isinstance(self.backend, (str, os.PathLike)):
            self.backend = Memory(self.backend, llm=model)
            self._owns_backend = True
        else:  # crewai calls memory synchronously: an awaitable memory is used through its blocking twin
            self.backend = as_blocking(self.backend, "backend")
            if model is not None:
                raise ValidationError(
                    "backend is already open: give the model to it, memspan.Memory(..., llm=...)"
                )

    def model_post_init(self, __context: Any) -> None:
        # crewai's own post-init would build a LanceDB store and an OpenAI embedder; memspan needs neither.
        # Its scope-tree methods (list_scopes, info, tree, reset, reset_all) read this storage instead.
        self._storage = ScopeTreeStorage(  # type: ignore[assignment]
            lambda: self.backend, self._recall_ids, self._write_ids, self._record
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> MemspanMemory:
        return self  # a handle on a shared store: copies of a crew keep using the same memory

    # -- scopes ------------------------------------------------------------------------------

    def _write_ids(self) -> dict[str, str]:
        return dict(Scope(self.user_id, self.agent_id, self.run_id).as_dict())

    def _recall_ids(self) -> dict[str, str]:
        return recall_ids(self._write_ids(), self.recall_within)

    def scoped(self, **changes: Any) -> MemspanMemory:
        """The same store seen with other ids or settings, e.g. one crew agent's private memory."""
        return MemspanMemory(
            backend=self.backend, **({name: getattr(self, name) for name in _VIEW_FIELDS} | changes)
        )

    def _path(self, scope: str | None) -> str:
        """A crewai path below this memory's ``root_scope``."""
        return join(self.root_scope, scope)

    def _record(self, item: MemoryItem) -> MemoryRecord:
        return to_record(item, self.default_importance)

    # -- failures ------------------------------------------------------------------------------

    @property
    def failures(self) -> list[str]:
        """Failures not yet raised by :meth:`drain_writes`, as ``"operation: error"`` lines."""
        return [f"{op}: {type(exc).__name__}: {exc}" for op, exc in self._failures]

    @contextmanager
    def _surfacing(self, operation: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # logged, recorded and re-raised: crewai would only emit an event
            logger.error("memspan %s failed inside crewai (%s): %s", operation, type(exc).__name__, exc)
            self._failures.append((operation, exc))
            raise

    def drain_writes(self) -> None:
        """Saves are synchronous, so nothing is pending; crews call this at the end of every kickoff,
        which is where failures crewai swallowed are raised."""
        if self.on_error != "raise" or not self._failures:
            return
        failures, self._failures = self._failures, []
        lines = "; ".join(f"{op}: {type(exc).__name__}: {exc}" for op, exc in failures)
        raise CrewMemoryError(
            f"{len(failures)} memspan memory operation(s) failed during this crew run ({lines}). "
            "Fix the cause, or pass on_error='log' to only log them."
        ) from failures[0][1]

    def _emit(self, event: Any) -> None:
        crewai_event_bus.emit(self, event)

    # -- reading -------------------------------------------------------------------------------

    def recall(
        self,
        query: str,
        scope: str | None = None,
        categories: list[str] | None = None,
        limit: int = 10,
        depth: Literal["shallow", "deep"] = "deep",
        source: str | None = None,
        include_private: bool = False,
    ) -> list[MemoryMatch]:
        """memspan's hybrid search within the recall scope; ``depth`` does not apply (no LLM involved)."""
        self._emit(MemoryQueryStartedEvent(query=query, limit=limit, source_type=_SOURCE_TYPE))
        start = time.perf_counter()
        try:
            with self._surfacing("recall"):
                filters = recall_filter(self._path(scope), categories, include_private, source)
                found = self.backend.search(
                    query, **self._recall_ids(), filters=filters, limit=limit, threshold=self.recall_threshold
                )
        except Exception as exc:
            self._emit(
                MemoryQueryFailedEvent(query=query, limit=limit, error=str(exc), source_type=_SOURCE_TYPE)
            )
            raise
        matches = [
            MemoryMatch(
                record=self._record(item),
                score=item.score or 0.0,
                match_reasons=["memspan"],
            )
            for item in found
        ]
        elapsed = (time.perf_counter() - start) * 1000
        self._emit(
            MemoryQueryCompletedEvent(
                query=query, results=matches, limit=limit, query_time_ms=elapsed, source_type=_SOURCE_TYPE
            )
        )
        return matches

    def list_records(self, scope: str | None = None, limit: int = 200, offset: int = 0) -> list[MemoryRecord]:
        with self._surfacing("list_records"):
            items = self.backend.get_all(
                **self._recall_ids(), filters=path_filter(self._path(scope)), limit=limit, offset=offset
            )
        return [self._record(item) for item in items]

    # -- writing -------------------------------------------------------------------------------

    def extract_memories(self, content: str) -> list[str]:
        """No LLM call here: memspan's extractor distils the content when it is saved; crewai's
        record of a finished task is first cut down to the task and its final answer."""
        summary = task_summary(content)
        return [summary] if summary else []

    def _save(
        self,
        contents: list[str],
        *,
        scope: str | None,
        categories: list[str] | None,
        metadata: dict[str, Any] | None,
        importance: float | None,
        source: str | None,
        private: bool,
        agent_role: str | None,
        root_scope: str | None,
        explicit: bool,
    ) -> list[MemoryRecord]:
        path = join(root_scope, scope) if root_scope else self._path(scope)
        meta = save_metadata(
            metadata, categories, agent_role, path=path, importance=importance, private=private, source=source
        )
        summary = contents[0] if len(contents) == 1 else f"{len(contents)} memories"
        self._emit(
            MemorySaveStartedEvent(
                value=summary, metadata=meta, agent_role=agent_role, source_type=_SOURCE_TYPE
            )
        )
        start = time.perf_counter()
        try:
            with self._surfacing("save"):
                # what crewai saves is produced by its agents: an assistant turn, named by the agent's role
                named = {"name": agent_role} if agent_role else {}
                messages = [{"role": "assistant", "content": c, **named} for c in contents]
                ids = self._write_ids() | ({"ttl": self.ttl} if self.ttl is not None else {})
                result = self.backend.add(messages, **ids, metadata=meta, infer=self.infer)
                if explicit and not result.changes:
                    # an agent asked for exactly this to be kept: store it as given
                    result = self.backend.add(messages, **ids, metadata=meta, infer=False)
        except Exception as exc:
            self._emit(
                MemorySaveFailedEvent(value=summary, metadata=meta, error=str(exc), source_type=_SOURCE_TYPE)
            )
            raise
        elapsed = (time.perf_counter() - start) * 1000
        self._emit(
            MemorySaveCompletedEvent(
                value=summary,
                metadata=meta,
                agent_role=agent_role,
                save_time_ms=elapsed,
                source_type=_SOURCE_TYPE,
            )
        )
        return [self._record(change.item) for change in result.changes]

    def remember(
        self,
        content: str,
        scope: str | None = None,
        categories: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        importance: float | None = None,
        source: str | None = None,
        private: bool = False,
        agent_role: str | None = None,
        root_scope: str | None = None,
    ) -> MemoryRecord | None:
        """Store one memory now (the "Save to memory" tool); returns it, or the memory it duplicates."""
        if self.read_only:
            return None
        records = self._save(
            [content],
            scope=scope,
            categories=categories,
            metadata=metadata,
            importance=importance,
            source=source,
            private=private,
            agent_role=agent_role,
            root_scope=root_scope,
            explicit=True,
        )
        return records[0] if records else None

    def remember_many(
        self,
        contents: list[str],
        scope: str | None = None,
        categories: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        importance: float | None = None,
        source: str | None = None,
        private: bool = False,
        agent_role: str | None = None,
        root_scope: str | None = None,
    ) -> list[MemoryRecord]:
        """Store task results; synchronous (memspan saves take milliseconds), so failures surface."""
        if not contents or self.read_only:
            return []
        return self._save(
            list(contents),
            scope=scope,
            categories=categories,
            metadata=metadata,
            importance=importance,
            source=source,
            private=private,
            agent_role=agent_role,
            root_scope=root_scope,
            explicit=False,
        )

    def update(
        self,
        record_id: str,
        content: str | None = None,
        scope: str | None = None,
        categories: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        importance: float | None = None,
    ) -> MemoryRecord:
        with self._surfacing("update"):
            item = edits.own(self, record_id)
            if self.read_only:
                return self._record(item)
            meta = edits.new_metadata(self, item, scope, categories, metadata, importance)
            updated = self.backend.update(record_id, content, metadata=meta)
        return self._record(updated)

    def forget(
        self,
        scope: str | None = None,
        categories: list[str] | None = None,
        older_than: datetime | None = None,
        metadata_filter: dict[str, Any] | None = None,
        record_ids: list[str] | None = None,
    ) -> int:
        """Delete memories this crew wrote (its full scope); deleted memories stay in history."""
        with self._surfacing("forget"):
            return edits.forget(self, scope, categories, older_than, metadata_filter, record_ids)

    def reset(self, scope: str | None = None) -> None:
        """Delete what this crew wrote at ``scope`` (below ``root_scope``) or everywhere, not the shared store."""
        self.forget(scope=scope)

    def reset_all(self) -> None:
        """``crew.reset_memories(command_type="memory")``: delete everything this crew wrote (its write
        ids, whatever the path); other agents' and users' memories in the same store stay."""
        with self._surfacing("reset_all"):
            self.backend.delete_all(**self._write_ids())

    def close(self) -> None:
        """Close the store if this memory opened it from a path."""
        if self._owns_backend:
            self.backend.close()
        self._save_pool.shutdown(wait=True)
