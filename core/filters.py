"""The filter grammar, parsed once into a small tree, with its reference semantics.

Grammar (mem0-compatible)::

    filter   := {field: value | {op: value, ...}, ...}   # several fields are ANDed
              | {"AND": [filter, ...]} | {"OR": [filter, ...]} | {"NOT": filter}
    op       := eq | ne | gt | gte | lt | lte | in | nin | contains | icontains
                (a leading "$" is accepted: "$gte")

Fields are metadata keys, or one of the memory's own fields: ``created_at``, ``updated_at``
(compared as instants; ISO strings, dates and ``datetime`` are accepted), ``memory_type``, ``id``,
and the scope keys. A filter can only narrow a call's scope, never widen it: the store applies the
scope first.

Semantics, identical on every backend (``memspan.testing`` checks each one against
:func:`Filter.matches`):

- a comparison with a key the memory does not have is false, except ``ne`` and ``nin``, which
  are true (the value is indeed not equal / not in the list);
- ``eq``/``ne``/``in``/``nin`` compare type-aware: ``1 == 1.0`` but ``True != 1`` and ``"1" != 1``;
- ``gt``/``gte``/``lt``/``lte`` are true only when both sides are numbers or both are strings;
- ``contains`` is substring on strings and membership on lists; ``icontains`` ignores case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from .errors import FilterError
from .validation import find_bad_text

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "icontains")
LOGICAL = ("AND", "OR", "NOT")
TIMESTAMP_FIELDS = ("created_at", "updated_at")
BUILTIN_FIELDS = ("id", "memory_type", "user_id", "agent_id", "run_id", *TIMESTAMP_FIELDS)
MAX_DEPTH = 32
MAX_NODES = 1_000

Scalar = str | int | float | bool | None


def format_timestamp(moment: datetime) -> str:
    """The one textual form of instants memspan stores: UTC, microseconds, sortable as text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:
        raise FilterError(f"{moment.isoformat()} is outside the years 1–9999 once converted to UTC") from None
    # the year is zero-padded by hand: strftime's %Y is not padded below 1000 on every platform
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: object, *, what: str = "timestamp") -> str:
    """Accept a datetime, a date or an ISO-8601 string, return the canonical stored form."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return format_timestamp(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return format_timestamp(moment)
    raise FilterError(f"{what} {value!r} is not a date or ISO-8601 timestamp")


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Condition | And | Or | Not


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def values_equal(left: object, right: object) -> bool:
    """Type-aware equality: numbers by value, booleans only with booleans, strings with strings."""
    if _is_number(left) and _is_number(right):
        return left == right
    if type(left) is not type(right):
        return False
    return left == right


def _ordered(op: str, left: object, right: object) -> bool:
    if not ((_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return False
    if op == "gt":
        return bool(left > right)  # type: ignore[operator]
    if op == "gte":
        return bool(left >= right)  # type: ignore[operator]
    if op == "lt":
        return bool(left < right)  # type: ignore[operator]
    return bool(left <= right)  # type: ignore[operator]


def _contains(haystack: object, needle: object, *, fold: bool) -> bool:
    if isinstance(haystack, str) and isinstance(needle, str):
        return needle.casefold() in haystack.casefold() if fold else needle in haystack
    if isinstance(haystack, list):
        if fold and isinstance(needle, str):
            return any(isinstance(e, str) and e.casefold() == needle.casefold() for e in haystack)
        return any(values_equal(e, needle) for e in haystack)
    return False


_MISSING = object()


def evaluate_condition(cond: Condition, record: Mapping[str, Any]) -> bool:
    value = record.get(cond.field, _MISSING)
    op = cond.op
    if value is _MISSING:
        return op in ("ne", "nin")
    if op == "eq":
        return values_equal(value, cond.value)
    if op == "ne":
        return not values_equal(value, cond.value)
    if op == "in":
        return any(values_equal(value, v) for v in cond.value)
    if op == "nin":
        return not any(values_equal(value, v) for v in cond.value)
    if op in ("contains", "icontains"):
        return _contains(value, cond.value, fold=op == "icontains")
    return _ordered(op, value, cond.value)


def evaluate(node: Node, record: Mapping[str, Any]) -> bool:
    """The reference semantics: does a memory (its metadata plus built-in fields) match?"""
    if isinstance(node, Condition):
        return evaluate_condition(node, record)
    if isinstance(node, And):
        return all(evaluate(child, record) for child in node.children)
    if isinstance(node, Or):
        return any(evaluate(child, record) for child in node.children)
    return not evaluate(node.child, record)


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed, validated filter. Build it with :func:`parse_filter`."""

    root: Node

    def matches(self, record: Mapping[str, Any]) -> bool:
        return evaluate(self.root, record)

    def predicate(self) -> Callable[[Mapping[str, Any]], bool]:
        return self.matches

    def fields(self) -> set[str]:
        found: set[str] = set()

        def walk(node: Node) -> None:
            if isinstance(node, Condition):
                found.add(node.field)
            elif isinstance(node, Not):
                walk(node.child)
            else:
                for child in node.children:
                    walk(child)

        walk(self.root)
        return found


