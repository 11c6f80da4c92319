"""What every part of the Weaviate store uses: the collections' handles, tenants (created on first
use), the schema's properties (added as metadata needs them), scope filters, settings and the
directory of memory ids.

:class:`~memspan.stores.weaviate.WeaviateStore` is built on this, with its write path
(:mod:`._weaviate_writes`) and its searches and reads (:mod:`._weaviate_reads`).
"""

from __future__ import annotations

import threading
from typing import Any

import weaviate
from weaviate.classes.config import DataType, Property, Tokenization
from weaviate.classes.query import Filter
from weaviate.classes.tenants import Tenant
from weaviate.collections.classes.filters import _Filters

from ..errors import DimensionMismatchError, StoreError
from ..filters import Filter as MemspanFilter
from ..ports import MemoryStore, Vector
from ..scope import Scope
from . import _weaviate_schema as schema
from ._expiry_weaviate import not_expired
from ._weaviate_filters import FilterTranslator, property_types

#: objects fetched in one request when a scope is paged through
PAGE = 1000


class WeaviateBase(MemoryStore):
    """The client, the four collections' handles and the plumbing every read and write goes through."""

    client: weaviate.WeaviateClient
    name: str
    index: str
    _schema_lock: threading.Lock
    _write_lock: threading.RLock  # checks and writes of one store object, in one piece
    _memories: Any  # the memories, a tenant per user
    _history: Any  # their history events, same tenants
    _directory: Any  # memory id -> tenant
    _settings: Any  # the bound embedder and dimension
    _known: set[str]  # properties of the memories' schema
    _tenants: set[str]  # tenants known to exist

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

    def _check_vectors(self, vectors: Vector, rows: int) -> None:
        stored = self._setting("dimension")
        if vectors.ndim != 2 or vectors.shape[0] != rows:
            raise StoreError(f"expected {rows} vectors, got an array of shape {vectors.shape}")
        if stored is not None and vectors.shape[1] != int(stored):
            raise DimensionMismatchError(
                f"vectors have {vectors.shape[1]} dimensions; this store holds {stored}"
            )
