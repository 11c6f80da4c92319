"""Filters compiled to PostgreSQL, with exactly the reference semantics of :mod:`memspan.filters`.

Every condition compiles to an expression that is never NULL (``coalesce(..., false)``), so NOT
and OR behave as in Python rather than as SQL's three-valued logic. Metadata lives in a ``jsonb``
column: jsonb equality is already type-aware in the reference's sense (``1 = 1.0``, ``true <> 1``,
``"1" <> 1``); ordering is guarded by ``jsonb_typeof`` so only numbers with numbers and strings
with strings compare, and strings compare in code-point order (``COLLATE "C"``) like Python's
``<``. Keys and values are always bound parameters (named, so the order of building does not
matter), never spliced into the SQL text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from ..filters import And, Condition, Filter, Node, Or

#: built-in fields and the column each lives in (text, NULL when missing)
COLUMNS = {
    "id": "id",
    "memory_type": "memory_type",
    "user_id": "user_id",
    "agent_id": "agent_id",
    "run_id": "run_id",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
_ORDER = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_AS_TEXT = "#>> '{}'"  # a jsonb string's text


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass
class FilterSQL:
    """Compiles filters into boolean SQL over the ``memories`` table, collecting named parameters."""

    #: how this server folds case, a format string around an expression (see PostgresStore)
    fold: str = "lower({})"
    params: dict[str, Any] = field(default_factory=dict)
    prefix: str = "f"

    def compile(self, flt: Filter) -> str:
        return self._node(flt.root)

    def _p(self, value: Any, cast: str) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"%({name})s{cast}"

    def _fold(self, expr: str) -> str:
        return self.fold.format(expr)

    def _node(self, node: Node) -> str:
        if isinstance(node, Condition):
            return self._condition(node)
        if isinstance(node, And):
            return "(" + " AND ".join(self._node(c) for c in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self._node(c) for c in node.children) + ")"
        return f"(NOT {self._node(node.child)})"

    def _condition(self, cond: Condition) -> str:
        # the reference defines ne/nin as the exact negation of eq/in (a missing key included)
        if cond.op == "ne":
            return f"(NOT {self._condition(Condition(cond.field, 'eq', cond.value))})"
        if cond.op == "nin":
            return f"(NOT {self._condition(Condition(cond.field, 'in', cond.value))})"
        if cond.field in COLUMNS:
            return f"coalesce({self._column(COLUMNS[cond.field], cond)}, false)"
        return f"coalesce({self._metadata(cond)}, false)"

    # -- built-in text columns: a value is either a string or missing --------------------------

    def _column(self, column: str, cond: Condition) -> str:
        op, value = cond.op, cond.value
        if op == "in":
            return f"{column} = ANY({self._p([v for v in value if isinstance(v, str)], '::text[]')})"
        if not isinstance(value, str):  # a string never equals, orders with or contains a non-string
            return "false"
        if op == "eq":
            return f"{column} = {self._p(value, '::text')}"
        if op in _ORDER:
            return f'{column} COLLATE "C" {_ORDER[op]} {self._p(value, "::text")} COLLATE "C"'
        if op == "icontains":
            return f"strpos({self._fold(column)}, {self._fold(self._p(value, '::text'))}) > 0"
        return f"strpos({column}, {self._p(value, '::text')}) > 0"

    # -- metadata: jsonb of any JSON type, or missing ------------------------------------------

    def _metadata(self, cond: Condition) -> str:
        op, value = cond.op, cond.value
        ref = f"(metadata -> {self._p(cond.field, '::text')})"
        if op == "eq":
            return f"{ref} = {self._p(Jsonb(value), '::jsonb')}"
        if op == "in":
            return f"{ref} = ANY({self._p([json.dumps(v) for v in value], '::jsonb[]')})"
        if op in _ORDER:
            if _is_number(value):
                return f"(jsonb_typeof({ref}) = 'number' AND {ref} {_ORDER[op]} {self._p(Jsonb(value), '::jsonb')})"
            if isinstance(value, str):
                bound = self._p(value, "::text")
                return (
                    f"(jsonb_typeof({ref}) = 'string' AND "
                    f'({ref} {_AS_TEXT}) COLLATE "C" {_ORDER[op]} {bound} COLLATE "C")'
                )
            return "false"
        fold = op == "icontains"
        if isinstance(value, str):
            needle = self._p(value, "::text")
            if fold:
                in_string = f"strpos({self._fold(f'({ref} {_AS_TEXT})')}, {self._fold(needle)}) > 0"
                element = (
                    f"jsonb_typeof(e) = 'string' AND {self._fold(f'(e {_AS_TEXT})')} = {self._fold(needle)}"
                )
            else:
                in_string = f"strpos({ref} {_AS_TEXT}, {needle}) > 0"
                element = f"e = {self._p(Jsonb(value), '::jsonb')}"
            return (
                f"(CASE jsonb_typeof({ref}) WHEN 'string' THEN {in_string} WHEN 'array' THEN "
                f"EXISTS (SELECT 1 FROM jsonb_array_elements({ref}) AS e WHERE {element}) ELSE false END)"
            )
        return (
            f"(jsonb_typeof({ref}) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements({ref}) AS e "
            f"WHERE e = {self._p(Jsonb(value), '::jsonb')}))"
        )
