"""Reads of the Weaviate store: by id (through the directory), scoped listing, vector, BM25 and
hybrid search (a scope without a user fans out over every tenant), history, iteration and counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from weaviate.classes.query import Filter, HybridFusion, MetadataQuery
from weaviate.collections.classes.filters import _Filters

from ..filters import Filter as MemspanFilter
from ..ports import ScoredItems, Vector
from ..scope import Scope
from ..types import HistoryEvent, MemoryItem
from . import _weaviate_schema as schema
from ._weaviate_base import PAGE, WeaviateBase
from ._weaviate_filters import ID_PROPERTY


class WeaviateReads(WeaviateBase):
    """Searches and scoped reads; every read leaves deleted and expired memories out unless asked."""

    def get(self, memory_id: str) -> MemoryItem | None:
        tenant = self._locate(memory_id)
        if tenant is None:
            return None
        found = self._tenant(tenant).query.fetch_object_by_id(schema.object_uuid(memory_id))
        return None if found is None else schema.item_from_properties(found.properties)

    def _fetch(self, scope: Scope, where: _Filters, limit: int) -> list[MemoryItem]:
        out: list[MemoryItem] = []
        for tenant in self._scope_tenants(scope):
            page = self._tenant(tenant).query.fetch_objects(filters=where, limit=limit)
            out.extend(schema.item_from_properties(o.properties) for o in page.objects)
        return out

    def list_memories(
        self,
        scope: Scope,
        flt: MemspanFilter | None,
        limit: int,
        *,
        include_deleted: bool = False,
        offset: int = 0,
    ) -> list[MemoryItem]:
        items = self._fetch(scope, self._where(scope, flt, live=not include_deleted), 10_000)
        items.sort(key=lambda m: (m.created_at, m.id), reverse=True)
        return items[offset : offset + limit]

    def find_hash(self, scope: Scope, text_hash: str) -> MemoryItem | None:
        where = Filter.all_of([self._where(scope, None), Filter.by_property("hash").equal(text_hash)])
        found = self._fetch(scope, where, 1)
        return found[0] if found else None

    def search_vector(
        self, scope: Scope, vector: Vector, flt: MemspanFilter | None, limit: int
    ) -> ScoredItems:
        self._check_vectors(np.asarray(vector).reshape(1, -1), 1)
        return self._ranked(
            scope,
            lambda handle: handle.near_vector(
                near_vector=schema.as_list(vector),
                target_vector=schema.VECTOR_NAME,
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(distance=True),
            ),
            lambda metadata: 1.0 - float(metadata.distance or 0.0),
        )[:limit]

    def search_keyword(self, scope: Scope, query: str, flt: MemspanFilter | None, limit: int) -> ScoredItems:
        hits = self._ranked(
            scope,
            lambda handle: handle.bm25(
                query=query,
                query_properties=["text"],
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(score=True),
            ),
            lambda metadata: float(metadata.score or 0.0),
        )
        # Weaviate's BM25 is unbounded and its statistics are the tenant's (one per user_id), not
        # the scope's: the best match of the query counts 1, the rest in proportion (memspan's
        # coverage score of memspan.keyword is not available here; see docs/retrieval.md)
        top = hits[0][1] if hits else 0.0
        return [(item, score / top) for item, score in hits[:limit] if score > 0]

    def search_hybrid(
        self,
        scope: Scope,
        query: str,
        vector: Vector,
        flt: MemspanFilter | None,
        limit: int,
        *,
        alpha: float = 0.5,
    ) -> ScoredItems:
        """Weaviate's own BM25 + vector fusion (relative-score), scores in [0, 1]."""
        return self._ranked(
            scope,
            lambda handle: handle.hybrid(
                query=query,
                vector=schema.as_list(vector),
                target_vector=schema.VECTOR_NAME,
                alpha=alpha,
                fusion_type=HybridFusion.RELATIVE_SCORE,
                query_properties=["text"],
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(score=True),
            ),
            lambda metadata: float(metadata.score or 0.0),
        )[:limit]

    def _ranked(
        self, scope: Scope, search: Callable[[Any], Any], score: Callable[[Any], float]
    ) -> ScoredItems:
        """One search in every tenant of the scope (``search`` gets the tenant's query handle),
        the hits of all of them together, best first by ``score`` of each hit's metadata."""
        hits: ScoredItems = []
        for tenant in self._scope_tenants(scope):
            result = search(self._tenant(tenant).query)
            hits.extend(
                (schema.item_from_properties(o.properties), score(o.metadata)) for o in result.objects
            )
        hits.sort(key=lambda pair: -pair[1])
        return hits

    def history(self, memory_id: str) -> list[HistoryEvent]:
        tenant = self._locate(memory_id)
        if tenant is None:
            return []
        page = self._tenant(tenant, self._history).query.fetch_objects(
            filters=Filter.by_property(ID_PROPERTY).equal(memory_id), limit=PAGE
        )
        rows = sorted(page.objects, key=lambda o: int(o.properties["seq"]))
        return [schema.event_from_properties(o.properties) for o in rows]

    def iter_memories(self, *, include_deleted: bool = True, batch_size: int = 500) -> Iterator[MemoryItem]:
        for tenant in sorted(self._tenants):
            items = [schema.item_from_properties(o.properties) for o in self._tenant(tenant).iterator()]
            items.sort(key=lambda m: (m.created_at, m.id))
            yield from (i for i in items if include_deleted or i.deleted_at is None)

    def vectors(self, memory_ids: Sequence[str]) -> dict[str, Vector]:
        out: dict[str, Vector] = {}
        for memory_id in memory_ids:
            tenant = self._locate(memory_id)
            if tenant is None:
                continue
            found = self._tenant(tenant).query.fetch_object_by_id(
                schema.object_uuid(memory_id), include_vector=True
            )
            if found is not None and found.properties.get("live"):
                out[memory_id] = np.asarray(found.vector[schema.VECTOR_NAME], dtype=np.float32)
        return out

    def count(self, scope: Scope | None = None, *, include_deleted: bool = False) -> int:
        live = None if include_deleted else Filter.by_property("live").equal(True)
        tenants = sorted(self._tenants) if scope is None else self._scope_tenants(scope)
        where = live if scope is None else self._where(scope, None, live=not include_deleted)
        total = 0
        for tenant in tenants:
            result = self._tenant(tenant).aggregate.over_all(filters=where, total_count=True)
            total += int(result.total_count or 0)
        return total