def _check_text(text: str, where: str) -> None:
    # a value no store can hold (a lone surrogate, NUL) can match nothing; PostgreSQL would fail on it
    if problem := find_bad_text(text, where):
        raise FilterError(problem)


def _check_scalar(field: str, op: str, value: object) -> Scalar:
    if isinstance(value, str):
        _check_text(value, f"filter value on {field!a}")
    if value is None or isinstance(value, (str, int, float, bool)):
        if isinstance(value, float) and value != value:
            raise FilterError(f"filter on {field!r}: NaN cannot be compared")
        return value
    if isinstance(value, (datetime, date)):
        return parse_timestamp(value)
    raise FilterError(
        f"filter on {field!r} with {op!r}: expected a string, number, boolean or null, "
        f"got {type(value).__name__}"
    )


def _condition(field: str, op: str, value: object) -> Condition:
    if op not in OPERATORS:
        raise FilterError(f"unknown filter operator {op!r} on {field!r}; use one of {', '.join(OPERATORS)}")
    if op in ("in", "nin"):
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise FilterError(f"filter on {field!r}: {op!r} needs a list of values")
        values = tuple(_check_scalar(field, op, v) for v in value)
        if field in TIMESTAMP_FIELDS:
            values = tuple(parse_timestamp(v, what=field) for v in values)
        return Condition(field, op, values)
    scalar = _check_scalar(field, op, value)
    if field in TIMESTAMP_FIELDS and scalar is not None:
        scalar = parse_timestamp(scalar, what=field)
    if op in ("contains", "icontains") and scalar is None:
        raise FilterError(f"filter on {field!r}: {op!r} needs a value")
    return Condition(field, op, scalar)


class _Parser:
    def __init__(self) -> None:
        self.nodes = 0

    def parse(self, spec: object, depth: int) -> Node:
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise FilterError(f"filter nested deeper than {MAX_DEPTH} levels")
        if self.nodes > MAX_NODES:
            raise FilterError(f"filter has more than {MAX_NODES} parts")
        if not isinstance(spec, Mapping):
            raise FilterError(f"a filter must be a mapping, got {type(spec).__name__}")
        if not spec:
            raise FilterError("empty filter clause")
        parts: list[Node] = []
        for raw_key, value in spec.items():
            if not isinstance(raw_key, str) or not raw_key:
                raise FilterError(f"filter keys must be non-empty strings, got {raw_key!r}")
            _check_text(raw_key, "filter key")
            key = raw_key[1:].upper() if raw_key.startswith("$") else raw_key
            if key in ("AND", "OR"):
                if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence) or not value:
                    raise FilterError(f"{raw_key!r} needs a non-empty list of filters")
                children = tuple(self.parse(child, depth + 1) for child in value)
                parts.append(And(children) if key == "AND" else Or(children))
            elif key == "NOT":
                parts.append(Not(self.parse(value, depth + 1)))
            elif raw_key.startswith("$"):
                raise FilterError(f"unknown logical operator {raw_key!r}; use AND, OR or NOT")
            else:
                parts.append(self._field(raw_key, value))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _field(self, field: str, value: object) -> Node:
        if isinstance(value, Mapping):
            if not value:
                raise FilterError(f"filter on {field!r} has no operator")
            conds: list[Node] = []
            for raw_op, operand in value.items():
                if not isinstance(raw_op, str):
                    raise FilterError(f"filter operator on {field!r} must be a string")
                _check_text(raw_op, f"filter operator on {field!a}")
                self.nodes += 1
                conds.append(_condition(field, raw_op.removeprefix("$").lower(), operand))
            return conds[0] if len(conds) == 1 else And(tuple(conds))
        if isinstance(value, list):
            return _condition(field, "in", value)
        return _condition(field, "eq", value)


def parse_filter(spec: Mapping[str, Any] | Filter | None) -> Filter | None:
    """Validate a filter mapping and return its tree (``None`` for no filter)."""
    if spec is None or isinstance(spec, Filter):
        return spec
    if isinstance(spec, Mapping) and not spec:
        return None
    return Filter(_Parser().parse(spec, 0))
