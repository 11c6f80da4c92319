"""memspan's logic, written once as flows (see :mod:`memspan.effects`) and driven sync or async.

add:    validate (memspan._inputs) → (infer) show the extractor the scope's related memories →
        decisions → sort the plan, drop duplicates (memspan._plan) → embed → write memory +
        history atomically
search: validate → embed the query → dense and keyword candidates in scope → fuse → threshold
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ._edits import delete_by_id, retrying, update_by_id
from ._inputs import (
    MAX_QUERY_CHARS,
    validate_limit,
    validate_metadata,
    validate_text,
)
from ._plan import change_existing, new_item, not_repeated, sort_plan
from .effects import Flow, call, gather
from .errors import ConflictError, NotFoundError, StoreError, ValidationError
from .expiry import UNCHANGED, is_expired, resolve_expiry
from .filters import format_timestamp, parse_filter
from .messages import MAX_MESSAGE_CHARS, Message, MessagesInput, normalize_messages
from .ports import (
    Candidate,
    Change,
    Decision,
    Embedder,
    ExtractionPlan,
    ExtractionRequest,
    Extractor,
    MemoryStore,
)
from .rerank.base import Reranker, rerank_flow
from .retrieval import (
    FusionWeights,
    Retrieval,
    dense_scale,
    duplicate_similarity,
    fuse,
    query_to_embed,
    refine,
    scope_weights,
)
from .scope import Scope, validate_id
from .telemetry import span
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

if TYPE_CHECKING:
    from .graph.index import EntityGraph

T = TypeVar("T")



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


#: the owner scope of a call by id that does not restrict it
ANYONE = Scope()


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

    def bind(self) -> Flow[None]:
        """Bind the embedder to the store, once (a store refuses vectors of another model)."""
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
        yield from self.bind()
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
            changes = yield from self._apply(scope, plan, [], meta, mtype, dedupe=False, expiry=expiry)
        else:
            spent: list[Usage] = []  # every extraction's cost counts, the overtaken ones too
            plan, changes = yield from retrying(
                lambda: self._extract_and_apply(scope, msgs, meta, mtype, spent, expiry)
            )
            plan = replace(plan, usage=sum(spent, Usage()))
        if self.graph is not None:  # graph memory hook: entities and relations of what changed
            graph_usage = yield from self.graph.after_add(scope, msgs, changes, self.now())
            plan = replace(plan, usage=plan.usage + graph_usage)
        self.usage = self.usage + plan.usage
        return AddResult(changes, plan.usage)

    def _extract_and_apply(
        self,
        scope: Scope,
        msgs: list[Message],
        meta: dict[str, Any],
        mtype: MemoryType | None,
        spent: list[Usage],
        expiry: str | None,
    ) -> Flow[tuple[ExtractionPlan, list[MemoryChange]]]:
        """One attempt of an inferred add: show the extractor the scope as it is now, write its
        plan. The store refuses the write (ConflictError) if a memory the plan changes was changed
        meanwhile, or if an identical memory was stored meanwhile; the attempt is then repeated."""
        existing: list[Candidate] = []
        if self.extractor.context_size > 0:
            existing = yield from self._related(scope, msgs, self.extractor.context_size)
        request = ExtractionRequest(msgs, scope, mtype, existing, meta, self.settings.instructions)
        plan: ExtractionPlan = yield call(self.extractor, "extract", request)
        spent.append(plan.usage)
        try:
            changes = yield from self._apply(scope, plan, existing, meta, mtype, dedupe=True, expiry=expiry)
        except NotFoundError as exc:  # a memory the plan changes was deleted while it was made
            raise ConflictError(f"the plan changes a memory deleted meanwhile ({exc})") from exc
        return plan, changes

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
        additions, targeted, changes = yield from sort_plan(self.store, scope, plan, existing, dedupe=dedupe)
        texts = [text for _, text, _ in additions] + [t for _, _, t in targeted if t is not None]
        embedded = (yield call(self.embedder, "embed", texts, kind="document")) if texts else None
        update_vectors = iter(embedded[len(additions) :] if embedded is not None else ())
        writes: list[Change] = []
        for target, decision, new_text in targeted:
            update = (new_text, next(update_vectors)) if new_text is not None else None
            change, write = change_existing(target, decision, now, update)
            changes.append(change)
            if write is not None:
                writes.append(write)
        items: list[MemoryItem] = []
        vectors = None
        if additions and embedded is not None:
            vectors = embedded[: len(additions)]
            keep = list(range(len(additions)))
            if dedupe:
                thresholds = [
                    duplicate_similarity(self.embedder, a[1], self.settings.near_duplicate) for a in additions
                ]
                keep = yield from not_repeated(self.store, scope, vectors, writes, changes, thresholds)
            items = [replace(new_item(scope, additions[i], meta, mtype, now), expires_at=expiry) for i in keep]
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
            yield call(self.store, "apply", writes, items, vectors, events, unique=dedupe)
        changes.extend(MemoryChange(Event.ADD, item) for item in items)
        return changes

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
        yield from self.bind()
        pool = max(limit * self.settings.candidate_factor, self.settings.min_candidates)
        weights = self.settings.fusion
        to_embed = yield from query_to_embed(
            self.store, scope, query, self.settings.retrieval, self.embedder
        )
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
        with span("memspan.fusion"):  # fusion and its refinements (telemetry; no-op when off)
            ranked = fuse(
                dense, keyword, weights, dense_scale(self.embedder), query=query, embedder=self.embedder
            )
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
            raise NotFoundError.for_id(memory_id)  # missing, deleted, someone else's: alike
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
        return (
            yield from update_by_id(
                self, memory_id, text=text, metadata=metadata, owner=owner, expires_at=expires_at, ttl=ttl
            )
        )

    def delete(self, memory_id: str, *, owner: Scope = ANYONE) -> Flow[MemoryItem]:
        return (yield from delete_by_id(self, memory_id, owner=owner))

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
            raise NotFoundError.for_id(memory_id)  # missing, deleted, someone else's: alike
        return events

    def reset(self) -> Flow[None]:
        yield call(self.store, "reset")
        if self.graph is not None:  # graph memory hook
            yield from self.graph.reset()
        self._bound = False
