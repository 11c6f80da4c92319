"""The typed objects memspan returns. Each converts to plain dicts (mem0's ``{"results": [...]}``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .graph.model import Entity, Relation

JSON = dict[str, Any]


class MemoryType(str, Enum):
    """What kind of memory an item is."""

    SEMANTIC = "semantic"  # facts: "prefers window seats"
    EPISODIC = "episodic"  # events: "flew to Lisbon on 3 May"
    PROCEDURAL = "procedural"  # how-tos an agent learned

    @classmethod
    def parse(cls, value: str | MemoryType | None) -> MemoryType:
        if value is None:
            return cls.SEMANTIC
        if isinstance(value, MemoryType):
            return value
        normalized = value.strip().lower().removesuffix("_memory")
        try:
            return cls(normalized)
        except ValueError:
            from .errors import ValidationError

            allowed = ", ".join(m.value for m in cls)
            raise ValidationError(f"unknown memory_type {value!r}; use one of {allowed}") from None


class Event(str, Enum):
    """What happened to a memory."""

    ADD = "ADD"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NOOP = "NOOP"
    PURGE = "PURGE"


@dataclass(slots=True)
class MemoryItem:
    """One memory as stored, optionally with the score a search gave it (a similarity in [0, 1]).

    Treat it as a value: every call returns new items, and changing one changes nothing stored
    (``Memory.update`` does). It is not ``frozen`` because a search builds a few hundred of them and
    a frozen dataclass takes five times as long to construct (``benchmarks/scale.py``).
    """

    id: str
    text: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    memory_type: MemoryType
    metadata: JSON
    created_at: str
    updated_at: str
    hash: str
    source_ids: tuple[str, ...] = ()
    deleted_at: str | None = None
    score: float | None = None
    score_details: JSON | None = None
    #: when the memory stops existing for every read (canonical UTC text, see memspan.expiry)
    expires_at: str | None = None

    @property
    def memory(self) -> str:
        """mem0's name for the text."""
        return self.text

    def with_score(self, score: float | None, details: JSON | None = None) -> MemoryItem:
        """A copy carrying a search score (positional: this runs for every search candidate)."""
        return MemoryItem(
            self.id,
            self.text,
            self.user_id,
            self.agent_id,
            self.run_id,
            self.memory_type,
            self.metadata,
            self.created_at,
            self.updated_at,
            self.hash,
            self.source_ids,
            self.deleted_at,
            score,
            details,
            self.expires_at,
        )

    def to_dict(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "memory": self.text,
            "hash": self.hash,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "run_id": self.run_id,
            "memory_type": self.memory_type.value,
            "metadata": dict(self.metadata),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "source_ids": list(self.source_ids),
        }
        if self.deleted_at is not None:
            data["deleted_at"] = self.deleted_at
        if self.expires_at is not None:
            data["expires_at"] = self.expires_at
        if self.score is not None:
            data["score"] = self.score
        if self.score_details is not None:
            data["score_details"] = dict(self.score_details)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MemoryItem:
        """The inverse of :meth:`to_dict` (a ``KeyError`` names a missing field)."""
        return cls(
            data["id"],
            data["memory"],
            data.get("user_id"),
            data.get("agent_id"),
            data.get("run_id"),
            MemoryType.parse(data.get("memory_type")),
            dict(data.get("metadata") or {}),
            data["created_at"],
            data["updated_at"],
            data["hash"],
            tuple(data.get("source_ids") or ()),
            data.get("deleted_at"),
            data.get("score"),
            data.get("score_details"),
            data.get("expires_at"),
        )


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One change to one memory. Old text is kept for UPDATE and DELETE so nothing is lost."""

    memory_id: str
    event: Event
    old_text: str | None
    new_text: str | None
    created_at: str
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    old_metadata: JSON | None = None
    new_metadata: JSON | None = None
    reason: str | None = None

    def to_dict(self) -> JSON:
        return {
            "memory_id": self.memory_id,
            "event": self.event.value,
            "old_memory": self.old_text,
            "new_memory": self.new_text,
            "old_metadata": self.old_metadata,
            "new_metadata": self.new_metadata,
            "created_at": self.created_at,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "run_id": self.run_id,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEvent:
        """The inverse of :meth:`to_dict` (a ``KeyError`` names a missing field)."""
        return cls(
            memory_id=data["memory_id"],
            event=Event(data["event"]),
            old_text=data.get("old_memory"),
            new_text=data.get("new_memory"),
            created_at=data["created_at"],
            user_id=data.get("user_id"),
            agent_id=data.get("agent_id"),
            run_id=data.get("run_id"),
            old_metadata=data.get("old_metadata"),
            new_metadata=data.get("new_metadata"),
            reason=data.get("reason"),
        )


@dataclass(frozen=True, slots=True)
class Usage:
    """Model calls and tokens spent by one operation (zero when no model is configured)."""

    llm_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.llm_calls + other.llm_calls,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )

    def to_dict(self) -> JSON:
        return {
            "llm_calls": self.llm_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
        }


@dataclass(frozen=True, slots=True)
class MemoryChange:
    """What ``add`` did to one memory."""

    event: Event
    item: MemoryItem
    previous_text: str | None = None
    reason: str | None = None

    def to_dict(self) -> JSON:
        data = self.item.to_dict()
        data["event"] = self.event.value
        if self.previous_text is not None:
            data["previous_memory"] = self.previous_text
        if self.reason is not None:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True, slots=True)
class AddResult:
    """The changes one ``add`` made, and what it cost."""

    changes: list[MemoryChange] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def results(self) -> list[MemoryChange]:
        return self.changes

    @property
    def added(self) -> list[MemoryItem]:
        return [c.item for c in self.changes if c.event is Event.ADD]

    def to_dict(self) -> JSON:
        return {"results": [c.to_dict() for c in self.changes], "usage": self.usage.to_dict()}


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The memories a search found, best first."""

    items: list[MemoryItem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    #: graph memory (memspan.graph): entities and relations related to the query; None when off
    entities: list[Entity] | None = None
    relations: list[Relation] | None = None

    @property
    def results(self) -> list[MemoryItem]:
        return self.items

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> MemoryItem:
        return self.items[index]

    def texts(self) -> list[str]:
        return [item.text for item in self.items]

    def to_dict(self) -> JSON:
        data: JSON = {"results": [item.to_dict() for item in self.items]}
        if self.relations is not None:  # graph memory
            data["entities"] = [e.to_dict() for e in self.entities or []]
            data["relations"] = [r.to_dict() for r in self.relations]
        return data
