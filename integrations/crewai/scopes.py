"""crewai's scope paths (``/project/x``) on memspan: a path kept in metadata, inside memspan's scopes.

crewai files every memory under a path and lets a crew read, count, list and reset by path prefix
(``remember(scope="/project/x")``, ``recall(scope="/project")``, ``scope()``, ``list_scopes()``,
``tree()``). memspan scopes are ids, and one user's memories must never reach another; so a path is
a label *within* the ids a crew reads and writes under: each memory keeps its path and every prefix
of it in metadata, and a path query is a metadata filter added to the id scope. Memories written by
other frameworks carry no path and sit at the root (``/``).

:class:`ScopeTreeStorage` stands where crewai keeps its storage backend, so crewai's own
``list_scopes`` / ``info`` / ``tree`` / ``list_categories`` / ``reset`` / ``reset_all`` (and its
``MemoryScope`` / ``MemorySlice`` views) work unchanged on top of memspan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NoReturn

from crewai.memory.types import MemoryRecord, ScopeInfo

from memspan import MemoryItem, ValidationError
from memspan.facade import MemoryFacade

#: metadata keys: the memory's crewai path, and that path with all its ancestors (for prefix filters)
SCOPE_KEY = "crewai_scope"
PREFIXES_KEY = "crewai_scope_prefixes"
_PAGE = 500


def normalize(path: str | None) -> str:
    """crewai's path form: leading slash, no trailing or doubled slashes, ``/`` for the root."""
    if not path or not path.strip("/"):
        return "/"
    return "/" + re.sub(r"/+", "/", path.strip()).strip("/")


def join(root: str | None, inner: str | None) -> str:
    """``inner`` below ``root`` (crewai's ``root_scope``)."""
    if not root or normalize(root) == "/":
        return normalize(inner)
    return normalize(normalize(root) + "/" + normalize(inner))


def path_metadata(path: str | None) -> dict[str, Any]:
    """Metadata filing a memory under ``path`` (nothing for the root: root memories carry no path)."""
    path = normalize(path)
    if path == "/":
        return {}
    parts = path.strip("/").split("/")
    return {SCOPE_KEY: path, PREFIXES_KEY: ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]}


def path_filter(prefix: str | None) -> dict[str, Any] | None:
    """The filter for memories at ``prefix`` or below (``None``: the root holds everything)."""
    prefix = normalize(prefix)
    return None if prefix == "/" else {PREFIXES_KEY: {"contains": prefix}}


def path_of(item: MemoryItem) -> str:
    value = item.metadata.get(SCOPE_KEY)
    return normalize(value) if isinstance(value, str) else "/"


class ScopeTreeStorage:
    """crewai's storage-backend methods for its scope tree, answered from memspan within the crew's ids.

    Reads look within the crew's recall ids, deletes within its write ids: resetting a path never
    removes what other agents of the same user wrote. Record-level storage (vectors) stays memspan's
    own, so the embedding methods are refused.
    """

    def __init__(
        self,
        backend: Callable[[], MemoryFacade],
        read_ids: Callable[[], dict[str, str]],
        write_ids: Callable[[], dict[str, str]],
        to_record: Callable[[MemoryItem], MemoryRecord],
    ):
        self._backend, self._read_ids, self._write_ids, self._to_record = (
            backend,
            read_ids,
            write_ids,
            to_record,
        )

    def items(self, prefix: str | None, ids: dict[str, str] | None = None) -> Iterator[MemoryItem]:
        """Every memory at ``prefix`` or below, newest first."""
        filters = path_filter(prefix)
        offset = 0
        while True:
            page = self._backend().get_all(
                **(ids or self._read_ids()), filters=filters, limit=_PAGE, offset=offset
            )
            yield from page
            if len(page) < _PAGE:
                return
            offset += len(page)

    def count(self, scope_prefix: str | None = None) -> int:
        return sum(1 for _ in self.items(scope_prefix))

    def list_records(
        self, scope_prefix: str | None = None, limit: int = 200, offset: int = 0
    ) -> list[MemoryRecord]:
        page = self._backend().get_all(
            **self._read_ids(), filters=path_filter(scope_prefix), limit=limit, offset=offset
        )
        return [self._to_record(item) for item in page]

    def get_record(self, record_id: str) -> MemoryRecord | None:
        ids = self._read_ids()
        found = self._backend().get(
            record_id, user_id=ids.get("user_id"), agent_id=ids.get("agent_id"), run_id=ids.get("run_id")
        )
        return self._to_record(found)

    def list_scopes(self, parent: str = "/") -> list[str]:
        """The immediate child paths under ``parent`` that hold memories."""
        parent = normalize(parent)
        depth = 0 if parent == "/" else parent.count("/")
        children: set[str] = set()
        for item in self.items(parent):
            path = path_of(item)
            parts = path.strip("/").split("/") if path != "/" else []
            if len(parts) > depth:
                children.add("/" + "/".join(parts[: depth + 1]))
        return sorted(children)

    def get_scope_info(self, scope: str) -> ScopeInfo:
        items = list(self.items(scope))
        categories: set[str] = set()
        for item in items:
            found = item.metadata.get("categories")
            if isinstance(found, list):
                categories.update(str(c) for c in found)
        created = [_when(item) for item in items]
        return ScopeInfo(
            path=normalize(scope),
            record_count=len(items),
            categories=sorted(categories),
            oldest_record=min(created) if created else None,
            newest_record=max(created) if created else None,
            child_scopes=self.list_scopes(scope),
        )

    def list_categories(self, scope_prefix: str | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items(scope_prefix):
            found = item.metadata.get("categories")
            for category in found if isinstance(found, list) else []:
                counts[str(category)] = counts.get(str(category), 0) + 1
        return counts

    def reset(self, scope_prefix: str | None = None) -> None:
        """Delete the crew's own memories at ``scope_prefix`` or below (all of them for ``None``)."""
        backend, ids = self._backend(), self._write_ids()
        if path_filter(scope_prefix) is None:
            backend.delete_all(**ids)
            return
        for memory_id in [item.id for item in self.items(scope_prefix, ids)]:
            backend.delete(memory_id)

    def __getattr__(self, name: str) -> NoReturn:
        raise ValidationError(
            f"crewai's vector storage ({name}) is not used with memspan: memspan embeds and searches "
            "itself. Use recall(), list_records(), forget() or reset(), or the memspan memory in .backend."
        )


def _when(item: MemoryItem) -> datetime:
    return datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).replace(tzinfo=None)
