"""The ports memspan's pipeline talks to. Providers implement them; nothing here imports a provider.

Each port has one required method where the job allows it (an embedder only needs ``embed``); the
store is the exception, because persistence genuinely has several operations. Async variants are
optional: a port that defines ``aembed`` (etc.) is awaited natively by :class:`~memspan.AsyncMemory`,
otherwise its blocking method runs in a worker thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import EmbedderError
from .expiry import utc_now
from .filters import Filter
from .messages import Message
from .scope import Scope
from .types import HistoryEvent, MemoryItem, MemoryType, Usage

Vector = npt.NDArray[np.float32]
EmbedKind = Literal["document", "query"]


class Embedder(ABC):
    """Turns texts into unit-length vectors. Implement :meth:`embed`; the rest is derived."""

    #: Stored with the vectors: a store refuses vectors from a different model.
    model_id: str = "unnamed"
    _dimension: int | None = None

    @abstractmethod
    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        """Return a float32 array of shape (len(texts), dimension), rows L2-normalised."""

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            probe = self.embed(["dimension probe"], kind="document")
            if probe.ndim != 2 or probe.shape[0] != 1:
                raise EmbedderError(f"{type(self).__name__}.embed returned shape {probe.shape}")
            self._dimension = int(probe.shape[1])
        return self._dimension

    def close(self) -> None:
        """Release resources (sessions, HTTP clients)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """An existing memory shown to the extractor, with a small integer in place of its id."""

    ref: int
    item: MemoryItem


