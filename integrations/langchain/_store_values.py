"""How a LangGraph item's value lives in a memory's metadata, and how LangGraph filters reach it.

The value is kept whole (one metadata key, so it round-trips exactly) and also flattened: each
scalar at a dotted path (``user.level``) under its own key, and each list or object at a path as
canonical JSON, so memspan's filters, which compare top-level metadata keys, can answer
LangGraph's dotted-path, nested-object and list-equality filters inside the store.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.store.base.embed import get_text_at_path, tokenize_path

from memspan.errors import FilterError

VALUE = "langgraph_value"  # the whole value
SCALAR = "langgraph_v."  # prefix: the scalar at a dotted path
JSONED = "langgraph_j."  # prefix: canonical JSON of the list or object at a dotted path
NAMESPACE = "langgraph_namespace"  # the namespace as a JSON list
PREFIXES = "langgraph_prefixes"  # every prefix of it, as JSON lists, for prefix search
KEY = "langgraph_key"
INDEXED = "langgraph_indexed"
VECTORS = "langgraph_vectors"  # {field path: vector} from the caller's own embeddings
EXPIRES = "langgraph_expires_at"  # epoch seconds after which the item is gone
TTL = "langgraph_ttl_minutes"


def ns_json(namespace: Sequence[str]) -> str:
    return canonical(list(namespace))


# Items written by memspan 0.1.0's store kept the namespace dot-joined and the value's top-level
# fields under "value.<field>"; they are still found, read and listed (a put rewrites them).
_LEGACY_VALUE = "value."


def namespace_of(meta: Mapping[str, Any]) -> tuple[str, ...]:
    stored = str(meta[NAMESPACE])
    return tuple(json.loads(stored)) if stored.startswith("[") else tuple(stored.split("."))


def value_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    if VALUE in meta:
        return dict(meta[VALUE] or {})
    return {k[len(_LEGACY_VALUE) :]: v for k, v in meta.items() if k.startswith(_LEGACY_VALUE)}


def in_namespace(namespace: Sequence[str]) -> dict[str, Any]:
    return {"OR": [{NAMESPACE: ns_json(namespace)}, {NAMESPACE: ".".join(namespace)}]}


def under(prefix: Sequence[str]) -> dict[str, Any]:
    return {"OR": [{PREFIXES: {"contains": ns_json(prefix)}}, {PREFIXES: {"contains": ".".join(prefix)}}]}


_OPERATORS = {"$eq": "eq", "$ne": "ne", "$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flattened(value: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata entries that make ``value`` filterable, path by path."""
    out: dict[str, Any] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if path:
                out[JSONED + path] = canonical(node)
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(node, (list, tuple)):
            out[JSONED + path] = canonical(list(node))
        elif path:
            out[SCALAR + path] = node

    walk(value, "")
    return out


def value_filter(spec: Mapping[str, Any]) -> dict[str, Any]:
    """LangGraph's filter as a memspan filter: ``{"a.b": v}``, ``{"a": {"b": v}}``, ``{"tags": [..]}``,
    ``{"n": {"$gt": 1}}``. An operator memspan cannot honour raises :class:`FilterError`."""
    clauses: list[dict[str, Any]] = []

    def add(path: str, condition: Any) -> None:
        if isinstance(condition, Mapping):
            operators = [k for k in condition if isinstance(k, str) and k.startswith("$")]
            if operators:
                unknown = sorted(set(map(str, condition)) - set(_OPERATORS))
                if unknown:
                    raise FilterError(
                        f"filter on {path!r}: LangGraph filters support {', '.join(sorted(_OPERATORS))}, "
                        f"not {', '.join(unknown)}"
                    )
                for op, operand in condition.items():
                    clauses.append(_compare(path, _OPERATORS[op], operand))
                return
            if not condition:
                clauses.append({JSONED + path: {"eq": canonical({})}})
                return
            for key, sub in condition.items():  # nested-object equality: each field must match
                add(f"{path}.{key}", sub)
            return
        clauses.append(_compare(path, "eq", condition))

    for field, condition in spec.items():
        if not isinstance(field, str) or not field:
            raise FilterError(f"filter keys must be non-empty strings, got {field!r}")
        add(field, condition)
    return {"AND": clauses} if clauses else {}


def _nothing(path: str) -> dict[str, Any]:
    """A clause no item satisfies (a value cannot be both 0 and 1)."""
    return {"AND": [{SCALAR + path: {"eq": 0}}, {SCALAR + path: {"eq": 1}}]}


def _compare(path: str, op: str, operand: Any) -> dict[str, Any]:
    if isinstance(operand, float) and math.isnan(operand):  # NaN equals and orders with nothing
        return {"NOT": _nothing(path)} if op == "ne" else _nothing(path)
    if isinstance(operand, (list, tuple, Mapping)):
        if op not in ("eq", "ne"):
            raise FilterError(f"filter on {path!r}: a list or object can only be compared with $eq / $ne")
        target = canonical(list(operand) if isinstance(operand, tuple) else operand)
        return {JSONED + path: {op: target}}
    if op in ("gt", "gte", "lt", "lte") and not isinstance(operand, (int, float, str)):
        raise FilterError(f"filter on {path!r}: ${op} needs a number or a string, got {operand!r}")
    return {SCALAR + path: {op: operand}}


def value_text(value: Mapping[str, Any], fields: Sequence[str] | None) -> str:
    """What a value says, for memspan's own embedding and keyword search."""
    if fields and list(fields) != ["$"]:
        texts = [t for path in fields for t in get_text_at_path(dict(value), path) if t.strip()]
    else:
        leaves: list[tuple[str, str]] = []

        def walk(node: Any, path: str) -> None:
            if isinstance(node, str) and node.strip():
                leaves.append((path, node.strip()))
            elif isinstance(node, Mapping):
                for k, v in node.items():
                    walk(v, f"{path}.{k}" if path else str(k))
            elif isinstance(node, list):
                for v in node:
                    walk(v, path)

        walk(value, "")
        texts = [leaves[0][1]] if len(leaves) == 1 else [f"{path}: {text}" for path, text in leaves]
    return "\n".join(texts) or canonical(dict(value))


def field_texts(value: Mapping[str, Any], fields: Sequence[str]) -> list[tuple[str, str]]:
    """``(path, text)`` pairs to embed with the caller's own embeddings, as LangGraph's stores do:
    ``"$"`` is the whole value as JSON, a path with several texts gives one entry per text."""
    out: list[tuple[str, str]] = []
    for path in fields:
        texts = (
            [canonical(dict(value))] if path == "$" else get_text_at_path(dict(value), tokenize_path(path))
        )
        if len(texts) == 1:
            out.append((path, texts[0]))
        else:
            out.extend((f"{path}.{i}", text) for i, text in enumerate(texts))
    return out


def cosine(query: Sequence[float], vector: Sequence[float]) -> float:
    dot = sum(a * b for a, b in zip(query, vector, strict=False))
    norm = math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in vector))
    return dot / norm if norm else 0.0
