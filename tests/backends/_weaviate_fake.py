"""An in-process stand-in for the part of the Weaviate client that :class:`WeaviateStore` calls.

It keeps objects in dictionaries and applies Weaviate's documented semantics where the store relies
on them: multi-tenant collections (a tenant must exist before it is used), object ids, properties
added to a schema, filters (:func:`evaluate`: Equal/NotEqual/ordering on a property that may be
absent, Like with ``*``, ContainsAny on arrays, IsNull, And/Or/Not), cosine distance for
``near_vector``, BM25 (k1 1.2, b 0.75, statistics of the tenant's objects that pass the filter) and
relative-score fusion for ``hybrid``. It does not model the network, consistency between nodes or
Weaviate's tokenizers beyond lower-cased words; a live server (``WEAVIATE_URL``) checks those.
"""

from __future__ import annotations

import copy
import fnmatch
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from weaviate.collections.classes.filters import _Filters, _FilterValue, _Operator

from memspan.filters import format_timestamp

_WORD = re.compile(r"[^\W_]+")  # Weaviate's word tokenization: runs of letters and digits


def evaluate(flt: _Filters, props: dict[str, Any]) -> bool:
    """Weaviate's filter semantics over one object's properties (absent property: no match)."""
    op = flt.operator
    if op is _Operator.AND:
        return all(evaluate(f, props) for f in flt.filters)  # type: ignore[attr-defined]
    if op is _Operator.OR:
        return any(evaluate(f, props) for f in flt.filters)  # type: ignore[attr-defined]
    if op is _Operator.NOT:
        return not evaluate(flt.filters[0], props)  # type: ignore[attr-defined]
    assert isinstance(flt, _FilterValue)
    name = flt.target if isinstance(flt.target, str) else flt.target.target
    value = props.get(name)
    if op is _Operator.IS_NULL:
        return (value is None) is bool(flt.value)
    if op is _Operator.NOT_EQUAL:
        return value is None or value != flt.value
    if value is None:
        return False
    operand = format_timestamp(flt.value) if isinstance(flt.value, datetime) else flt.value  # date props
    if op is _Operator.EQUAL:
        return bool(value == operand)
    if op is _Operator.LIKE:
        return fnmatch.fnmatchcase(value, str(operand))
    if op is _Operator.CONTAINS_ANY:
        return any(v in value for v in operand)  # type: ignore[union-attr]
    compare: dict[_Operator, Callable[[Any, Any], bool]] = {
        _Operator.GREATER_THAN: lambda a, b: a > b,
        _Operator.GREATER_THAN_EQUAL: lambda a, b: a >= b,
        _Operator.LESS_THAN: lambda a, b: a < b,
        _Operator.LESS_THAN_EQUAL: lambda a, b: a <= b,
    }
    return bool(compare[op](value, operand))


class _Object(SimpleNamespace):
    uuid: str
    properties: dict[str, Any]
    vector: dict[str, list[float]]


def _copy(obj: _Object, *, with_vector: bool = True, **metadata: float) -> _Object:
    return _Object(
        uuid=obj.uuid,
        properties=copy.deepcopy(obj.properties),
        vector=copy.deepcopy(obj.vector) if with_vector else {},
        metadata=SimpleNamespace(**{"distance": None, "score": None, **metadata}),
    )


def _cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _bm25(query: str, objects: list[_Object], field: str) -> list[tuple[_Object, float]]:
    docs = [_WORD.findall(str(o.properties.get(field, "")).lower()) for o in objects]
    if not docs:
        return []
    average = sum(len(d) for d in docs) / len(docs) or 1.0
    terms = set(_WORD.findall(query.lower()))
    scored = []
    for obj, words in zip(objects, docs, strict=True):
        score = 0.0
        for term in terms:
            frequency = words.count(term)
            if not frequency:
                continue
            having = sum(1 for d in docs if term in d)
            idf = math.log(1 + (len(docs) - having + 0.5) / (having + 0.5))
            score += idf * frequency * 2.2 / (frequency + 1.2 * (0.25 + 0.75 * len(words) / average))
        if score > 0:
            scored.append((obj, score))
    return scored


