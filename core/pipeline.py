"""memspan's logic, written once as flows (see :mod:`memspan.effects`) and driven sync or async.

add:    validate → (infer) show the extractor the scope's related memories → decisions →
        drop duplicates → embed → write memory + history atomically
search: validate → embed the query → dense and keyword candidates in scope → fuse → threshold
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np

from .effects import Flow, call, gather
from .errors import NotFoundError, StoreError, ValidationError
from .expiry import UNCHANGED, Unchanged, is_expired, resolve_expiry
from .filters import format_timestamp, parse_filter
from .messages import MAX_MESSAGE_CHARS, Message, MessagesInput, normalize_messages, require_utf8
from .ports import (
    Candidate,
    Change,
    Decision,
    Embedder,
    ExtractionPlan,
    ExtractionRequest,
    Extractor,
    MemoryStore,
    Vector,
)
from .rerank.base import Reranker, rerank_flow
from .retrieval import FusionWeights, Retrieval, dense_scale, fuse, query_to_embed, refine, scope_weights
from .scope import Scope, validate_id
from .types import (
    AddResult,
    Event,
    HistoryEvent,
    MemoryChange,
    MemoryItem,
    MemoryType,
    SearchResult,
    Usage,
)
from .validation import require_clean

if TYPE_CHECKING:
    from .graph.index import EntityGraph

#: keys a memory's metadata may not use: they name the memory's own fields or its owner
RESERVED_METADATA_KEYS = frozenset(
    {
        "id",
        "memory",
        "text",
        "hash",
        "user_id",
        "agent_id",
        "run_id",
        "memory_type",
        "created_at",
        "updated_at",
        "deleted_at",
        "expires_at",
        "score",
        "source_ids",
        "actor_id",
        "role",
    }
)
MAX_METADATA_BYTES = 64 * 1024
MAX_QUERY_CHARS = 10_000
MAX_LIMIT = 1_000
_SPACE = re.compile(r"\s+")


def text_hash(text: str) -> str:
    """Identity of a memory's text: case and spacing do not make a new memory."""
    return hashlib.sha256(_SPACE.sub(" ", text.strip().casefold()).encode()).hexdigest()


def validate_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise ValidationError(f"metadata must be a mapping, got {type(metadata).__name__}")
    for key in metadata:
        if not isinstance(key, str) or not key:
            raise ValidationError(f"metadata keys must be non-empty strings, got {key!r}")
        if key in RESERVED_METADATA_KEYS:
            raise ValidationError(
                f"metadata key {key!r} is reserved: scope ids and a memory's own fields are set by "
                "memspan (pass user_id=/agent_id=/run_id= as arguments)"
            )
    try:
        encoded = json.dumps(dict(metadata), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"metadata must be JSON-serialisable: {exc}") from None
    except RecursionError:
        raise ValidationError("metadata is nested too deeply to store") from None
    require_utf8(encoded, "metadata")
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        raise ValidationError(f"metadata is larger than {MAX_METADATA_BYTES // 1024} KiB")
    copy: dict[str, Any] = json.loads(encoded)
    require_clean(copy, "metadata")  # NUL too: PostgreSQL's JSON cannot hold it
    return copy  # a private copy the caller cannot mutate later


def validate_text(text: object, what: str = "text") -> str:
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be a string, got {type(text).__name__}")
    if "\x00" in text:
        raise ValidationError(f"{what} contains a NUL character")
    require_utf8(text, what)
    if not text.strip():
        raise ValidationError(f"{what} is empty")
    return text.strip()


def validate_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
    return limit


@dataclass
class Settings:
    """Tunable behaviour of one Memory."""

    fusion: FusionWeights = field(default_factory=FusionWeights)
    #: a new memory this similar to one the scope already has is a duplicate (infer=True only)
    near_duplicate: float = 0.95
    #: candidates fetched from each retriever, per requested result
    candidate_factor: int = 4
    min_candidates: int = 40
    max_message_chars: int = MAX_MESSAGE_CHARS
    instructions: str | None = None
    #: a second look at the best candidates; used by every search unless it passes rerank=False
    reranker: Reranker | None = None
    rerank_candidates: int = 20
    #: how candidates are fused, boosted and expanded (``Retrieval.baseline()`` = plain weighted fusion)
    retrieval: Retrieval = field(default_factory=Retrieval)


#: an ADD of a plan: the decision, its validated text and the text's hash
Addition = tuple[Decision, str, str]
#: an UPDATE, DELETE or NOOP of a plan: the offered memory, the decision and an UPDATE's new text
Targeted = tuple[MemoryItem, Decision, str | None]

