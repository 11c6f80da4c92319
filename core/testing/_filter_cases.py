"""The data and filters the conformance suite checks every backend's filter answers with.

The corpus mixes every JSON type under the same keys (ints, floats equal to ints, booleans,
numeric strings, nulls, lists, objects, missing keys, non-ASCII case pairs, LIKE wildcards), so a
backend that compares loosely, lets NULL leak through NOT, or folds case differently gives a
different answer than :meth:`memspan.filters.Filter.matches` and the suite says which filter.
"""

from __future__ import annotations

import random
from typing import Any

from ..errors import FilterError
from ..filters import OPERATORS, parse_filter

_VALUES: dict[str, list[Any]] = {
    "n": [0, 1, 1.0, 2, 2.5, 3, -4, True, False, "3", None, [1, 2], "", {"a": 1}],
    "name": ["Alice", "alice", "ÉCOLE", "école", "Straße", "STRASSE", "", "a%b_c", "Zoë", 5, None, "bob"],
    "tags": [["red", "Blue"], ["blue"], [1, "1", True], [], "red blue", [None], ["RED", 2.0], ["école"]],
    "flag": [True, False, 1, 0, "true", None],
    "weird key'\"": [1, "x"],
}
_TEXTS = [
    "blue river stone",
    "a quiet river at dawn",
    "stone wall",
    "blue sky",
    "green tea with river water",
    "nothing relevant",
]


def make_corpus() -> list[dict[str, Any]]:
    """Specs for 48 memories of user u0 (two soft-deleted) and 6 of user u1."""
    rng = random.Random(11)
    specs: list[dict[str, Any]] = []
    for i in range(54):
        metadata: dict[str, Any] = {}
        for key, values in _VALUES.items():
            if rng.random() < 0.75:
                metadata[key] = values[rng.randrange(len(values))]
        specs.append(
            {
                "text": f"{_TEXTS[i % len(_TEXTS)]} #{i}",
                "user_id": "u0" if i < 48 else "u1",
                "agent_id": ("a1", "a2", None)[i % 3],
                "run_id": "r1" if i % 4 == 0 else None,
                "memory_type": ("semantic", "episodic", "procedural")[i % 3],
                "metadata": metadata,
                "created_at": f"2025-0{1 + i % 9}-{10 + i % 18}T0{i % 10}:30:00.000000Z",
                "deleted_at": "2025-12-01T00:00:00.000000Z" if i in (5, 17) else None,
            }
        )
    return specs


_FIELD_VALUES: dict[str, list[Any]] = {
    **{key: [v for v in values if not isinstance(v, (list, dict))] for key, values in _VALUES.items()},
    "tags": ["red", "RED", "blue", "Blue", 1, "1", True, 2, None, "école", "ÉCOLE", "red blue"],
    "missing": [1, "x", None],
    "memory_type": ["semantic", "episodic", "EPISODIC", "sem", 1],
    "agent_id": ["a1", "a2", "A1", None, 1],
    "run_id": ["r1", "r", None],
    "user_id": ["u0", "u1"],
    "id": ["no-such-id", "0"],
    "created_at": ["2025-03-12T03:30:00Z", "2025-05-01", "2025-01-10T00:30:00.000000Z"],
    "updated_at": ["2025-03-12T03:30:00Z"],
}
_FIELD_VALUES["n"] += ["2", 9007199254740993]
_FIELD_VALUES["name"] += ["ali", "ÉCO", "strasse", "%", "_", "oë"]


def _conditions() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for field, values in _FIELD_VALUES.items():
        for op in OPERATORS:
            candidates: list[Any] = (
                [[v, values[-1]] for v in values] + [[]] if op in ("in", "nin") else values
            )
            for value in candidates:
                spec = {field: {op: value}}
                try:
                    parse_filter(spec)
                except FilterError:
                    continue
                out.append(spec)
    return out


#: every operator on every field with every kind of value, plus the shorthand forms
FILTER_CASES: list[dict[str, Any]] = [
    *_conditions(),
    {"n": 1},
    {"name": ["Alice", "bob"]},
    {"n": {"gte": 1, "lt": 3}},
    {"n": {"$gt": 0}, "flag": True},
    {"AND": [{"n": {"gte": 0}}, {"NOT": {"flag": False}}]},
    {"OR": [{"name": {"icontains": "ÉCO"}}, {"tags": {"contains": "red"}}]},
    {"NOT": {"OR": [{"n": {"ne": 1}}, {"missing": {"nin": [1]}}]}},
    {"$not": {"memory_type": "semantic"}},
]


def random_filters(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Random AND/OR/NOT trees over the single conditions above."""
    leaves = _conditions()

    def tree(depth: int) -> dict[str, Any]:
        roll = rng.random()
        if depth >= 3 or roll < 0.35:
            return leaves[rng.randrange(len(leaves))]
        if roll < 0.55:
            return {"NOT": tree(depth + 1)}
        kind = "AND" if roll < 0.8 else "OR"
        return {kind: [tree(depth + 1) for _ in range(rng.randint(2, 3))]}

    return [tree(0) for _ in range(count)]