def _relative(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    return {k: (v - low) / (high - low) if high > low else 1.0 for k, v in scores.items()}


class _Result(SimpleNamespace):
    pass


class _Data:
    def __init__(self, shard: dict[str, _Object], lock: threading.RLock) -> None:
        self._shard, self._lock = shard, lock

    def insert(self, properties: dict[str, Any], uuid: str | None = None) -> str:
        with self._lock:
            key = str(uuid or _new_uuid())
            if key in self._shard:
                raise ValueError(f"object {key} exists")
            self._shard[key] = _Object(uuid=key, properties=copy.deepcopy(properties), vector={})
            return key

    def insert_many(self, objects: list[Any]) -> _Result:
        with self._lock:
            for o in objects:
                key = str(o.uuid or _new_uuid())
                self._shard[key] = _Object(
                    uuid=key, properties=copy.deepcopy(o.properties), vector=copy.deepcopy(o.vector or {})
                )
        return _Result(has_errors=False, errors={})

    def replace(self, uuid: str, properties: dict[str, Any], vector: dict[str, list[float]]) -> None:
        with self._lock:
            if uuid not in self._shard:
                raise ValueError(f"object {uuid} not found")
            self._shard[uuid] = _Object(
                uuid=uuid, properties=copy.deepcopy(properties), vector=copy.deepcopy(vector)
            )

    def delete_many(self, where: _Filters) -> _Result:
        with self._lock:
            doomed = [k for k, o in self._shard.items() if evaluate(where, o.properties)]
            for key in doomed:
                del self._shard[key]
        return _Result(successful=len(doomed))


class _Query:
    def __init__(self, shard: dict[str, _Object], lock: threading.RLock) -> None:
        self._shard, self._lock = shard, lock

    def _matching(self, filters: _Filters | None) -> list[_Object]:
        with self._lock:
            objects = list(self._shard.values())
        return [o for o in objects if filters is None or evaluate(filters, o.properties)]

    def fetch_object_by_id(self, uuid: str, include_vector: bool = False) -> _Object | None:
        with self._lock:
            found = self._shard.get(str(uuid))
            return None if found is None else _copy(found, with_vector=include_vector)

    def fetch_objects(self, filters: _Filters | None = None, limit: int = 25) -> _Result:
        return _Result(objects=[_copy(o) for o in self._matching(filters)[:limit]])

    def near_vector(
        self, near_vector: list[float], target_vector: str, filters: _Filters, limit: int, **_: Any
    ) -> _Result:
        ranked = sorted(
            ((o, 1.0 - _cosine(near_vector, o.vector[target_vector])) for o in self._matching(filters)),
            key=lambda pair: pair[1],
        )
        return _Result(objects=[_copy(o, distance=d) for o, d in ranked[:limit]])

    def bm25(self, query: str, query_properties: list[str], filters: _Filters, limit: int, **_: Any) -> _Result:
        ranked = sorted(_bm25(query, self._matching(filters), query_properties[0]), key=lambda p: -p[1])
        return _Result(objects=[_copy(o, score=s) for o, s in ranked[:limit]])

    def hybrid(
        self,
        query: str,
        vector: list[float],
        target_vector: str,
        alpha: float,
        query_properties: list[str],
        filters: _Filters,
        limit: int,
        **_: Any,
    ) -> _Result:
        objects = self._matching(filters)
        by_id = {o.uuid: o for o in objects}
        near = _relative({o.uuid: _cosine(vector, o.vector[target_vector]) for o in objects})
        keyword = _relative({o.uuid: s for o, s in _bm25(query, objects, query_properties[0])})
        fused = {k: alpha * near.get(k, 0.0) + (1 - alpha) * keyword.get(k, 0.0) for k in by_id}
        ranked = sorted(fused.items(), key=lambda pair: -pair[1])[:limit]
        return _Result(objects=[_copy(by_id[k], score=s) for k, s in ranked])


class _Aggregate:
    def __init__(self, query: _Query) -> None:
        self._query = query

    def over_all(self, filters: _Filters | None = None, total_count: bool = True) -> _Result:
        return _Result(total_count=len(self._query._matching(filters)))


class _Handle:
    """A collection, or one tenant of it: the object operations."""

    def __init__(self, shard: dict[str, _Object], lock: threading.RLock) -> None:
        self.data = _Data(shard, lock)
        self.query = _Query(shard, lock)
        self.aggregate = _Aggregate(self.query)
        self._shard, self._lock = shard, lock

    def iterator(self) -> Iterator[_Object]:
        with self._lock:
            objects = list(self._shard.values())
        yield from (_copy(o) for o in objects)


class _Tenants:
    def __init__(self, collection: _Collection) -> None:
        self._collection = collection

    def get(self) -> dict[str, Any]:
        with self._collection.lock:
            return {name: SimpleNamespace(name=name) for name in self._collection.shards}

    def create(self, tenants: list[Any]) -> None:
        with self._collection.lock:
            for tenant in tenants:
                if tenant.name in self._collection.shards:
                    raise ValueError(f"tenant {tenant.name} exists")
                self._collection.shards[tenant.name] = {}


class _Config:
    def __init__(self, collection: _Collection) -> None:
        self._collection = collection

    def get(self) -> SimpleNamespace:
        with self._collection.lock:
            return SimpleNamespace(properties=[SimpleNamespace(name=n) for n in self._collection.properties])

    def add_property(self, prop: Any) -> None:
        with self._collection.lock:
            if prop.name in self._collection.properties:
                raise ValueError(f"property {prop.name} exists")
            self._collection.properties.append(prop.name)


class _Collection(_Handle):
    def __init__(self, config: dict[str, Any], lock: threading.RLock) -> None:
        self.lock = lock
        self.multi_tenant = "multi_tenancy_config" in config
        self.properties = [p.name for p in config.get("properties", [])]
        self.shards: dict[str, dict[str, _Object]] = {}
        super().__init__({}, lock)
        self.tenants = _Tenants(self)
        self.config = _Config(self)

    def with_tenant(self, name: str) -> _Handle:
        with self.lock:
            if not self.multi_tenant or name not in self.shards:
                raise ValueError(f"no tenant {name}")
            return _Handle(self.shards[name], self.lock)


class _Collections:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_name: dict[str, _Collection] = {}

    def exists(self, name: str) -> bool:
        return name in self._by_name

    def create(self, **config: Any) -> None:
        with self._lock:
            if config["name"] in self._by_name:
                raise ValueError(f"collection {config['name']} exists")
            self._by_name[config["name"]] = _Collection(config, self._lock)

    def get(self, name: str) -> _Collection:
        return self._by_name[name]

    def delete(self, name: str) -> None:
        with self._lock:
            self._by_name.pop(name, None)


class FakeWeaviateClient:
    """What ``weaviate.connect_to_custom`` returns, as far as :class:`WeaviateStore` uses it."""

    def __init__(self) -> None:
        self.collections = _Collections()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _new_uuid() -> str:
    return str(uuid.uuid4())