#: the owner scope of a call by id that does not restrict it
ANYONE = Scope()


def _missing(memory_id: str, owner: Scope) -> NotFoundError:
    """Missing, deleted and someone else's memories are all reported alike."""
    return NotFoundError(f"no memory with id {memory_id!r}" + (f" in {owner}" if owner.items() else ""))


class Engine:
    """The pipeline behind :class:`~memspan.Memory` and :class:`~memspan.AsyncMemory`."""

    def __init__(
        self,
        store: MemoryStore,
        embedder: Embedder,
        extractor: Extractor,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        graph: EntityGraph | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.extractor = extractor
        self.settings = settings or Settings()
        self.graph = graph  # graph memory (memspan.graph); None = off, and costs nothing
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._bound = False
        self.usage = Usage()

    def now(self) -> str:
        return format_timestamp(self._clock())

    def _bind(self) -> Flow[None]:
        if not self._bound:
            yield call(self.store, "bind_embedder", self.embedder.model_id, self.embedder.dimension)
            self._bound = True

    # -- add -------------------------------------------------------------------------------

    def add(
        self,
        messages: MessagesInput,
        *,
        scope: Scope,
        metadata: Mapping[str, Any] | None,
        memory_type: str | MemoryType | None,
        infer: bool,
        expires_at: object = None,
        ttl: object = None,
    ) -> Flow[AddResult]:
        msgs = normalize_messages(messages, max_chars=self.settings.max_message_chars)
        meta = validate_metadata(metadata)
        expiry = resolve_expiry(expires_at, ttl, self.store.clock())  # memspan.expiry
        mtype = MemoryType.parse(memory_type) if memory_type is not None else None
        yield from self._bind()
        existing: list[Candidate] = []
        if not infer:
            plan = ExtractionPlan(
                [
                    Decision(
                        "ADD",
                        text=m.content,
                        source_ids=(m.id,) if m.id else (),
                        memory_type=mtype,
                        created_at=m.created_at,
                    )
                    for m in msgs
                ]
            )
        else:
            if self.extractor.context_size > 0:
                existing = yield from self._related(scope, msgs, self.extractor.context_size)
            request = ExtractionRequest(msgs, scope, mtype, existing, meta, self.settings.instructions)
            plan = yield call(self.extractor, "extract", request)
        changes = yield from self._apply(scope, plan, existing, meta, mtype, dedupe=infer, expiry=expiry)
        if self.graph is not None:  # graph memory hook: entities and relations of what changed
            graph_usage = yield from self.graph.after_add(scope, msgs, changes, self.now())
            plan = replace(plan, usage=plan.usage + graph_usage)
        self.usage = self.usage + plan.usage
        return AddResult(changes, plan.usage)

    def _related(self, scope: Scope, msgs: list[Message], size: int) -> Flow[list[Candidate]]:
        """The scope's memories most similar to the new messages, numbered for the extractor."""
        vectors = yield call(self.embedder, "embed", [m.content for m in msgs], kind="query")
        best: dict[str, tuple[float, MemoryItem]] = {}
        for vector in vectors:
            hits = yield call(self.store, "search_vector", scope, vector, None, size)
            for item, score in hits:
                if item.id not in best or best[item.id][0] < score:
                    best[item.id] = (score, item)
        ranked = sorted(best.values(), key=lambda pair: -pair[0])[:size]
        return [Candidate(ref=i, item=item) for i, (_, item) in enumerate(ranked)]

    def _apply(
        self,
        scope: Scope,
        plan: ExtractionPlan,
        existing: list[Candidate],
        meta: dict[str, Any],
        mtype: MemoryType | None,
        *,
        dedupe: bool,
        expiry: str | None = None,
    ) -> Flow[list[MemoryChange]]:
        """Write a plan: every text embedded first, then everything in one store call (one
        transaction where the backend has them), so a failing model or store leaves it as it was."""
        now = self.now()
        additions, targeted, changes = yield from self._sort_plan(scope, plan, existing, dedupe=dedupe)
        texts = [text for _, text, _ in additions] + [t for _, _, t in targeted if t is not None]
        embedded = (yield call(self.embedder, "embed", texts, kind="document")) if texts else None
        update_vectors = iter(embedded[len(additions) :] if embedded is not None else ())
        writes: list[Change] = []
        for target, decision, new_text in targeted:
            update = (new_text, next(update_vectors)) if new_text is not None else None
            change, write = self._change_existing(target, decision, now, update)
            changes.append(change)
            if write is not None:
                writes.append(write)
        items: list[MemoryItem] = []
        vectors = None
        if additions and embedded is not None:
            vectors = embedded[: len(additions)]
            keep = list(range(len(additions)))
            if dedupe:
                keep = yield from self._not_repeated(scope, vectors, writes, changes)
            items = [
                replace(self._new_item(scope, additions[i], meta, mtype, now), expires_at=expiry)
                for i in keep
            ]
            vectors = vectors[keep]
        events = [
            HistoryEvent(
                item.id,
                Event.ADD,
                None,
                item.text,
                now,
                item.user_id,
                item.agent_id,
                item.run_id,
                new_metadata=item.metadata,
            )
            for item in items
        ]
        if writes or items:
            yield call(self.store, "apply", writes, items, vectors, events)
        changes.extend(MemoryChange(Event.ADD, item) for item in items)
        return changes

    def _sort_plan(
        self, scope: Scope, plan: ExtractionPlan, existing: list[Candidate], *, dedupe: bool
    ) -> Flow[tuple[list[Addition], list[Targeted], list[MemoryChange]]]:
        """Split a plan into additions (each text once, exact repeats of stored memories dropped as
        NOOPs) and the UPDATE/DELETE/NOOP of offered memories, in order; refuse an unusable plan.
        Nothing is written here, so a refusal leaves the store as it was."""
        by_ref = {c.ref: c.item for c in existing}
        additions: list[Addition] = []
        targeted: list[Targeted] = []
        repeats: list[MemoryChange] = []
        seen_hashes: set[str] = set()
        for decision in plan.decisions:
            if decision.action == "ADD":
                text = validate_text(decision.text, "extracted memory")
                digest = text_hash(text)
                if dedupe:
                    if digest in seen_hashes:
                        continue
                    duplicate = yield call(self.store, "find_hash", scope, digest)
                    if duplicate is not None:
                        repeats.append(MemoryChange(Event.NOOP, duplicate, reason="already remembered"))
                        continue
                seen_hashes.add(digest)
                additions.append((decision, text, digest))
                continue
            target = by_ref.get(decision.target_ref) if decision.target_ref is not None else None
            if target is None:
                if decision.action == "NOOP":
                    continue  # about a memory that was not offered: it says nothing
                raise StoreError(
                    f"{decision.action} names memory {decision.target_ref}, which was not offered"
                )
            if not scope.contains(target.user_id, target.agent_id, target.run_id):
                raise StoreError(f"memory {target.id} is outside {scope}; refusing to change it")
            new_text = validate_text(decision.text, "updated memory") if decision.action == "UPDATE" else None
            targeted.append((target, decision, new_text))
        return additions, targeted, repeats

    def _not_repeated(
        self, scope: Scope, vectors: Vector, writes: list[Change], changes: list[MemoryChange]
    ) -> Flow[list[int]]:
        """The additions (by index) that repeat neither each other nor a memory of the scope; each
        repeat of a stored memory is recorded in ``changes`` as a NOOP."""
        keep: list[int] = []
        for i, vector in enumerate(vectors):
            if keep and float(np.max(vectors[keep] @ vector)) >= self.settings.near_duplicate:
                continue  # a twin of a memory this same add is storing
            twin = yield from self._near_duplicate(scope, vector, writes)
            if twin is not None:
                changes.append(MemoryChange(Event.NOOP, twin, reason="near-duplicate"))
                continue
            keep.append(i)
        return keep

    def _near_duplicate(self, scope: Scope, vector: Vector, writes: list[Change]) -> Flow[MemoryItem | None]:
        """The scope's memory that ``vector`` nearly repeats, as the scope will be after ``writes``."""
        threshold = self.settings.near_duplicate
        for write in writes:  # an updated memory is compared by its new text
            if write.vector is not None and float(write.vector @ vector) >= threshold:
                return write.item
        changed = {w.item.id for w in writes}  # the store does not have this add's changes yet
        hits = yield call(self.store, "search_vector", scope, vector, None, 1 + len(changed))
        best = next(((item, score) for item, score in hits if item.id not in changed), None)
        return best[0] if best is not None and best[1] >= threshold else None

    def _new_item(
        self,
        scope: Scope,
        addition: Addition,
        meta: dict[str, Any],
        mtype: MemoryType | None,
        now: str,
    ) -> MemoryItem:
        decision, text, digest = addition
        return MemoryItem(
            id=str(uuid.uuid4()),
            text=text,
            user_id=scope.user_id,
            agent_id=scope.agent_id,
            run_id=scope.run_id,
            memory_type=decision.memory_type or mtype or MemoryType.SEMANTIC,
            metadata=dict(meta),
            created_at=decision.created_at or now,
            updated_at=now,
            hash=digest,
            source_ids=decision.source_ids,
        )

    def _change_existing(
        self, target: MemoryItem, decision: Decision, now: str, update: tuple[str, Vector] | None
    ) -> tuple[MemoryChange, Change | None]:
        """One UPDATE / DELETE / NOOP of a memory of the scope, and what it writes (an UPDATE: its
        text and vector)."""
        if decision.action == "NOOP":
            return MemoryChange(Event.NOOP, target, reason=decision.reason), None
        if decision.action == "DELETE":
            write = self._deletion(target, now, decision.reason)
            return MemoryChange(
                Event.DELETE, write.item, previous_text=target.text, reason=decision.reason
            ), write
        assert update is not None, "an UPDATE comes with its text and vector"
        text, vector = update
        item = replace(
            target,
            text=text,
            hash=text_hash(text),
            updated_at=now,
            source_ids=tuple(dict.fromkeys((*target.source_ids, *decision.source_ids))),
        )
        event = HistoryEvent(
            target.id,
            Event.UPDATE,
            target.text,
            text,
            now,
            target.user_id,
            target.agent_id,
            target.run_id,
            target.metadata,
            item.metadata,
            decision.reason,
        )
        change = MemoryChange(Event.UPDATE, item, previous_text=target.text, reason=decision.reason)
        return change, Change(item, vector, event)

    @staticmethod
    def _deletion(target: MemoryItem, now: str, reason: str | None) -> Change:
        item = replace(target, deleted_at=now, updated_at=now)
        event = HistoryEvent(
            target.id,
            Event.DELETE,
            target.text,
            None,
            now,
            target.user_id,
            target.agent_id,
            target.run_id,
            target.metadata,
            None,
            reason,
        )
        return Change(item, None, event)

    # -- search ----------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        scope: Scope,
        filters: Mapping[str, Any] | None,
        limit: int,
        threshold: float | None,
        explain: bool = False,
        rerank: bool | None = None,
    ) -> Flow[SearchResult]:
        query = validate_text(query, "query")
        if len(query) > MAX_QUERY_CHARS:
            raise ValidationError(f"query is longer than {MAX_QUERY_CHARS:,} characters")
        limit = validate_limit(limit)
        if threshold is not None and not (isinstance(threshold, (int, float)) and 0 <= threshold <= 1):
            raise ValidationError(f"threshold must be a similarity between 0 and 1, got {threshold!r}")
        flt = parse_filter(filters)
        yield from self._bind()
        pool = max(limit * self.settings.candidate_factor, self.settings.min_candidates)
        weights = self.settings.fusion
        to_embed = yield from query_to_embed(self.store, scope, query, self.settings.retrieval)
        embedding = call(self.embedder, "embed", [to_embed], kind="query")
        dense, keyword = [], []
        if weights.keyword:  # keyword search needs no vector: it runs while the query is embedded
            vectors, keyword = yield gather(
                embedding, call(self.store, "search_keyword", scope, query, flt, pool)
            )
        else:
            vectors = yield embedding
        if weights.dense:
            dense = yield call(self.store, "search_vector", scope, vectors[0], flt, pool)
        weights = yield from scope_weights(self.store, scope, weights)
        ranked = fuse(dense, keyword, weights, dense_scale(self.embedder))
        ranked = yield from refine(self.store, scope, flt, query, ranked, self.settings.retrieval)
        graph_context = None
        if self.graph is not None:  # graph memory hook: expand from entities, collect relations
            ranked, graph_context = yield from self.graph.expand(self.store, scope, query, ranked, flt)
        for item in ranked:
            if not scope.contains(item.user_id, item.agent_id, item.run_id) or item.deleted_at is not None:
                raise StoreError(f"the store returned memory {item.id} from outside {scope}: a backend bug")
        usage = Usage()
        reranker = self.settings.reranker
        if rerank or (rerank is None and reranker is not None):
            if reranker is None:
                raise ValidationError(
                    "rerank=True needs a reranker: Memory(reranker=...) (see memspan.rerank)"
                )
            top_n = max(self.settings.rerank_candidates, limit)
            ranked, usage = yield from rerank_flow(reranker, query, ranked, top_n)
            self.usage = self.usage + usage
        if threshold is not None:
            ranked = [m for m in ranked if (m.score or 0.0) >= threshold]
        top = ranked[:limit]
        if not explain:
            top = [m.with_score(m.score) for m in top]
        if graph_context is not None:
            return SearchResult(top, usage, graph_context.entities, graph_context.relations)
        return SearchResult(top, usage)

    # -- the rest --------------------------------------------------------------------------

    def get(
        self, memory_id: str, *, include_deleted: bool = False, owner: Scope = ANYONE
    ) -> Flow[MemoryItem]:
        """One memory; with ``owner``, only if it lies in that scope (else it is reported missing,
        so one user cannot learn which ids another has)."""
        validate_id("memory id", memory_id)
        item: MemoryItem | None = yield call(self.store, "get", memory_id)
        if (
            item is None
            or (item.deleted_at is not None and not include_deleted)
            or (is_expired(item.expires_at, self.store.clock()) and not include_deleted)
            or not owner.contains(item.user_id, item.agent_id, item.run_id)
        ):
            raise _missing(memory_id, owner)
        return item

    def get_all(
        self,
        *,
        scope: Scope,
        filters: Mapping[str, Any] | None,
        limit: int,
        offset: int = 0,
        include_deleted: bool = False,
    ) -> Flow[list[MemoryItem]]:
        flt = parse_filter(filters)
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError("offset must be a non-negative integer")
        items = yield call(
            self.store,
            "list_memories",
            scope,
            flt,
            validate_limit(limit),
            include_deleted=include_deleted,
            offset=offset,
        )
        return items  # type: ignore[no-any-return]

    def update(
        self,
        memory_id: str,
        *,
        text: str | None,
        metadata: Mapping[str, Any] | None,
        owner: Scope = ANYONE,
        expires_at: object = UNCHANGED,
        ttl: object = None,
    ) -> Flow[MemoryItem]:
        if text is None and metadata is None and expires_at is UNCHANGED and ttl is None:
            raise ValidationError("update needs text=, metadata=, expires_at= or ttl=")
        target = yield from self.get(memory_id, owner=owner)
        expiry = target.expires_at
        if ttl is not None or not isinstance(expires_at, Unchanged):  # None clears the expiry
            given = None if isinstance(expires_at, Unchanged) else expires_at
            expiry = resolve_expiry(given, ttl, self.store.clock())
        new_text = validate_text(text) if text is not None else target.text
        if len(new_text) > self.settings.max_message_chars:
            raise ValidationError(
                f"text of {len(new_text):,} characters is more than the limit of "
                f"{self.settings.max_message_chars:,}; raise max_message_chars on the Memory"
            )
        new_meta = validate_metadata(metadata) if metadata is not None else target.metadata
        now = self.now()
        vector = None
        if new_text != target.text:
            yield from self._bind()
            vector = (yield call(self.embedder, "embed", [new_text], kind="document"))[0]
        item = replace(
            target,
            text=new_text,
            hash=text_hash(new_text),
            metadata=new_meta,
            updated_at=now,
            expires_at=expiry,
        )
        event = HistoryEvent(
            target.id,
            Event.UPDATE,
            target.text,
            new_text,
            now,
            target.user_id,
            target.agent_id,
            target.run_id,
            target.metadata,
            new_meta,
        )
        yield call(self.store, "update", item, vector, event)
        if self.graph is not None and vector is not None:  # graph memory hook: the new text's entities
            owner = Scope(item.user_id, item.agent_id, item.run_id)
            yield from self.graph.after_add(owner, [], [MemoryChange(Event.UPDATE, item)], now)
        return item

    def delete(self, memory_id: str, *, owner: Scope = ANYONE) -> Flow[MemoryItem]:
        target = yield from self.get(memory_id, owner=owner)
        write = self._deletion(target, self.now(), None)
        yield call(self.store, "update", write.item, None, write.event)
        return write.item

    def delete_all(self, *, scope: Scope, purge: bool) -> Flow[int]:
        count = yield call(self.store, "delete_scope", scope, purge=purge, at=self.now())
        if self.graph is not None:  # graph memory hook: the scope's graph goes with its memories
            yield from self.graph.delete_all(scope, purge=purge, at=self.now())
        return int(count)

    def sweep_expired(self, *, scope: Scope | None = None) -> Flow[int]:
        """Delete the expired memories (of a scope, or of all): see :mod:`memspan.expiry`."""
        count = yield call(self.store, "sweep_expired", self.store.clock(), scope)
        return int(count)

    def history(self, memory_id: str, *, owner: Scope = ANYONE) -> Flow[list[HistoryEvent]]:
        validate_id("memory id", memory_id)
        events: list[HistoryEvent] = yield call(self.store, "history", memory_id)
        if not events or not owner.contains(events[0].user_id, events[0].agent_id, events[0].run_id):
            raise _missing(memory_id, owner)
        return events

    def reset(self) -> Flow[None]:
        yield call(self.store, "reset")
        if self.graph is not None:  # graph memory hook
            yield from self.graph.reset()
        self._bound = False
