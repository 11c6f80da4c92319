"""``Memory.graph`` and ``AsyncMemory.graph``: the graph's reads and deletes, scoped like memories.

Both facades build the same flows from :class:`~memspan.graph.index.EntityGraph`; only the driver
differs, as in :mod:`memspan.memory`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..effects import run_async, run_sync
from ..scope import Scope
from .index import EntityGraph
from .model import GraphSnapshot, Relation


class _Facade:
    def __init__(self, graph: EntityGraph, now: Callable[[], str]):
        self._graph = graph
        self._now = now  # the Memory's clock, so tests with a fixed clock get fixed timestamps

    @property
    def engine(self) -> EntityGraph:
        return self._graph


class GraphAPI(_Facade):
    """Blocking access to a Memory's graph."""

    def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 1000,
        include_deleted: bool = False,
    ) -> GraphSnapshot:
        """Every entity and relation of the scope, ended relations included."""
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.get_all")
        return run_sync(self._graph.snapshot(scope, limit=limit, include_deleted=include_deleted))

    def relations(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        as_of: object | None = None,
        include_ended: bool = False,
    ) -> list[Relation]:
        """Relations of the scope (touching ``entity``), current ones by default, or those true at ``as_of``."""
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.relations")
        return run_sync(
            self._graph.relations(
                scope, entity=entity, as_of=as_of, include_ended=include_ended, include_deleted=False
            )
        )

    def history(
        self,
        entity: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[Relation]:
        """Every relation an entity ever had, ended and deleted ones too, oldest first."""
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.history")
        return run_sync(
            self._graph.relations(scope, entity=entity, as_of=None, include_ended=True, include_deleted=True)
        )

    def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        """Hide the scope's graph (kept for history), or erase it with ``purge``; ``Memory.delete_all``
        calls this too."""
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.delete_all")
        return run_sync(self._graph.delete_all(scope, purge=purge, at=self._now()))


class AsyncGraphAPI(_Facade):
    """Awaitable access to an AsyncMemory's graph (same methods as :class:`GraphAPI`)."""

    async def get_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 1000,
        include_deleted: bool = False,
    ) -> GraphSnapshot:
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.get_all")
        return await run_async(self._graph.snapshot(scope, limit=limit, include_deleted=include_deleted))

    async def relations(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        entity: str | None = None,
        as_of: object | None = None,
        include_ended: bool = False,
    ) -> list[Relation]:
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.relations")
        return await run_async(
            self._graph.relations(
                scope, entity=entity, as_of=as_of, include_ended=include_ended, include_deleted=False
            )
        )

    async def history(
        self,
        entity: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
    ) -> list[Relation]:
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.history")
        return await run_async(
            self._graph.relations(scope, entity=entity, as_of=None, include_ended=True, include_deleted=True)
        )

    async def delete_all(
        self,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        purge: bool = False,
    ) -> int:
        scope = Scope.of(user_id, agent_id, run_id, operation="graph.delete_all")
        return await run_async(self._graph.delete_all(scope, purge=purge, at=self._now()))
