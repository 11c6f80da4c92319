"""Changing and deleting what a crew wrote: the work behind ``MemspanMemory.update`` and ``forget``.

Split from :mod:`.memory` to keep it small. The rule both follow: reads are broad (a crew recalls
its user's other memories too), but changes stay within the crew's own write ids, and a memory of
another scope is reported exactly like a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from memspan import MemoryItem

from .records import CATEGORIES_KEY, IMPORTANCE_KEY, checked_importance
from .scopes import path_filter, path_metadata


class Crew(Protocol):
    """What these functions need of a :class:`~.memory.MemspanMemory`."""

    backend: Any

    def _write_ids(self) -> dict[str, str]: ...

    def _path(self, scope: str | None) -> str: ...


def own(crew: Crew, memory_id: str) -> MemoryItem:
    """The memory, if this crew wrote it (else memspan's NotFoundError)."""
    item: MemoryItem = crew.backend.get(memory_id, **crew._write_ids())
    return item


def new_metadata(
    crew: Crew,
    item: MemoryItem,
    scope: str | None,
    categories: list[str] | None,
    metadata: dict[str, Any] | None,
    importance: float | None,
) -> dict[str, Any] | None:
    """The metadata an ``update`` writes (``None``: unchanged); a new ``scope`` moves the memory."""
    if all(x is None for x in (metadata, categories, importance, scope)):
        return None
    meta = dict(item.metadata) | dict(metadata or {})
    if categories is not None:
        meta[CATEGORIES_KEY] = list(categories)
    if importance is not None:
        meta[IMPORTANCE_KEY] = checked_importance(importance)
    if scope is not None:  # moved to another path
        meta = {k: v for k, v in meta.items() if not k.startswith("crewai_scope")}
        meta |= path_metadata(crew._path(scope))
    return meta


def forget(
    crew: Crew,
    scope: str | None,
    categories: list[str] | None,
    older_than: datetime | None,
    metadata_filter: dict[str, Any] | None,
    record_ids: list[str] | None,
) -> int:
    """Delete memories this crew wrote that match (all of its write scope when nothing narrows it)."""
    if record_ids is not None:
        for memory_id in record_ids:
            own(crew, memory_id)  # every id is checked before anything is deleted
        for memory_id in record_ids:
            crew.backend.delete(memory_id)
        return len(record_ids)
    clauses: list[dict[str, Any]] = []
    by_path = path_filter(crew._path(scope))
    if by_path is not None:
        clauses.append(by_path)
    if categories:
        clauses.append({"OR": [{CATEGORIES_KEY: {"contains": c}} for c in categories]})
    if older_than is not None:
        clauses.append({"created_at": {"lt": older_than}})
    if metadata_filter:
        clauses.append(dict(metadata_filter))
    if not clauses:
        return int(crew.backend.delete_all(**crew._write_ids()))
    doomed: list[str] = []
    while batch := crew.backend.get_all(
        **crew._write_ids(), filters={"AND": clauses}, limit=500, offset=len(doomed)
    ):
        doomed.extend(item.id for item in batch)
    for memory_id in doomed:
        crew.backend.delete(memory_id)
    return len(doomed)
