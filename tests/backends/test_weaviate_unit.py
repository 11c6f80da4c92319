"""Weaviate without a server: schema, tenant names, object layout and filter translation.

The translation is checked semantically: a small interpreter (``_weaviate_fake.evaluate``) applies
Weaviate's documented filter operators (Equal/NotEqual/ordering on a property that may be absent,
Like with ``*``, ContainsAny on arrays, And/Or/Not) to the flattened properties, and must give the
same answers as the reference :meth:`Filter.matches` on the conformance suite's whole corpus and
filter list.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timezone

import pytest

pytest.importorskip("weaviate")

from weaviate.classes.config import DataType, Tokenization
from weaviate.collections.classes.filters import _FilterValue, _Operator

from memspan.filters import parse_filter
from memspan.stores import _weaviate_schema as schema
from memspan.stores._weaviate_filters import FilterTranslator, base_name, flatten
from memspan.stores.sqlite import filter_record
from memspan.testing._filter_cases import FILTER_CASES, make_corpus, random_filters
from memspan.testing.stores import _item
from memspan.types import Event, HistoryEvent

from ._weaviate_fake import evaluate


def test_translated_filters_give_the_reference_answers() -> None:
    items = [_item(**spec) for spec in make_corpus()]
    objects = [(item, schema.memory_properties(item)) for item in items]
    known = {name for _, props in objects for name in props}
    translator = FilterTranslator(known)
    checked = 0
    for spec in [*FILTER_CASES, *random_filters(random.Random(5), 60)]:
        flt = parse_filter(spec)
        assert flt is not None
        translated = translator.translate(flt.root)
        for item, props in objects:
            assert evaluate(translated, props) == flt.matches(filter_record(item)), (spec, item.metadata)
            checked += 1
    assert checked > 35_000


def test_unknown_properties_translate_to_a_filter_matching_nothing() -> None:
    translator = FilterTranslator(set())
    flt = parse_filter({"never_seen": {"gt": 3}})
    assert flt is not None
    translated = translator.translate(flt.root)
    assert not evaluate(translated, {"memory_id": "x"})
    negated = parse_filter({"never_seen": {"ne": 3}})
    assert negated is not None and evaluate(translator.translate(negated.root), {"memory_id": "x"})


def test_filters_are_objects_not_strings() -> None:
    flt = parse_filter({"OR": [{"city": 'Lisbon" OR 1=1'}, {"n": {"gte": 2}}]})
    assert flt is not None
    item = _item("x", metadata={"city": "Lisbon", "n": 2})
    translated = FilterTranslator(set(schema.memory_properties(item))).translate(flt.root)
    assert translated.operator is _Operator.OR
    leaf = translated.filters[0]  # type: ignore[attr-defined]
    assert isinstance(leaf, _FilterValue) and leaf.value == 'Lisbon" OR 1=1'


def test_tenant_names_are_valid_and_distinct() -> None:
    names = {schema.tenant_of(u) for u in ["alice", "Alice", "a.b@c", "x/y", "u-1", "a" * 200]}
    assert len(names) == 6
    for name in names:
        assert len(name) <= 64 and all(c.isalnum() or c in "-_" for c in name)
    assert schema.tenant_of(None) == schema.NO_USER_TENANT
    assert schema.tenant_of("alice") == "u-alice"


def test_scope_tenants_fan_out_only_without_a_user() -> None:
    from memspan.scope import Scope

    existing = ["u-alice", "u-bob", "no-user"]
    assert schema.scope_tenants(Scope(user_id="alice", agent_id="a"), existing) == ["u-alice"]
    assert schema.scope_tenants(Scope(user_id="carol"), existing) == []
    assert schema.scope_tenants(Scope(agent_id="a"), existing) == sorted(existing)


def test_object_layout_round_trips_and_avoids_reserved_names() -> None:
    item = replace(
        _item("Alice likes tea", metadata={"n": 1, "tags": ["a", "B"], "none": None}),
        source_ids=("m1",),
        agent_id="a1",
    )
    props = schema.memory_properties(item)
    assert not {"id", "vector", "_additional", "_id"} & set(props)
    assert schema.item_from_properties(props) == item
    assert props[f"{base_name('n')}_n"] == 1.0
    assert props[f"{base_name('tags')}_lf"] == ["a", "b"]
    assert props[f"{base_name('none')}_z"] is True
    assert props["live"] is True and "deleted_at" not in props
    event = HistoryEvent(
        item.id, Event.UPDATE, "a", "b", item.created_at, "u0", None, None, {"x": 1}, {"x": 2}, "why"
    )
    assert schema.event_from_properties(schema.event_properties(event, 7)) == event


def test_expiry_is_a_date_property_and_reads_leave_expired_objects_out() -> None:
    from memspan.stores import _expiry_weaviate as expiry

    lasting = _item("Alice likes tea")
    expiring = replace(_item("Alice is in Lisbon"), expires_at="2030-01-01T00:00:00.000000Z")
    props = {m.text: schema.memory_properties(m) for m in (lasting, expiring)}
    assert "expires_at" not in props["Alice likes tea"]  # absent: null, never expires
    assert schema.item_from_properties(props["Alice is in Lisbon"]) == expiring
    as_returned = dict(props["Alice is in Lisbon"], expires_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    assert (
        schema.item_from_properties(as_returned).expires_at == expiring.expires_at
    )  # client gives datetimes
    config = {p.name: p for p in schema.memory_collection_config("Memspan")["properties"]}
    assert config["expires_at"].dataType is DataType.DATE
    before, after = "2029-12-31T23:59:59.000000Z", "2030-01-01T00:00:00.000000Z"
    assert [evaluate(expiry.not_expired(before), p) for p in props.values()] == [True, True]
    assert [evaluate(expiry.not_expired(after), p) for p in props.values()] == [True, False]
    assert [evaluate(expiry.expired(after), p) for p in props.values()] == [False, True]


def test_collection_schema() -> None:
    config = schema.memory_collection_config("Memspan")
    props = {p.name: p for p in config["properties"]}
    assert set(props) == set(schema.MEMORY_PROPERTIES)
    assert props["text"].tokenization is Tokenization.WORD
    assert props["user_id"].tokenization is Tokenization.FIELD
    assert props["metadata_json"].indexFilterable is False
    assert props["live"].dataType is DataType.BOOL
    assert config["multi_tenancy_config"].enabled is True
    assert config["vector_config"].name == schema.VECTOR_NAME
    hnsw = schema.memory_collection_config("Memspan", index="hnsw")
    assert hnsw["vector_config"].vectorIndexConfig.vector_index_type().value == "hnsw"
    assert config["vector_config"].vectorIndexConfig.vector_index_type().value == "flat"


def test_flatten_keeps_types_apart() -> None:
    props = flatten({"a": True, "b": 1, "c": "1", "d": [1, True, "x", None], "e": {"k": 1}})
    assert props[f"{base_name('a')}_b"] is True and f"{base_name('a')}_n" not in props
    assert props[f"{base_name('b')}_n"] == 1.0 and f"{base_name('b')}_b" not in props
    assert props[f"{base_name('c')}_s"] == "1"
    assert props[f"{base_name('d')}_ln"] == [1.0] and props[f"{base_name('d')}_lb"] == [True]
    assert props[f"{base_name('d')}_lz"] is True
    assert not any(k.startswith(base_name("e")) for k in props)


def test_connection_options_from_urls() -> None:
    connect, options = schema.connection_options(
        "weaviate://db.local:8081?grpc_port=6000&collection=Mem", None
    )
    assert connect == {
        "http_host": "db.local", "http_port": 8081, "http_secure": False, "grpc_host": "db.local",
        "grpc_port": 6000, "grpc_secure": False, "api_key": None,
    }  # fmt: skip
    assert options["collection"] == "Mem"
    connect, _ = schema.connection_options("weaviate+https://cluster.example", "env-key")
    assert (connect["http_port"], connect["grpc_port"], connect["http_secure"], connect["api_key"]) == (
        443,
        443,
        True,
        "env-key",
    )


def test_unreachable_server_is_a_store_error() -> None:
    import socket

    from memspan.config import open_store
    from memspan.errors import StoreError

    with socket.socket() as http, socket.socket() as grpc:
        http.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        grpc.bind(("127.0.0.1", 0))
        url = f"weaviate://127.0.0.1:{http.getsockname()[1]}?grpc_port={grpc.getsockname()[1]}"
        with pytest.raises(StoreError, match="cannot reach Weaviate"):
            open_store(url)
