"""The graph beside the memories: what ``add`` writes to it and how ``search`` uses it.

Written once as flows (like :mod:`memspan.pipeline`), so :class:`~memspan.Memory` and
:class:`~memspan.AsyncMemory` share it. Two decisions live here and nowhere else:

* **Contradiction.** A new single-valued relation ("lives_in Paris") ends the current one with the
  same source and verb ("lives_in Lisbon") at the new one's ``valid_from``; a fact older than the
  current one (history told out of order) is stored already ended. Nothing is deleted.
* **Expansion.** Entities named in the query, and entities of the best few hits, pull in the other
  memories that mention them. An entity counts in proportion to its rarity (an idf), and entities
  that most of the scope's memories mention (the speakers of a chat) are skipped: they link
  everything to everything. The graph's share of the final score is ``GraphSettings.weight``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..effects import Flow, call
from ..filters import Filter, parse_timestamp
from ..messages import Message
from ..ports import MemoryStore
from ..scope import Scope
from ..stores.sqlite import filter_record
from ..types import Event, MemoryChange, MemoryItem, Usage
from .dates import find_dates
from .model import (
    Entity,
    GraphExtraction,
    GraphRequest,
    GraphSnapshot,
    MemoryText,
    Relation,
    entity_id,
    entity_key,
    entity_type,
    owner_of,
    relation_name,
)
from .ports import EntityRow, GraphExtractor, GraphStore, GraphWrite
from .rules import RuleGraphExtractor, capitalised_phrases, is_filler

_QUERY_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


@dataclass
class GraphSettings:
    """How much the graph changes a search. ``weight=0`` keeps the ranking and only adds context."""

    weight: float = 0.1
    #: best hits whose entities seed the second hop
    seed_memories: int = 5
    #: a second-hop entity counts this much of a query entity
    hop_weight: float = 0.5
    #: entities mentioned by more than this share of the scope's memories are not expanded
    max_entity_share: float = 0.1
    memories_per_entity: int = 30
    #: memories the graph may add beyond the fused candidates
    max_added: int = 20
    context_entities: int = 10
    context_relations: int = 20


@dataclass(frozen=True, slots=True)
class GraphContext:
    """What a search returns from the graph, next to the memories."""

    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


def query_keys(query: str, created_at: str | None = None) -> list[str]:
    """Entity keys a query might name: its capitalised phrases, dates, and every 1-4 word n-gram."""
    keys = [entity_key(p) for p, _ in capitalised_phrases(query)]
    keys += [entity_key(d.name) for d in find_dates(query, created_at)]
    words = _QUERY_WORD.findall(query)
    for size in range(1, 5):
        for i in range(len(words) - size + 1):
            gram = words[i : i + size]
            if all(is_filler(w) for w in gram):
                continue
            keys.append(entity_key(" ".join(gram)))
    return [k for k in dict.fromkeys(keys) if k][:200]


class EntityGraph:
    """Entities and relations for one Memory: a store, an extractor, and the two decisions above."""

    def __init__(
        self,
        store: GraphStore,
        extractor: GraphExtractor | None = None,
        settings: GraphSettings | None = None,
    ):
        self.store = store
        self.extractor = extractor or RuleGraphExtractor()
        self.settings = settings or GraphSettings()

    # -- add -------------------------------------------------------------------------------

    def after_add(
        self, scope: Scope, messages: Sequence[Message], changes: Sequence[MemoryChange], now: str
    ) -> Flow[Usage]:
        """Extract and store the graph of the memories one ``add`` created or changed."""
        items = [c.item for c in changes if c.event in (Event.ADD, Event.UPDATE)]
        if not items:
            return Usage()
        speakers = tuple(dict.fromkeys(m.name for m in messages if m.name))
        request = GraphRequest([MemoryText(i.id, i.text, i.created_at) for i in items], scope, speakers)
        extraction: GraphExtraction = yield call(self.extractor, "extract", request)
        # an UPDATE may change a memory of a narrower scope than the add's: each owner has its own graph
        owners = [Scope(i.user_id, i.agent_id, i.run_id) for i in items]
        writes: dict[Scope, GraphWrite] = {}
        for owner, item in zip(owners, items, strict=True):
            writes.setdefault(owner, GraphWrite(owner, now)).memories.append((item.id, item.created_at))
        rows: dict[str, EntityRow] = {}

        def entity(name: str, kind: str, memory: int | None) -> tuple[Scope, str] | None:
            key = entity_key(name)
            if not key or len(name) > 200:
                return None
            owner = owners[memory] if memory is not None and 0 <= memory < len(items) else scope
            write = writes.setdefault(owner, GraphWrite(owner, now))
            eid = entity_id(owner_of(owner), key)
            if eid not in rows:
                rows[eid] = EntityRow(eid, key, name.strip(), entity_type(kind))
                write.entities.append(rows[eid])
            if memory is not None and 0 <= memory < len(items):
                write.mentions.append((items[memory].id, eid))
            return owner, eid

        for found in extraction.entities:
            for index in found.memories or (None,):
                entity(found.name, found.type, index)
        new: dict[Scope, list[Relation]] = {}
        for rel in extraction.relations:
            source = entity(rel.source, rel.source_type, rel.memory)
            target = entity(rel.target, rel.target_type, rel.memory)
            if source is None or target is None or source == target or source[0] != target[0]:
                continue
            said = items[rel.memory] if rel.memory is not None and 0 <= rel.memory < len(items) else None
            new.setdefault(source[0], []).append(
                Relation(
                    id=str(uuid.uuid4()),
                    source=rel.source,
                    relation=relation_name(rel.relation),
                    target=rel.target,
                    valid_from=_timestamp(rel.valid_from) or (said.created_at if said else now),
                    valid_to="single" if rel.single_valued else None,  # a marker _resolve reads
                    memory_id=said.id if said else None,
                    created_at=now,
                    source_id=source[1],
                    target_id=target[1],
                )
            )
        for owner, write in writes.items():
            write.mentions[:] = list(dict.fromkeys(write.mentions))
            fresh = new.get(owner, [])
            if fresh:
                sources = sorted({r.source_id for r in fresh})
                current = yield call(self.store, "relations", owner, sources, include_ended=False)
                write.relations.extend(self._resolve(current, fresh, write.ended))
            yield call(self.store, "apply", write)
        return extraction.usage

    @staticmethod
    def _resolve(
        current: list[Relation], new: list[Relation], ended: list[tuple[str, str]]
    ) -> list[Relation]:
        """New relations to create (duplicates dropped), ending the ones a single-valued fact replaces."""
        live = {r.id: r for r in current if r.valid_to is None}
        created: list[Relation] = []
        for rel in sorted(new, key=lambda r: r.valid_from):
            single = rel.valid_to == "single"
            rel = replace(rel, valid_to=None)
            same = [c for c in live.values() if (c.source_id, c.relation) == (rel.source_id, rel.relation)]
            if any(c.target_id == rel.target_id for c in same):
                continue  # already known and still true
            if single:
                for old in same:
                    if old.valid_from <= rel.valid_from:
                        ended.append((old.id, rel.valid_from))
                        del live[old.id]
                        created[:] = [
                            c if c.id != old.id else replace(c, valid_to=rel.valid_from) for c in created
                        ]
                    else:  # the new fact is older than what is known now: it is already over
                        rel = replace(rel, valid_to=old.valid_from)
            created.append(rel)
            if rel.valid_to is None:
                live[rel.id] = rel
        return created

    # -- search ----------------------------------------------------------------------------

    def expand(
        self, memories: MemoryStore, scope: Scope, query: str, ranked: list[MemoryItem], flt: Filter | None
    ) -> Flow[tuple[list[MemoryItem], GraphContext]]:
        """Re-rank ``ranked`` with memories linked to the query's entities; return the graph context.

        A scope can hold one entity per owner (a user's scope spans its runs), so rarity and links
        are counted per entity *key* across the owners the scope contains.
        """
        cfg = self.settings
        named: list[Entity] = yield call(self.store, "find_entities", scope, query_keys(query))
        seeds = [m.id for m in ranked[: cfg.seed_memories]]
        of_seeds: dict[str, list[Entity]] = yield call(self.store, "entities_of_memories", scope, seeds)
        named_keys = {e.key for e in named}
        hop_keys = sorted({e.key for group in of_seeds.values() for e in group} - named_keys)
        siblings: list[Entity] = (
            (yield call(self.store, "find_entities", scope, hop_keys)) if hop_keys else []
        )
        by_key: dict[str, dict[str, Entity]] = {}
        for e in [*named, *siblings]:
            by_key.setdefault(e.key, {})[e.id] = e
        total = max(int((yield call(memories, "count", scope))), 1)
        ceiling = max(cfg.max_entity_share * total, 3.0)

        def rarity(key: str) -> float:
            mentions = sum(e.mentions for e in by_key.get(key, {}).values())
            if mentions <= 0 or mentions > ceiling:
                return 0.0
            return math.log((total + 1) / mentions) / math.log(total + 1)

        weights = {key: rarity(key) for key in named_keys}
        fused = {m.id: m.score or 0.0 for m in ranked}
        origin: dict[str, set[str]] = {}  # hop key -> the seed memories it came from (not re-counted)
        for memory_id, entities in of_seeds.items():
            for key in {e.key for e in entities} - named_keys:
                hop = cfg.hop_weight * rarity(key) * fused.get(memory_id, 0.0)
                weights[key] = max(weights.get(key, 0.0), hop)
                origin.setdefault(key, set()).add(memory_id)
        active = {eid: key for key, w in weights.items() if w > 0 for eid in by_key.get(key, {})}
        linked: dict[str, list[str]] = (
            (yield call(self.store, "memories_of_entities", scope, sorted(active), cfg.memories_per_entity))
            if active
            else {}
        )
        graph_score: dict[str, float] = {}
        for key in {active[eid] for eid in linked}:
            found = {m for eid, ids in linked.items() if active[eid] == key for m in ids}
            for memory_id in found - origin.get(key, set()):
                graph_score[memory_id] = graph_score.get(memory_id, 0.0) + weights[key]
        reranked = ranked
        if graph_score and cfg.weight > 0:
            reranked = yield from self._merge(memories, scope, ranked, graph_score, flt)
        context = yield from self._context(scope, named, of_seeds)
        return reranked, context

    def _merge(
        self,
        memories: MemoryStore,
        scope: Scope,
        ranked: list[MemoryItem],
        graph_score: dict[str, float],
        flt: Filter | None,
    ) -> Flow[list[MemoryItem]]:
        cfg = self.settings
        best = max(graph_score.values())
        known = {m.id: m for m in ranked}
        extra = sorted((mid for mid in graph_score if mid not in known), key=lambda mid: -graph_score[mid])
        for memory_id in extra[: cfg.max_added]:
            item = yield call(memories, "get", memory_id)
            if item is None or item.deleted_at is not None:
                continue  # deleted since the graph saw it
            if not scope.contains(item.user_id, item.agent_id, item.run_id):
                continue  # linked through an entity of a wider scope's graph: not visible here
            if flt is not None and not flt.matches(filter_record(item)):
                continue
            known[memory_id] = item.with_score(0.0, {})
        scored: list[MemoryItem] = []
        for item in known.values():
            g = graph_score.get(item.id, 0.0) / best
            score = (1 - cfg.weight) * (item.score or 0.0) + cfg.weight * g
            details = dict(item.score_details or {})
            details["graph"] = g
            scored.append(item.with_score(min(max(score, 0.0), 1.0), details))
        scored.sort(key=lambda m: (-(m.score or 0.0), m.id))
        return scored

    def _context(
        self, scope: Scope, named: list[Entity], of_seeds: dict[str, list[Entity]]
    ) -> Flow[GraphContext]:
        """The query's entities (then the best hits' ones), one per name, and the relations touching them."""
        cfg = self.settings
        entities: dict[str, Entity] = {}
        for e in [*named, *(e for group in of_seeds.values() for e in group)]:
            entities.setdefault(e.key, e)
        chosen = list(entities.values())[: cfg.context_entities]
        relations: list[Relation] = []
        if chosen:
            chosen_keys = {e.key for e in chosen}
            ids = [e.id for e in named] or [
                e.id for group in of_seeds.values() for e in group if e.key in chosen_keys
            ]
            relations = yield call(self.store, "relations", scope, ids, limit=cfg.context_relations)
        return GraphContext(chosen, relations)

    # -- reads for the facade --------------------------------------------------------------

    def snapshot(self, scope: Scope, *, limit: int, include_deleted: bool) -> Flow[GraphSnapshot]:
        entities = yield call(self.store, "entities", scope, limit=limit, include_deleted=include_deleted)
        relations = yield call(
            self.store, "relations", scope, None, include_deleted=include_deleted, limit=limit
        )
        return GraphSnapshot(entities, relations)

    def relations(
        self,
        scope: Scope,
        *,
        entity: str | None,
        as_of: object | None,
        include_ended: bool,
        include_deleted: bool,
    ) -> Flow[list[Relation]]:
        ids: list[str] | None = None
        if entity is not None:
            found: list[Entity] = yield call(
                self.store, "find_entities", scope, [entity_key(entity)], include_deleted=include_deleted
            )
            ids = [e.id for e in found]
        result: list[Relation] = yield call(
            self.store,
            "relations",
            scope,
            ids,
            include_ended=include_ended or as_of is not None,
            include_deleted=include_deleted,
        )
        if as_of is not None:
            moment = parse_timestamp(as_of, what="as_of")
            result = [r for r in result if r.holds_at(moment)]
        return result

    def delete_all(self, scope: Scope, *, purge: bool, at: str) -> Flow[int]:
        count = yield call(self.store, "delete_scope", scope, purge=purge, at=at)
        return int(count)

    def reset(self) -> Flow[None]:
        yield call(self.store, "reset")


def _timestamp(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None  # a model's unparseable date: fall back to when the memory was said
