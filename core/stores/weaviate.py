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

This module opens the collections and binds the embedder; the plumbing every part shares is
:mod:`._weaviate_base`, the write path :mod:`._weaviate_writes`, searches and reads
:mod:`._weaviate_reads`.
"""

from __future__ import annotations

import os
import threading

import weaviate
from weaviate.exceptions import WeaviateBaseError

from ..errors import DimensionMismatchError, StoreError, ValidationError
from . import _weaviate_schema as schema
from ._expiry_weaviate import ensure_property
from ._weaviate_filters import ID_PROPERTY
from ._weaviate_reads import WeaviateReads
from ._weaviate_writes import WeaviateWrites

HISTORY_FIELDS = (ID_PROPERTY, "seq", "event_json")


class WeaviateStore(WeaviateWrites, WeaviateReads):
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

    def reset(self) -> None:
        for name in (self.name, f"{self.name}History", f"{self.name}Directory", f"{self.name}Settings"):
            self.client.collections.delete(name)
        self._open()

    def close(self) -> None:
        self.client.close()
