"""Weaviate store: one multi-tenant collection, a tenant per user (see :mod:`._weaviate_schema`).

Vectors are the embedder's (no Weaviate vectorizer); each tenant has a flat (exact) cosine index by
default, ``index="hnsw"`` for very large users. Keyword search is Weaviate's BM25 on ``text``;
:meth:`WeaviateStore.search_hybrid` exposes Weaviate's own fusion for direct use. Filters become
``weaviate.classes.query.Filter`` objects (:mod:`._weaviate_filters`). Writes go through
``insert_many`` and every error it reports is raised. Weaviate has no transactions: a memory is
written before its history and its directory entry, so a crash in between leaves a memory whose
history is incomplete, never a history without its memory. An add's changes and new memories are
written one after the other (the port's default ``apply``), not all or nothing.

Async: no native coroutines; :class:`~memspan.AsyncMemory` runs these methods in worker threads.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import weaviate
from weaviate.classes.config import DataType, Property, Tokenization
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, HybridFusion, MetadataQuery
from weaviate.classes.tenants import Tenant
from weaviate.collections.classes.filters import _Filters
from weaviate.exceptions import WeaviateBaseError

from ..errors import ConflictError, DimensionMismatchError, NotFoundError, StoreError, ValidationError
from ..expiry import EXPIRED
from ..filters import Filter as MemspanFilter
from ..ports import Change, MemoryStore, ScoredItems, Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from . import _weaviate_schema as schema
from ._expiry_weaviate import ensure_property, expired, not_expired
from ._weaviate_filters import ID_PROPERTY, FilterTranslator, property_types

PAGE = 1000
HISTORY_FIELDS = (ID_PROPERTY, "seq", "event_json")


class WeaviateStore(MemoryStore):
    """Memories in a Weaviate collection (a tenant per user), history and an id directory beside it."""

    def __init__(self, client: weaviate.WeaviateClient, *, collection: str = "Memspan", index: str = "flat"):
        if not collection[:1].isupper() or not collection.isalnum():
            raise ValidationError(
                f"collection {collection!r}: Weaviate needs a capitalised alphanumeric name"
            )
        self.client = client
        self.name = collection
        self.index = index
        self._schema_lock = threading.Lock()
        self._write_lock = threading.RLock()  # checks and writes of one store object, in one piece
        self._open()

    def _open(self) -> None:
        client, collection, index = self.client, self.name, self.index
        try:
            configs = [
                schema.memory_collection_config(collection, index=index),
                schema.side_collection_config(f"{collection}History", HISTORY_FIELDS, tenants=True),
                schema.side_collection_config(
                    f"{collection}Directory", (ID_PROPERTY, "tenant"), tenants=False
                ),
                schema.side_collection_config(f"{collection}Settings", ("key", "value"), tenants=False),
            ]
            for config in configs:
                if not client.collections.exists(config["name"]):
                    client.collections.create(**config)
            self._memories = client.collections.get(collection)
            self._history = client.collections.get(f"{collection}History")
            self._directory = client.collections.get(f"{collection}Directory")
            self._settings = client.collections.get(f"{collection}Settings")
            self._known = {p.name for p in self._memories.config.get().properties}
            ensure_property(self._memories, self._known)
            self._tenants = set(self._memories.tenants.get())
        except WeaviateBaseError as exc:
            raise StoreError(f"Weaviate collection {collection}: {exc}") from exc

    @classmethod
    def from_url(cls, url: str) -> WeaviateStore:
        """``weaviate://host:8080?grpc_port=50051&collection=Memspan&api_key=...``
        (``weaviate+https://`` for TLS); the API key may also come from ``$WEAVIATE_API_KEY``."""
        connect, options = schema.connection_options(url, os.environ.get("WEAVIATE_API_KEY"))
        api_key = connect.pop("api_key")
        try:
            client = weaviate.connect_to_custom(
                **connect, auth_credentials=weaviate.auth.AuthApiKey(api_key) if api_key else None
            )
        except (WeaviateBaseError, ValueError) as exc:  # pydantic rejects bad connection settings
            raise StoreError(
                f"cannot reach Weaviate at {connect['http_host']}:{connect['http_port']} ({exc}); "
                "is the server running? (see docs/backends.md)"
            ) from exc
        return cls(
            client, collection=options.get("collection", "Memspan"), index=options.get("index", "flat")
        )

    # -- plumbing --------------------------------------------------------------------------

    def _scope_tenants(self, scope: Scope) -> list[str]:
        """Tenants of a scope; the list is re-read when it may be stale (another process may
        have created a user since)."""
        if scope.user_id is None or schema.tenant_of(scope.user_id) not in self._tenants:
            self._tenants = set(self._memories.tenants.get())
        return schema.scope_tenants(scope, sorted(self._tenants))

    def _tenant(self, name: str, collection: Any = None) -> Any:
        """A collection handle for one tenant, creating the tenant (in both per-tenant
        collections) on first use; other writers may race us, so the list is re-read first."""
        target = collection if collection is not None else self._memories
        if name not in self._tenants:
            with self._schema_lock:
                self._tenants = set(self._memories.tenants.get())
                if name not in self._tenants:
                    for side in (self._memories, self._history):
                        side.tenants.create([Tenant(name=name)])
                    self._tenants.add(name)
        return target.with_tenant(name)

    def _ensure_properties(self, props: dict[str, Any]) -> None:
        """Add the typed metadata properties these objects need (Weaviate's schema is explicit)."""
        missing = set(props) - self._known - set(schema.MEMORY_PROPERTIES)
        if not missing:
            return
        with self._schema_lock:
            self._known = {p.name for p in self._memories.config.get().properties}
            for name, data_type in property_types(missing - self._known).items():
                text = data_type in (DataType.TEXT, DataType.TEXT_ARRAY)
                tokenization = Tokenization.FIELD if text else None
                self._memories.config.add_property(
                    Property(
                        name=name, data_type=data_type, tokenization=tokenization, skip_vectorization=True
                    )
                )
                self._known.add(name)

    @staticmethod
    def _check(result: Any, what: str) -> None:
        if result.has_errors:
            first = next(iter(result.errors.values()))
            raise StoreError(f"Weaviate rejected {len(result.errors)} {what}: {first.message}")

    def _where(self, scope: Scope, flt: MemspanFilter | None, *, live: bool = True) -> _Filters:
        parts = [Filter.by_property(key).equal(value) for key, value in scope.items()]
        if live:
            parts.append(Filter.by_property("live").equal(True))
            parts.append(not_expired(self.clock()))
        if flt is not None:
            parts.append(FilterTranslator(self._known).translate(flt.root))
        return Filter.all_of(parts) if len(parts) > 1 else parts[0]

    def _setting(self, key: str) -> str | None:
        found = self._settings.query.fetch_object_by_id(schema.object_uuid(key))
        return None if found is None else str(found.properties["value"])

    def _locate(self, memory_id: str) -> str | None:
        found = self._directory.query.fetch_object_by_id(schema.object_uuid(memory_id))
        return None if found is None else str(found.properties["tenant"])

    # -- embedding model -------------------------------------------------------------------

    def bind_embedder(self, model_id: str, dimension: int) -> None:
        if self._setting("dimension") is None:
            for key, value in (("dimension", str(dimension)), ("embedder", model_id)):
                self._settings.data.insert({"key": key, "value": value}, uuid=schema.object_uuid(key))
        stored_dim, stored_model = int(self._setting("dimension") or 0), self._setting("embedder")
        if stored_dim != dimension or stored_model != model_id:
            raise DimensionMismatchError(
                f"Weaviate collection {self.name} holds {stored_dim}-dimensional vectors from {stored_model!r}, "
                f"not {dimension}-dimensional ones from {model_id!r}; use the same embedder or migrate"
            )

    def embedder_info(self) -> tuple[str, int] | None:
        """The bound embedding model and dimension (``None`` before the first write)."""
        model, dimension = self._setting("embedder"), self._setting("dimension")
        return None if model is None or dimension is None else (model, int(dimension))

    def _check_vectors(self, vectors: Vector, rows: int) -> None:
        stored = self._setting("dimension")
        if vectors.ndim != 2 or vectors.shape[0] != rows:
            raise StoreError(f"expected {rows} vectors, got an array of shape {vectors.shape}")
        if stored is not None and vectors.shape[1] != int(stored):
            raise DimensionMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {stored}"
            )

    # -- writes ----------------------------------------------------------------------------

    def apply(
        self,
        changes: Sequence[Change],
        items: Sequence[MemoryItem],
        vectors: Vector | None,
        events: Sequence[HistoryEvent],
        *,
        unique: bool = False,
    ) -> None:
        """The changes one by one, then the new memories (Weaviate has no multi-object transactions).

        ``expected`` versions and ``unique`` hashes are checked just before the writes, under a
        lock that serialises the writes of this store object: exact for threads sharing it, while
        writers in other processes can still slip in between the check and the write
        (docs/reliability.md).
        """
        if items:
            if vectors is None:
                raise StoreError(f"{len(items)} new memories came without vectors")
            self._check_vectors(vectors, len(items))
        for change in changes:  # every vector is checked before the first write
            if change.vector is not None:
                self._check_vectors(change.vector.reshape(1, -1), 1)
        with self._write_lock:
            for change in changes:
                if change.expected is not None:
                    self._check_expected(change.expected)
            if unique:
                for item in items:
                    if self.find_hash(Scope(item.user_id, item.agent_id, item.run_id), item.hash) is not None:
                        raise ConflictError(f"a memory with the text of {item.id} was stored meanwhile")
            for change in changes:
                self._replace(change)
            if items and vectors is not None:
                self._insert(items, vectors, events)

    def _check_expected(self, expected: MemoryItem) -> None:
        stored = self.get(expected.id)
        if stored is None or stored.deleted_at is not None:
            raise NotFoundError.for_id(expected.id)
        if (stored.text, stored.metadata, stored.updated_at) != (
            expected.text,
            expected.metadata,
            expected.updated_at,
        ):
            raise ConflictError(f"memory {expected.id} changed while it was being written; try again")

    def _insert(self, items: Sequence[MemoryItem], vectors: Vector, events: Sequence[HistoryEvent]) -> None:
        by_tenant: dict[str, list[DataObject[Any, Any]]] = {}
        for item, vector in zip(items, vectors, strict=True):
            props = schema.memory_properties(item)
            self._ensure_properties(props)
            by_tenant.setdefault(schema.tenant_of(item.user_id), []).append(
                DataObject(
                    properties=props,
                    uuid=schema.object_uuid(item.id),
                    vector={schema.VECTOR_NAME: schema.as_list(vector)},
                )
            )
        for tenant, objects in by_tenant.items():
            self._check(self._tenant(tenant).data.insert_many(objects), "memories")
        self._check(
            self._directory.data.insert_many(
                [
                    DataObject(
                        properties={ID_PROPERTY: i.id, "tenant": schema.tenant_of(i.user_id)},
                        uuid=schema.object_uuid(i.id),
                    )
                    for i in items
                ]
            ),
            "directory entries",
        )
        self._write_events(events, {i.id: schema.tenant_of(i.user_id) for i in items})

    def _write_events(self, events: Sequence[HistoryEvent], tenants: dict[str, str]) -> None:
        by_tenant: dict[str, list[DataObject[Any, Any]]] = {}
        base = time.time_ns()
        for offset, event in enumerate(events):
            tenant = tenants.get(event.memory_id) or schema.tenant_of(event.user_id)
            by_tenant.setdefault(tenant, []).append(
                DataObject(properties=schema.event_properties(event, base + offset))
            )
        for tenant, objects in by_tenant.items():
            self._check(self._tenant(tenant, self._history).data.insert_many(objects), "history events")

    def _replace(self, change: Change) -> None:
        item, vector, event = change.item, change.vector, change.event
        tenant = schema.tenant_of(item.user_id)
        props = schema.memory_properties(item)
        self._ensure_properties(props)
        handle = self._tenant(tenant)
        if vector is None:
            stored = handle.query.fetch_object_by_id(schema.object_uuid(item.id), include_vector=True)
            if stored is None:
                raise StoreError(f"memory {item.id} vanished during the update")
            vector_payload = stored.vector
        else:
            vector_payload = {schema.VECTOR_NAME: schema.as_list(vector)}
        handle.data.replace(uuid=schema.object_uuid(item.id), properties=props, vector=vector_payload)
        self._write_events([event], {item.id: tenant})

    def delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        with self._write_lock:  # no update of this store object lands between its pages
            return self._delete_scope(scope, purge=purge, at=at)

    def _delete_scope(self, scope: Scope, *, purge: bool, at: str) -> int:
        count = 0
        for tenant in self._scope_tenants(scope):
            handle = self._tenant(tenant)
            while True:
                page = handle.query.fetch_objects(
                    filters=self._where(scope, None, live=not purge), limit=PAGE
                )
                if not page.objects:
                    break
                items = [schema.item_from_properties(o.properties) for o in page.objects]
                count += sum(1 for i in items if i.deleted_at is None)
                if purge:
                    ids = [i.id for i in items]
                    handle.data.delete_many(where=Filter.by_property(ID_PROPERTY).contains_any(ids))
                    self._tenant(tenant, self._history).data.delete_many(
                        where=Filter.by_property(ID_PROPERTY).contains_any(ids)
                    )
                    self._directory.data.delete_many(where=Filter.by_property(ID_PROPERTY).contains_any(ids))
                    continue
                for item in items:
                    self.update(
                        replace(item, deleted_at=at, updated_at=at),
                        None,
                        HistoryEvent(
                            item.id,
                            Event.DELETE,
                            item.text,
                            None,
                            at,
                            item.user_id,
                            item.agent_id,
                            item.run_id,
                            item.metadata,
                            None,
                            "delete_all",
                        ),
                    )
        return count

    def sweep_expired(self, at: str, scope: Scope | None = None) -> int:
        """Soft-delete expired memories one by one with their DELETE events (no transactions here:
        a memory refreshed between the fetch and its update is still deleted, which ``add`` again fixes)."""
        scope = scope or Scope()
        count = 0
        for tenant in self._scope_tenants(scope):
            handle = self._tenant(tenant)
            while True:
                due = [Filter.by_property(k).equal(v) for k, v in scope.items()]
                due += [Filter.by_property("live").equal(True), expired(at)]
                page = handle.query.fetch_objects(filters=Filter.all_of(due), limit=PAGE)
                if not page.objects:
                    break
                for item in (schema.item_from_properties(o.properties) for o in page.objects):
                    self.update(
                        replace(item, deleted_at=at, updated_at=at),
                        None,
                        HistoryEvent(
                            item.id, Event.DELETE, item.text, None, at, item.user_id, item.agent_id,
                            item.run_id, item.metadata, None, EXPIRED,
                        ),
                    )  # fmt: skip
                    count += 1
        return count

    def reset(self) -> None:
        for name in (self.name, f"{self.name}History", f"{self.name}Directory", f"{self.name}Settings"):
            self.client.collections.delete(name)
        self._open()

    # -- reads -----------------------------------------------------------------------------

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
        hits: ScoredItems = []
        for tenant in self._scope_tenants(scope):
            result = self._tenant(tenant).query.near_vector(
                near_vector=schema.as_list(vector),
                target_vector=schema.VECTOR_NAME,
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(distance=True),
            )
            hits.extend(
                (schema.item_from_properties(o.properties), 1.0 - float(o.metadata.distance or 0.0))
                for o in result.objects
            )
        hits.sort(key=lambda pair: -pair[1])
        return hits[:limit]

    def search_keyword(self, scope: Scope, query: str, flt: MemspanFilter | None, limit: int) -> ScoredItems:
        hits: ScoredItems = []
        for tenant in self._scope_tenants(scope):
            result = self._tenant(tenant).query.bm25(
                query=query,
                query_properties=["text"],
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(score=True),
            )
            hits.extend(
                (schema.item_from_properties(o.properties), float(o.metadata.score or 0.0))
                for o in result.objects
            )
        hits.sort(key=lambda pair: -pair[1])
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
        hits: ScoredItems = []
        for tenant in self._scope_tenants(scope):
            result = self._tenant(tenant).query.hybrid(
                query=query,
                vector=schema.as_list(vector),
                target_vector=schema.VECTOR_NAME,
                alpha=alpha,
                fusion_type=HybridFusion.RELATIVE_SCORE,
                query_properties=["text"],
                filters=self._where(scope, flt),
                limit=limit,
                return_metadata=MetadataQuery(score=True),
            )
            hits.extend(
                (schema.item_from_properties(o.properties), float(o.metadata.score or 0.0))
                for o in result.objects
            )
        hits.sort(key=lambda pair: -pair[1])
        return hits[:limit]

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

    def close(self) -> None:
        self.client.close()