@dataclass(frozen=True, slots=True)
class ExtractionRequest:
    """Everything an extractor needs to decide what to remember from one ``add``."""

    messages: list[Message]
    scope: Scope
    memory_type: MemoryType | None
    existing: list[Candidate]
    metadata: dict[str, object]
    instructions: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one fact: ADD a new memory, UPDATE or DELETE an existing one, or NOOP."""

    action: Literal["ADD", "UPDATE", "DELETE", "NOOP"]
    text: str | None = None
    target_ref: int | None = None
    source_ids: tuple[str, ...] = ()
    memory_type: MemoryType | None = None
    reason: str | None = None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractionPlan:
    decisions: list[Decision] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


class Extractor(ABC):
    """Decides which memories one ``add`` creates, changes or removes."""

    #: how many similar existing memories the pipeline should show the extractor
    context_size: int = 0

    @abstractmethod
    def extract(self, request: ExtractionRequest) -> ExtractionPlan:
        """Return the decisions for these messages."""


ScoredItems = list[tuple[MemoryItem, float]]


@dataclass(frozen=True, slots=True)
class Change:
    """A memory replaced by a new version (new text or metadata, or ``deleted_at`` set) and its event.

    ``vector`` is the new text's embedding; ``None`` keeps the stored one (a delete drops it).
    ``expected`` is the version the change was computed from: a store writes the change only if the
    memory is still live and still that version, deciding inside its write transaction (else
    NotFoundError for a memory deleted or gone meanwhile, ConflictError for one changed meanwhile),
    so an acknowledged delete is never undone and no history event records a stale old text.
    """

    item: MemoryItem
    vector: Vector | None
    event: HistoryEvent
    expected: MemoryItem | None = None


class MemoryStore(ABC):
    """Persistence of memories, their vectors, keyword index and history.

    Contract (checked for every backend by :mod:`memspan.testing`): writes of a memory and its
    history event are atomic (and, where the backend has transactions, everything one add writes:
    :meth:`apply`); a scope is always applied as equality on each id it sets; vector
    scores are cosine similarities; nothing is returned from outside the scope; soft-deleted
    memories are kept (with ``deleted_at``) and never searched; a memory whose ``expires_at`` is
    not after :attr:`clock` is, for every read, as if deleted (applied in the query, see
    :mod:`memspan.expiry`).
    """

    #: the instant expiry is judged by, as stored text (the real UTC time; tests move it forward)
    clock: Callable[[], str] = staticmethod(utc_now)

    def sweep_expired(self, at: str, scope: Scope | None = None) -> int:
        """Delete every live memory (of ``scope``, or of all) whose ``expires_at`` is not after
        ``at``, each with a DELETE event (reason ``"expired"``), in the store's write transactions;
        return how many. Every memspan backend implements it."""
        raise NotImplementedError(f"{type(self).__name__} cannot sweep expired memories")

    @abstractmethod
    def bind_embedder(self, model_id: str, dimension: int) -> None:
        """Record the embedding model on first use; raise DimensionMismatchError on a mismatch."""

    @abstractmethod
    def apply(
        self,
        changes: Sequence[Change],
        items: Sequence[MemoryItem],
        vectors: Vector | None,
        events: Sequence[HistoryEvent],
        *,
        unique: bool = False,
    ) -> None:
        """Write ``changes`` to existing memories, then add ``items`` with their vectors and events.

        Everything one add writes comes in one call. A backend with transactions writes it all in
        one (all or nothing); one without writes the changes first, each with its event. A change
        with ``expected`` is checked against the stored memory in the same transaction (see
        :class:`Change`). With ``unique``, a new item whose text hash a live memory of its scope
        already has raises ConflictError and nothing is written (checked in the write transaction,
        so identical adds sent at once store one memory).
        """

    def insert(self, items: Sequence[MemoryItem], vectors: Vector, events: Sequence[HistoryEvent]) -> None:
        """Add new memories with their vectors and ADD events, all or nothing."""
        self.apply([], items, vectors, events)

    def update(self, item: MemoryItem, vector: Vector | None, event: HistoryEvent) -> None:
        """Replace a memory (new text/metadata, or ``deleted_at`` set) and record the event."""
        self.apply([Change(item, vector, event)], [], None, [])

    @abstractmethod
    def get(self, memory_id: str) -> MemoryItem | None:
        """A memory by id, deleted ones included."""

    @abstractmethod
    def list_memories(
        self, scope: Scope, flt: Filter | None, limit: int, *, include_deleted: bool = False, offset: int = 0
    ) -> list[MemoryItem]:
        """Memories of a scope, newest first."""

    @abstractmethod
    def find_hash(self, scope: Scope, text_hash: str) -> MemoryItem | None:
        """A live memory of the scope with exactly this text hash."""

    @abstractmethod
    def search_vector(self, scope: Scope, vector: Vector, flt: Filter | None, limit: int) -> ScoredItems:
        """Live memories of the scope by cosine similarity, best first (exact within the scope)."""

    @abstractmethod
    def search_keyword(self, scope: Scope, query: str, flt: Filter | None, limit: int) -> ScoredItems:
        """Live memories of the scope by a keyword score (BM25 or similar, higher is better)."""

    def term_counts(self, scope: Scope, terms: Sequence[str]) -> tuple[int, dict[str, int]] | None:
        """How many live memories the scope has, and how many of them contain each term.

        Search uses it to tell which words say nothing within a scope (a user's own name, in her
        own memories). ``None`` means the backend cannot count this cheaply; search then does without.
        """
        return None

    def neighbours(
        self, run_scope: Scope, item: MemoryItem, flt: Filter | None, window: int
    ) -> tuple[MemoryItem | None, MemoryItem | None]:
        """The live memories just before and just after ``item`` in its run (by creation time).

        Derived from :meth:`list_memories` (the run's newest ``window`` memories, in the store's
        order: memories of one add share a timestamp and keep the order they were added in); a
        backend may override it with a direct lookup.
        """
        session = list(reversed(self.list_memories(run_scope, flt, window)))
        index = next((i for i, m in enumerate(session) if m.id == item.id), None)
        if index is None:
            return None, None
        before = session[index - 1] if index > 0 else None
        after = session[index + 1] if index + 1 < len(session) else None
        return before, after

    @abstractmethod
    def history(self, memory_id: str) -> list[HistoryEvent]:
        """Every event of one memory, oldest first."""

    @abstractmethod
    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        """Delete every live memory of a scope; with ``purge`` erase them and their history."""

    @abstractmethod
    def iter_memories(self, *, include_deleted: bool = True, batch_size: int = 500) -> Iterator[MemoryItem]:
        """Every memory of every scope, in insertion order (for export and migration)."""

    @abstractmethod
    def vectors(self, memory_ids: Sequence[str]) -> dict[str, Vector]:
        """Stored vectors of live memories by id (for migration without re-embedding)."""

    @abstractmethod
    def count(self, scope: Scope | None = None, *, include_deleted: bool = False) -> int:
        """How many memories (of a scope, or in all)."""

    @abstractmethod
    def reset(self) -> None:
        """Erase everything."""

    def close(self) -> None:
        """Release connections."""
