"""How memspan's filter grammar and schemaless metadata map onto Weaviate's typed properties.

Weaviate properties have one data type each, but the reference semantics are type-aware over
schemaless JSON (``1 == 1.0``, ``True != 1``, ``"1" != 1``, a missing key makes ``ne`` true). So
every filterable field (metadata keys *and* the memory's own fields) is stored as a family of typed
properties named after a hash of the key (any string can be a metadata key, not every string is a
property name): ``<base>_n`` number, ``_s`` string (case kept), ``_f`` string case-folded,
``_b`` boolean, ``_z`` "is JSON null", and for lists ``_ln``/``_ls``/``_lf``/``_lb``. A condition
becomes the comparison on the property of the value's type; a missing key sets none of them.
Filters are built as :class:`weaviate.classes.query.Filter` objects, never as strings.

Known limits of the mapping: numbers are float64 (integers beyond 2**53 lose precision), ``contains``
on strings uses Weaviate's ``like`` whose ``*`` and ``?`` wildcards cannot be escaped, and string
ordering is Weaviate's byte order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from weaviate.classes.config import DataType
from weaviate.classes.query import Filter
from weaviate.collections.classes.filters import _Filters

from ..filters import And, Condition, Node, Not

#: the text property every object has and no memory leaves empty (used for constant filters)
ID_PROPERTY = "memory_id"
SUFFIX_TYPES: dict[str, DataType] = {
    "n": DataType.NUMBER,
    "s": DataType.TEXT,
    "f": DataType.TEXT,
    "b": DataType.BOOL,
    "z": DataType.BOOL,
    "ln": DataType.NUMBER_ARRAY,
    "ls": DataType.TEXT_ARRAY,
    "lf": DataType.TEXT_ARRAY,
    "lb": DataType.BOOL_ARRAY,
    "lz": DataType.BOOL,
}
_ORDER = ("gt", "gte", "lt", "lte")


def base_name(key: str) -> str:
    """A valid, collision-resistant property name prefix for any metadata key."""
    return "k_" + hashlib.sha256(key.encode()).hexdigest()[:20]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def flatten(record: Mapping[str, Any]) -> dict[str, Any]:
    """Typed properties for every field of a filter record (see module docstring)."""
    props: dict[str, Any] = {}
    for key, value in record.items():
        base = base_name(key)
        if value is None:
            props[f"{base}_z"] = True
        elif isinstance(value, bool):
            props[f"{base}_b"] = value
        elif _is_number(value):
            props[f"{base}_n"] = float(value)
        elif isinstance(value, str):
            props[f"{base}_s"] = value
            props[f"{base}_f"] = value.casefold()
        elif isinstance(value, list):
            strings = [v for v in value if isinstance(v, str)]
            lists = {
                "ln": [float(v) for v in value if _is_number(v)],
                "ls": strings,
                "lf": [s.casefold() for s in strings],
                "lb": [v for v in value if isinstance(v, bool)],
            }
            props.update({f"{base}_{suffix}": values for suffix, values in lists.items() if values})
            if any(v is None for v in value):
                props[f"{base}_lz"] = True
        # objects match no comparison in the reference; nothing to index
    return props


def property_types(names: Iterable[str]) -> dict[str, DataType]:
    return {name: SUFFIX_TYPES[name.rsplit("_", 1)[1]] for name in names}


class FilterTranslator:
    """Turns a parsed filter into Weaviate filter objects over the properties that exist."""

    def __init__(self, known: set[str]):
        self.known = known

    def never(self) -> _Filters:
        return Filter.by_property(ID_PROPERTY).equal("")

    def always(self) -> _Filters:
        return Filter.by_property(ID_PROPERTY).not_equal("")

    def translate(self, node: Node) -> _Filters:
        if isinstance(node, Condition):
            return self._condition(node)
        if isinstance(node, Not):
            return Filter.not_(self.translate(node.child))
        children = [self.translate(child) for child in node.children]
        if len(children) == 1:
            return children[0]
        return Filter.all_of(children) if isinstance(node, And) else Filter.any_of(children)

    def _prop(self, key: str, suffix: str) -> str | None:
        name = f"{base_name(key)}_{suffix}"
        return name if name in self.known else None

    def _any(self, parts: list[_Filters | None]) -> _Filters:
        present = [p for p in parts if p is not None]
        if not present:
            return self.never()
        return present[0] if len(present) == 1 else Filter.any_of(present)

    def _condition(self, cond: Condition) -> _Filters:
        op, value, key = cond.op, cond.value, cond.field
        if op == "ne":
            return Filter.not_(self._condition(Condition(key, "eq", value)))
        if op == "nin":
            return Filter.not_(self._condition(Condition(key, "in", value)))
        if op == "eq":
            return self._equal(key, value)
        if op == "in":
            return self._any([self._equal(key, v) for v in value])
        if op in _ORDER:
            return self._order(key, op, value)
        return self._contains(key, value, fold=op == "icontains")

    def _equal(self, key: str, value: object) -> _Filters:
        if value is None:
            prop = self._prop(key, "z")
            return Filter.by_property(prop).equal(True) if prop else self.never()
        if isinstance(value, bool):
            prop = self._prop(key, "b")
            return Filter.by_property(prop).equal(value) if prop else self.never()
        if _is_number(value):
            prop = self._prop(key, "n")
            return Filter.by_property(prop).equal(float(value)) if prop else self.never()  # type: ignore[arg-type]
        prop = self._prop(key, "s")
        return Filter.by_property(prop).equal(value) if prop else self.never()  # type: ignore[arg-type]

    def _order(self, key: str, op: str, value: object) -> _Filters:
        if _is_number(value):
            prop, operand = self._prop(key, "n"), float(value)  # type: ignore[arg-type]
        elif isinstance(value, str):
            prop, operand = self._prop(key, "s"), value  # type: ignore[assignment]
        else:
            return self.never()
        if prop is None:
            return self.never()
        target = Filter.by_property(prop)
        compare = {
            "gt": target.greater_than,
            "gte": target.greater_or_equal,
            "lt": target.less_than,
            "lte": target.less_or_equal,
        }[op]
        return compare(operand)

    def _contains(self, key: str, value: object, *, fold: bool) -> _Filters:
        if isinstance(value, str):
            needle = value.casefold() if fold else value
            text = self._prop(key, "f" if fold else "s")
            items = self._prop(key, "lf" if fold else "ls")
            return self._any(
                [
                    Filter.by_property(text).like(f"*{needle}*") if text else None,
                    Filter.by_property(items).contains_any([needle]) if items else None,
                ]
            )
        if isinstance(value, bool):
            prop = self._prop(key, "lb")
            return Filter.by_property(prop).contains_any([value]) if prop else self.never()
        if _is_number(value):
            prop = self._prop(key, "ln")
            return Filter.by_property(prop).contains_any([float(value)]) if prop else self.never()  # type: ignore[arg-type]
        return self.never()
