"""The Weaviate store's write path: changes and new memories one after the other (Weaviate has no
multi-object transactions), each memory before its history and its directory entry, so a crash in
between leaves a memory whose history is incomplete, never a history without its memory; deleting
and purging a scope, and the expiry sweep."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter

from ..errors import ConflictError, NotFoundError, StoreError
from ..expiry import EXPIRED
from ..ports import Change, Vector
from ..scope import Scope
from ..types import Event, HistoryEvent, MemoryItem
from . import _weaviate_schema as schema
from ._expiry_weaviate import expired
from ._weaviate_base import PAGE, WeaviateBase
from ._weaviate_filters import ID_PROPERTY


class WeaviateWrites(WeaviateBase):
    """Writes of memories: :meth:`apply` (the port's one write), scope deletes, the expiry sweep."""

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
