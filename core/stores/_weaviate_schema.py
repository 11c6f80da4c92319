"""The Weaviate store's collections, tenant naming and object layout (pure functions, unit-tested).

Tenancy: Weaviate's native multi-tenancy gives each user a tenant (its own shard and vector index,
so a user's search is exact and never sees another user's objects). Memories without a user
(agent-only or run-only scopes) live in the tenant ``no-user``. A scope naming a user reads one
tenant; a scope naming only an agent and/or run reads every tenant (a fan-out), because an agent's
memories of several users belong to those users. Inside a tenant the scope ids are still applied
as filters.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from weaviate.classes.config import Configure, DataType, Property, Tokenization, VectorDistances

from ..ports import Vector
from ..scope import Scope
from ..stores.sqlite import filter_record
from ..types import Event, HistoryEvent, MemoryItem, MemoryType
from ._expiry_weaviate import expiry_property, stored_instant
from ._weaviate_filters import ID_PROPERTY, flatten

NO_USER_TENANT = "no-user"
VECTOR_NAME = "default"
_TENANT_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,62}$")
_NAMESPACE = uuid.UUID("6f1c2a52-5b1e-4c55-9c11-6d656d737061")

#: Weaviate reserves ``id``, ``vector`` and ``_additional``; memspan's own fields use these names
MEMORY_PROPERTIES = (
    ID_PROPERTY, "text", "user_id", "agent_id", "run_id", "memory_type", "hash", "created_at",
    "updated_at", "deleted_at", "metadata_json", "source_ids_json", "live", "expires_at",
)  # fmt: skip


def tenant_of(user_id: str | None) -> str:
    """A valid tenant name per user id: ``u-<id>`` when the id is tenant-safe, else a hash."""
    if user_id is None:
        return NO_USER_TENANT
    if _TENANT_SAFE.match(user_id):
        return f"u-{user_id}"
    return "h-" + hashlib.sha256(user_id.encode()).hexdigest()[:60]


def object_uuid(memory_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, memory_id))


def _field(name: str, data_type: DataType = DataType.TEXT, *, filterable: bool = True) -> Property:
    return Property(
        name=name,
        data_type=data_type,
        tokenization=Tokenization.FIELD if data_type in (DataType.TEXT, DataType.TEXT_ARRAY) else None,
        index_filterable=filterable,
        index_searchable=data_type in (DataType.TEXT, DataType.TEXT_ARRAY) and filterable,
        skip_vectorization=True,
    )


def memory_collection_config(name: str, *, index: str = "flat") -> dict[str, Any]:
    """Arguments for ``client.collections.create``: exact (flat) search per tenant by default."""
    vector_index = (
        Configure.VectorIndex.hnsw(distance_metric=VectorDistances.COSINE)
        if index == "hnsw"
        else Configure.VectorIndex.flat(distance_metric=VectorDistances.COSINE)
    )
    properties = [
        _field(ID_PROPERTY),
        Property(
            name="text", data_type=DataType.TEXT, tokenization=Tokenization.WORD, skip_vectorization=True
        ),
        *(_field(n) for n in ("user_id", "agent_id", "run_id", "memory_type", "hash", "created_at")),
        *(_field(n) for n in ("updated_at", "deleted_at")),
        _field("metadata_json", filterable=False),
        _field("source_ids_json", filterable=False),
        _field("live", DataType.BOOL),
        expiry_property(),
    ]
    return {
        "name": name,
        "properties": properties,
        "multi_tenancy_config": Configure.multi_tenancy(enabled=True, auto_tenant_activation=True),
        "vector_config": Configure.Vectors.self_provided(name=VECTOR_NAME, vector_index_config=vector_index),
        "inverted_index_config": Configure.inverted_index(index_null_state=True),
    }


def side_collection_config(name: str, fields: tuple[str, ...], *, tenants: bool) -> dict[str, Any]:
    """History (per tenant, so a purge can erase it) and the id directory / settings (shared)."""
    config: dict[str, Any] = {
        "name": name,
        "properties": [_field(f, DataType.INT if f == "seq" else DataType.TEXT) for f in fields],
        "vector_config": Configure.Vectors.self_provided(),
    }
    if tenants:
        config["multi_tenancy_config"] = Configure.multi_tenancy(enabled=True, auto_tenant_activation=True)
    return config


def memory_properties(item: MemoryItem) -> dict[str, Any]:
    props: dict[str, Any] = {
        ID_PROPERTY: item.id,
        "text": item.text,
        "user_id": item.user_id,
        "agent_id": item.agent_id,
        "run_id": item.run_id,
        "memory_type": item.memory_type.value,
        "hash": item.hash,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "deleted_at": item.deleted_at,
        "metadata_json": json.dumps(item.metadata),
        "source_ids_json": json.dumps(list(item.source_ids)),
        "live": item.deleted_at is None,
        "expires_at": item.expires_at,
    }
    props.update(flatten(filter_record(item)))
    return {k: v for k, v in props.items() if v is not None}


def item_from_properties(props: dict[str, Any]) -> MemoryItem:
    return MemoryItem(
        id=props[ID_PROPERTY],
        text=props["text"],
        user_id=props.get("user_id"),
        agent_id=props.get("agent_id"),
        run_id=props.get("run_id"),
        memory_type=MemoryType(props["memory_type"]),
        metadata=json.loads(props["metadata_json"]),
        created_at=props["created_at"],
        updated_at=props["updated_at"],
        hash=props["hash"],
        source_ids=tuple(json.loads(props["source_ids_json"])),
        deleted_at=props.get("deleted_at"),
        expires_at=stored_instant(props.get("expires_at")),
    )


def event_properties(event: HistoryEvent, seq: int) -> dict[str, Any]:
    return {ID_PROPERTY: event.memory_id, "seq": seq, "event_json": json.dumps(event.to_dict())}


def event_from_properties(props: dict[str, Any]) -> HistoryEvent:
    data = json.loads(props["event_json"])
    return HistoryEvent(
        memory_id=data["memory_id"],
        event=Event(data["event"]),
        old_text=data["old_memory"],
        new_text=data["new_memory"],
        created_at=data["created_at"],
        user_id=data["user_id"],
        agent_id=data["agent_id"],
        run_id=data["run_id"],
        old_metadata=data["old_metadata"],
        new_metadata=data["new_metadata"],
        reason=data["reason"],
    )


def scope_tenants(scope: Scope, existing: list[str]) -> list[str]:
    """The tenants a scope can touch: one when it names a user, else all of them."""
    if scope.user_id is not None:
        tenant = tenant_of(scope.user_id)
        return [tenant] if tenant in existing else []
    return sorted(existing)


def as_list(vector: Vector) -> list[float]:
    return [float(x) for x in vector]


def connection_options(url: str, env_api_key: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """``weaviate_client.connect_to_custom`` arguments (plus ``api_key``) and memspan's options
    from a ``weaviate://`` or ``weaviate+https://`` URL."""
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    secure = parts.scheme.lower() in ("weaviate+https", "weaviate+tls")
    host = parts.hostname or "localhost"
    connect: dict[str, Any] = {
        "http_host": host,
        "http_port": parts.port or (443 if secure else 8080),
        "http_secure": secure,
        "grpc_host": options.get("grpc_host", host),
        "grpc_port": int(options.get("grpc_port", 443 if secure else 50051)),
        "grpc_secure": secure,
        "api_key": options.get("api_key") or env_api_key,
    }
    return connect, options
