"""The filter grammar: parsing, validation and the reference semantics every backend must match."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from memspan import FilterError, Memory
from memspan.filters import And, Condition, Not, Or, parse_filter

RECORD = {
    "n": 5,
    "f": 2.5,
    "name": "Lisbon trip",
    "tags": ["travel", "Food"],
    "flag": True,
    "none": None,
    "created_at": "2024-05-01T10:00:00.000000Z",
}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"n": 5}, True),
        ({"n": 5.0}, True),
        ({"n": "5"}, False),
        ({"flag": 1}, False),
        ({"flag": True}, True),
        ({"none": None}, True),
        ({"n": {"ne": 4}}, True),
        ({"missing": {"ne": 4}}, True),
        ({"missing": 4}, False),
        ({"missing": {"nin": [1]}}, True),
        ({"missing": {"gt": 0}}, False),
        ({"n": {"gt": 4, "lt": 6}}, True),
        ({"n": {"gte": 5, "lte": 5}}, True),
        ({"n": {"gt": "4"}}, False),
        ({"name": {"gt": "Lis"}}, True),
        ({"n": {"in": [1, 5]}}, True),
        ({"n": [1, 2]}, False),
        ({"n": {"nin": [1, 2]}}, True),
        ({"name": {"contains": "trip"}}, True),
        ({"name": {"contains": "TRIP"}}, False),
        ({"name": {"icontains": "TRIP"}}, True),
        ({"tags": {"contains": "travel"}}, True),
        ({"tags": {"contains": "food"}}, False),
        ({"tags": {"icontains": "food"}}, True),
        ({"n": {"contains": 5}}, False),
        ({"$and": [{"n": 5}, {"f": {"$lt": 3}}]}, True),
        ({"OR": [{"n": 1}, {"f": 2.5}]}, True),
        ({"NOT": {"n": 5}}, False),
        ({"NOT": {"OR": [{"n": 1}, {"n": 2}]}}, True),
        ({"n": 5, "f": 3}, False),
        ({"created_at": {"gte": "2024-05-01"}}, True),
        ({"created_at": {"lt": datetime(2024, 5, 1, 9, tzinfo=timezone.utc)}}, False),
        ({"created_at": {"gt": "2024-05-01T11:00:00+02:00"}}, True),
    ],
)
def test_reference_semantics(spec: dict, expected: bool) -> None:  # type: ignore[type-arg]
    flt = parse_filter(spec)
    assert flt is not None and flt.matches(RECORD) is expected


def test_parse_builds_one_tree() -> None:
    flt = parse_filter({"AND": [{"a": 1}, {"OR": [{"b": {"gt": 2}}, {"NOT": {"c": "x"}}]}]})
    assert flt is not None
    assert flt.root == And(
        (Condition("a", "eq", 1), Or((Condition("b", "gt", 2), Not(Condition("c", "eq", "x")))))
    )
    assert flt.fields() == {"a", "b", "c"}
    assert parse_filter({}) is None and parse_filter(None) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"n": {"regex": ".*"}}, "unknown filter operator"),
        ({"$xor": []}, "unknown logical operator"),
        ({"AND": {"n": 1}}, "non-empty list"),
        ({"AND": []}, "non-empty list"),
        ({"n": {"in": 5}}, "needs a list"),
        ({"n": {"eq": {"nested": 1}}}, "expected a string"),
        ({"n": {}}, "no operator"),
        ({"created_at": {"gt": "last tuesday"}}, "not a date"),
        ({"n": {"eq": float("nan")}}, "NaN"),
        ({"name": {"contains": None}}, "needs a value"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_filters_raise_clear_errors(spec: object, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(spec)  # type: ignore[arg-type]


def test_deeply_nested_filters_are_refused() -> None:
    spec: dict = {"n": 1}  # type: ignore[type-arg]
    for _ in range(100):
        spec = {"NOT": spec}
    with pytest.raises(FilterError, match="nested deeper"):
        parse_filter(spec)


def test_filters_apply_in_search_and_list_on_the_store(memory: Memory) -> None:
    memory.add("pasta recipe with basil", user_id="u", metadata={"kind": "recipe", "stars": 4}, infer=False)
    memory.add("pasta shop downtown", user_id="u", metadata={"kind": "place", "stars": 2}, infer=False)
    memory.add("pasta history notes", user_id="u", infer=False)
    assert memory.search("pasta", user_id="u", filters={"kind": "recipe"}).texts() == [
        "pasta recipe with basil"
    ]
    assert set(memory.search("pasta", user_id="u", filters={"stars": {"ne": 4}}).texts()) == {
        "pasta shop downtown",
        "pasta history notes",
    }
    assert memory.search("pasta", user_id="u", filters={"nothing": "here"}).texts() == []
    assert len(memory.get_all(user_id="u", filters={"memory_type": "semantic"})) == 3
    with pytest.raises(FilterError):
        memory.search("pasta", user_id="u", filters={"stars": {"like": 4}})


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("0384-09-23T10:00:00Z", "0384-09-23T10:00:00.000000Z"),
        ("2024-02-29", "2024-02-29T00:00:00.000000Z"),
        ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000000Z"),
    ],
)
def test_timestamps_have_one_sortable_form(value: str, stored: str) -> None:
    from memspan.filters import parse_timestamp

    assert parse_timestamp(value) == stored
    assert parse_timestamp(stored) == stored  # what is stored reads back unchanged


@pytest.mark.parametrize("value", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", "yesterday", 12])
def test_unrepresentable_timestamps_are_clear_errors(value: object) -> None:
    from memspan.filters import parse_timestamp

    with pytest.raises(FilterError):
        parse_timestamp(value)
