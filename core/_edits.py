"""Changes to one memory by id (update, delete): read it, compute the new version, and let the
store write it only over the version that was read.

The store decides inside its write transaction (:class:`~memspan.ports.Change` carries the version
it was computed from): a memory deleted meanwhile is ``NotFoundError``, one changed meanwhile is a
``ConflictError``, and the change is computed again from a fresh read (:func:`retrying`). So an
acknowledged delete stays done and each update's history event names the text it replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from ._inputs import text_hash, validate_metadata, validate_text
from ._plan import deletion, update_event
from .effects import Flow, call
from .errors import ConflictError, ValidationError
from .expiry import UNCHANGED, Unchanged, resolve_expiry
from .ports import Change, Vector
from .scope import Scope, validate_id
from .types import Event, MemoryChange, MemoryItem

if TYPE_CHECKING:
    from .pipeline import Engine

T = TypeVar("T")

#: how often a write computed from a read that another writer overtook is computed again
MAX_WRITE_ATTEMPTS = 25


def retrying(attempt: Callable[[], Flow[T]]) -> Flow[T]:
    """Run ``attempt`` until the store accepts its write: a ConflictError means another writer
    changed the memory after this attempt read it, so it is computed again from a fresh read."""
    for tries in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            return (yield from attempt())
        except ConflictError:
            if tries == MAX_WRITE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def update_by_id(
    engine: Engine,
    memory_id: str,
    *,
    text: str | None,
    metadata: Mapping[str, Any] | None,
    owner: Scope,
    expires_at: object = UNCHANGED,
    ttl: object = None,
) -> Flow[MemoryItem]:
    """Change a memory's text, metadata and/or expiry; the store writes it only over the version read.
    ``expires_at=None`` clears the expiry; ``UNCHANGED`` (the default) keeps it."""
    if text is None and metadata is None and expires_at is UNCHANGED and ttl is None:
        raise ValidationError("update needs text=, metadata=, expires_at= or ttl=")
    validate_id("memory id", memory_id)
    new_text = validate_text(text) if text is not None else None
    if new_text is not None and len(new_text) > engine.settings.max_message_chars:
        raise ValidationError(
            f"text of {len(new_text):,} characters is more than the limit of "
            f"{engine.settings.max_message_chars:,}; raise max_message_chars on the Memory"
        )
    new_meta = validate_metadata(metadata) if metadata is not None else None
    new_expiry: str | Unchanged | None = UNCHANGED
    if ttl is not None or not isinstance(expires_at, Unchanged):  # None clears the expiry
        given = None if isinstance(expires_at, Unchanged) else expires_at
        new_expiry = resolve_expiry(given, ttl, engine.store.clock())
    embedded: dict[str, Vector] = {}  # a repeated attempt does not embed the same text again
    item, vector = yield from retrying(
        lambda: _update_once(engine, memory_id, new_text, new_meta, new_expiry, owner, embedded)
    )
    if engine.graph is not None and vector is not None:  # graph memory hook: the new text's entities
        scope = Scope(item.user_id, item.agent_id, item.run_id)
        yield from engine.graph.after_add(scope, [], [MemoryChange(Event.UPDATE, item)], item.updated_at)
    return item


def _update_once(
    engine: Engine,
    memory_id: str,
    new_text: str | None,
    new_meta: dict[str, Any] | None,
    new_expiry: str | Unchanged | None,
    owner: Scope,
    embedded: dict[str, Vector],
) -> Flow[tuple[MemoryItem, Vector | None]]:
    """One attempt: read the memory, write the new version on condition that it is unchanged
    (the store decides in its write transaction, so the event's old text is the replaced one)."""
    target = yield from engine.get(memory_id, owner=owner)
    text = target.text if new_text is None else new_text
    meta = target.metadata if new_meta is None else new_meta
    vector = None
    if text != target.text:
        if text not in embedded:
            yield from engine.bind()
            embedded[text] = (yield call(engine.embedder, "embed", [text], kind="document"))[0]
        vector = embedded[text]
    now = engine.now()
    expiry = target.expires_at if isinstance(new_expiry, Unchanged) else new_expiry
    item = replace(target, text=text, hash=text_hash(text), metadata=meta, updated_at=now, expires_at=expiry)
    event = update_event(target, item)
    yield call(engine.store, "apply", [Change(item, vector, event, expected=target)], [], None, [])
    return item, vector


def delete_by_id(engine: Engine, memory_id: str, *, owner: Scope) -> Flow[MemoryItem]:
    """Delete a memory; the store deletes only the version read (see :func:`_delete_once`)."""
    return (yield from retrying(lambda: _delete_once(engine, memory_id, owner)))


def _delete_once(engine: Engine, memory_id: str, owner: Scope) -> Flow[MemoryItem]:
    """One attempt: the store deletes only the version read here (a memory deleted meanwhile is
    NotFoundError, one changed meanwhile is read again), so each delete has one DELETE event."""
    target = yield from engine.get(memory_id, owner=owner)
    write = deletion(target, engine.now(), None)
    yield call(engine.store, "apply", [write], [], None, [])
    return write.item
