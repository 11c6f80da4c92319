"""How an add's plan becomes writes, decided before anything is written.

:class:`~memspan.pipeline.Engine` asks the extractor for a plan (or makes one of the messages), then
these steps sort it: each new text once, exact and near repeats of the scope's memories dropped as
NOOPs, each UPDATE and DELETE of an offered memory turned into a :class:`~memspan.ports.Change` that
carries the version it was computed from (the store refuses it if that memory changed meanwhile).
The engine embeds the texts and hands everything to the store in one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ._inputs import text_hash, validate_text
from .effects import Flow, call
from .errors import StoreError
from .ids import new_memory_id
from .ports import Candidate, Change, Decision, ExtractionPlan, MemoryStore, Vector
from .scope import Scope
from .types import Event, HistoryEvent, MemoryChange, MemoryItem, MemoryType

#: an ADD of a plan: the decision, its validated text and the text's hash
Addition = tuple[Decision, str, str]
#: an UPDATE, DELETE or NOOP of a plan: the offered memory, the decision and an UPDATE's new text
Targeted = tuple[MemoryItem, Decision, str | None]


def sort_plan(
    store: MemoryStore, scope: Scope, plan: ExtractionPlan, existing: list[Candidate], *, dedupe: bool
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
                duplicate = yield call(store, "find_hash", scope, digest)
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
            raise StoreError(f"{decision.action} names memory {decision.target_ref}, which was not offered")
        if not scope.contains(target.user_id, target.agent_id, target.run_id):
            raise StoreError(f"memory {target.id} is outside {scope}; refusing to change it")
        new_text = validate_text(decision.text, "updated memory") if decision.action == "UPDATE" else None
        targeted.append((target, decision, new_text))
    return additions, targeted, repeats


def not_repeated(
    store: MemoryStore,
    scope: Scope,
    vectors: Vector,
    writes: list[Change],
    changes: list[MemoryChange],
    thresholds: Sequence[float | None],
) -> Flow[list[int]]:
    """The additions (by index) that repeat neither each other nor a memory of the scope; each
    repeat of a stored memory is recorded in ``changes`` as a NOOP. ``thresholds[i]`` is the
    similarity at which addition ``i`` counts as a repeat; ``None`` where the embedder does not
    know its language (its similarities mean nothing there), so only exact repeats are dropped."""
    keep: list[int] = []
    for i, vector in enumerate(vectors):
        threshold = thresholds[i]
        if threshold is None:
            keep.append(i)
            continue
        if keep and float(np.max(vectors[keep] @ vector)) >= threshold:
            continue  # a twin of a memory this same add is storing
        twin = yield from near_duplicate(store, scope, vector, writes, threshold)
        if twin is not None:
            changes.append(MemoryChange(Event.NOOP, twin, reason="near-duplicate"))
            continue
        keep.append(i)
    return keep


def near_duplicate(
    store: MemoryStore, scope: Scope, vector: Vector, writes: list[Change], threshold: float
) -> Flow[MemoryItem | None]:
    """The scope's memory that ``vector`` nearly repeats, as the scope will be after ``writes``."""
    for write in writes:  # an updated memory is compared by its new text
        if write.vector is not None and float(write.vector @ vector) >= threshold:
            return write.item
    changed = {w.item.id for w in writes}  # the store does not have this add's changes yet
    hits = yield call(store, "search_vector", scope, vector, None, 1 + len(changed))
    best = next(((item, score) for item, score in hits if item.id not in changed), None)
    return best[0] if best is not None and best[1] >= threshold else None


def new_item(
    scope: Scope,
    addition: Addition,
    meta: dict[str, Any],
    mtype: MemoryType | None,
    now: str,
) -> MemoryItem:
    decision, text, digest = addition
    return MemoryItem(
        id=new_memory_id(),
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


def change_existing(
    target: MemoryItem, decision: Decision, now: str, update: tuple[str, Vector] | None
) -> tuple[MemoryChange, Change | None]:
    """One UPDATE / DELETE / NOOP of a memory of the scope, and what it writes (an UPDATE: its
    text and vector)."""
    if decision.action == "NOOP":
        return MemoryChange(Event.NOOP, target, reason=decision.reason), None
    if decision.action == "DELETE":
        write = deletion(target, now, decision.reason)
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
    event = update_event(target, item, decision.reason)
    change = MemoryChange(Event.UPDATE, item, previous_text=target.text, reason=decision.reason)
    return change, Change(item, vector, event, expected=target)


def update_event(target: MemoryItem, item: MemoryItem, reason: str | None = None) -> HistoryEvent:
    """The UPDATE event of ``target`` becoming ``item``: old and new text and metadata, one owner."""
    return HistoryEvent(
        target.id,
        Event.UPDATE,
        target.text,
        item.text,
        item.updated_at,
        target.user_id,
        target.agent_id,
        target.run_id,
        target.metadata,
        item.metadata,
        reason,
    )


def deletion(target: MemoryItem, now: str, reason: str | None) -> Change:
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
    return Change(item, None, event, expected=target)
