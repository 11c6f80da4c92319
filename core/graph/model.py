"""What the graph holds: entities, the memories that mention them, and dated relations between them.

Entities are owned by the exact scope of the ``add`` that produced them (like memories), so the
same name in two scopes is two entities, and a search sees an entity only when its scope contains
the owner. Relations carry a validity interval: a later fact that contradicts a single-valued
relation ("lives in Paris" after "lives in Lisbon") closes the old relation's ``valid_to`` instead
of deleting it, so "where did the user live in 2023?" stays answerable.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..scope import SCOPE_KEYS, Scope
from ..types import Usage

JSON = dict[str, Any]
ENTITY_TYPES = ("person", "place", "organization", "date", "event", "thing")
_NOT_KEY = re.compile(r"[^\w]+", re.UNICODE)
_RELATION = re.compile(r"[^a-z0-9]+")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def entity_key(name: str) -> str:
    """The identity of a name: case, accents, articles and punctuation do not make a new entity."""
    folded = unicodedata.normalize("NFKD", name.strip()).encode("ascii", "ignore").decode() or name
    folded = _LEADING_ARTICLE.sub("", folded.strip().casefold())
    return _NOT_KEY.sub(" ", folded).strip()


def relation_name(text: str) -> str:
    """Relations are snake_case verbs (``lives_in``) so that two spellings of one verb match."""
    return _RELATION.sub("_", text.strip().lower()).strip("_") or "related_to"


def entity_type(text: str | None) -> str:
    """Unknown types become ``thing``; a model's ``location`` or ``city`` is a ``place``."""
    value = (text or "").strip().lower()
    aliases = {
        "location": "place",
        "city": "place",
        "country": "place",
        "org": "organization",
        "organisation": "organization",
        "company": "organization",
        "time": "date",
        "people": "person",
        "user": "person",
    }
    value = aliases.get(value, value)
    return value if value in ENTITY_TYPES else "thing"


def owner_of(scope: Scope) -> tuple[str, str, str]:
    """A scope as the stored owner triple; an id that is not set is stored as ``""`` (ids are never empty)."""
    return (scope.user_id or "", scope.agent_id or "", scope.run_id or "")


def entity_id(owner: tuple[str, str, str], key: str) -> str:
    return hashlib.sha256("\x1f".join((*owner, key)).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class ExtractedEntity:
    """An entity as an extractor found it, with the indexes of the memories that mention it."""

    name: str
    type: str = "thing"
    memories: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractedRelation:
    """``source --relation--> target``, true from ``valid_from``; ``single_valued`` relations allow
    one target at a time, so a new target ends the previous one."""

    source: str
    relation: str
    target: str
    memory: int | None = None
    valid_from: str | None = None
    single_valued: bool = False
    source_type: str = "thing"
    target_type: str = "thing"


@dataclass(frozen=True, slots=True)
class GraphExtraction:
    entities: list[ExtractedEntity] = field(default_factory=list)
    relations: list[ExtractedRelation] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True, slots=True)
class MemoryText:
    """A memory shown to a graph extractor: its text and when it was said."""

    id: str
    text: str
    created_at: str


@dataclass(frozen=True, slots=True)
class GraphRequest:
    memories: Sequence[MemoryText]
    scope: Scope
    speakers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entity:
    """A stored entity. ``mentions`` counts the memories linked to it (filled by reads that need it)."""

    id: str
    name: str
    type: str
    user_id: str | None
    agent_id: str | None
    run_id: str | None
    created_at: str
    mentions: int = 0
    deleted_at: str | None = None

    @property
    def key(self) -> str:
        return entity_key(self.name)

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "name": self.name, "type": self.type, "created_at": self.created_at}
        data.update({k: getattr(self, k) for k in SCOPE_KEYS if getattr(self, k) is not None})
        if self.mentions:
            data["mentions"] = self.mentions
        if self.deleted_at is not None:
            data["deleted_at"] = self.deleted_at
        return data


@dataclass(frozen=True, slots=True)
class Relation:
    """A stored relation; ``valid_to`` is set when a later fact ended it (it is never deleted)."""

    id: str
    source: str
    relation: str
    target: str
    valid_from: str
    valid_to: str | None
    memory_id: str | None
    created_at: str
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    source_type: str = "thing"
    target_type: str = "thing"
    source_id: str = ""
    target_id: str = ""
    deleted_at: str | None = None

    @property
    def current(self) -> bool:
        return self.valid_to is None

    def holds_at(self, moment: str) -> bool:
        """Whether the relation was true at ``moment`` (a canonical timestamp)."""
        return self.valid_from <= moment and (self.valid_to is None or moment < self.valid_to)

    def to_dict(self) -> JSON:
        data: JSON = {
            "id": self.id,
            "source": self.source,
            "relationship": self.relation,
            "target": self.target,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "memory_id": self.memory_id,
            "created_at": self.created_at,
        }
        data.update({k: getattr(self, k) for k in SCOPE_KEYS if getattr(self, k) is not None})
        if self.deleted_at is not None:
            data["deleted_at"] = self.deleted_at
        return data


@dataclass(frozen=True, slots=True)
class GraphSnapshot:
    """Everything a scope's graph holds (``Memory.graph.get_all``)."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def to_dict(self) -> JSON:
        return {
            "entities": [e.to_dict() for e in self.entities],
            "relations": [r.to_dict() for r in self.relations],
        }
