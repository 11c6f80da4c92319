"""The graph's two ports: who finds entities and relations in text, and who stores them.

A :class:`GraphExtractor` has one method. A :class:`GraphStore` has the few reads the pipeline needs;
every backend here speaks Cypher through :class:`~memspan.graph.cypher.CypherGraphStore`, so a new
Cypher database only implements how to run a statement and a transaction. Decisions (which relation
a new fact ends, how search expands) are made once, in :mod:`memspan.graph.index`, not per backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..scope import Scope
from .model import Entity, GraphExtraction, GraphRequest, Relation


class GraphExtractor(ABC):
    """Finds entities and relations in newly stored memories."""

    @abstractmethod
    def extract(self, request: GraphRequest) -> GraphExtraction:
        """Entities (with the indexes of the memories naming them) and relations in ``request.memories``."""


@dataclass(frozen=True, slots=True)
class EntityRow:
    id: str
    key: str
    name: str
    type: str


@dataclass(frozen=True, slots=True)
class GraphWrite:
    """One ``add``'s changes to the graph of one owner scope, applied all or nothing."""

    owner: Scope
    at: str
    entities: list[EntityRow] = field(default_factory=list)
    #: (memory id, memory created_at)
    memories: list[tuple[str, str]] = field(default_factory=list)
    #: (memory id, entity id)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    #: new relations (``source_id``/``target_id`` name the entities)
    relations: list[Relation] = field(default_factory=list)
    #: (relation id, valid_to) of relations a new fact contradicts
    ended: list[tuple[str, str]] = field(default_factory=list)


class GraphStore(ABC):
    """Persistence of entities, mentions and relations.

    Contract (checked for every backend by :mod:`memspan.graph.conformance`): a scope is applied as
    equality on each id it sets, to every read; relations are never deleted except by a purge;
    soft-deleted entities and relations are hidden unless ``include_deleted``.
    """

    @abstractmethod
    def apply(self, write: GraphWrite) -> None:
        """Merge entities and mentions, create relations, end contradicted ones: atomically."""

    @abstractmethod
    def find_entities(
        self, scope: Scope, keys: Sequence[str], *, include_deleted: bool = False
    ) -> list[Entity]:
        """Entities of the scope whose key is one of ``keys``, with their mention counts."""

    @abstractmethod
    def entities_of_memories(self, scope: Scope, memory_ids: Sequence[str]) -> dict[str, list[Entity]]:
        """The live entities each memory mentions, with their mention counts."""

    @abstractmethod
    def memories_of_entities(
        self, scope: Scope, entity_ids: Sequence[str], limit: int
    ) -> dict[str, list[str]]:
        """Up to ``limit`` ids of memories mentioning each entity, newest first."""

    @abstractmethod
    def relations(
        self,
        scope: Scope,
        entity_ids: Sequence[str] | None,
        *,
        include_ended: bool = True,
        include_deleted: bool = False,
        limit: int = 1000,
    ) -> list[Relation]:
        """Relations of the scope touching any of ``entity_ids`` (all when None), oldest first.

        ``source``/``target`` come back as entity names (ids in ``source_id``/``target_id``), and the
        relation's owner ids are filled in.
        """

    @abstractmethod
    def entities(
        self, scope: Scope, *, limit: int = 1000, offset: int = 0, include_deleted: bool = False
    ) -> list[Entity]:
        """Entities of the scope by name, with their mention counts."""

    @abstractmethod
    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        """Hide a scope's entities and relations (``deleted_at``), or erase them with ``purge``.

        Returns how many entities were deleted.
        """

    @abstractmethod
    def reset(self) -> None:
        """Erase every graph of every scope."""

    def close(self) -> None:
        """Release connections."""
