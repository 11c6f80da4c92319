"""A LangGraph ``BaseStore`` whose items are memspan memories.

``create_agent(model, tools, store=MemspanStore(memory))`` gives an agent long-term memory: its
tools and middleware read and write ``runtime.store`` as usual, and ``store.search(namespace,
query=...)`` is memspan's hybrid (semantic + keyword) search.

Namespaces map to scopes. A namespace is ``(label, *ids, *subfolders)``: the label (e.g.
``"memories"``) is a collection name, the next elements are the scope ids named by ``scope_keys``
(default ``("user_id",)``, so ``("memories", user_id)`` is that user's memory), and anything after
them is a sub-folder. ``MemspanStore(memory, scope_keys=("user_id", "agent_id"))`` reads
``("memories", user_id, agent_id)``; ``scope_keys=("agent_id",)`` keeps an agent's memory shared by
its users; ``("run_id",)`` keeps one per session. Every operation runs inside the scope its
namespace names, so one user's namespace can never reach another's items, and listing or
searching needs a prefix long enough to name a scope.

Each item is one memory: its text is what gets embedded (the value's string fields, or the fields
named by ``index``), its value round-trips in the memory's metadata, and filters on the value's
top-level fields run inside the store, like every memspan filter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from langgraph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)
from langgraph.store.base.embed import get_text_at_path

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call, run_async, run_sync
from memspan.errors import FilterError, ScopeError, ValidationError
from memspan.facade import AnyFacade
from memspan.scope import SCOPE_KEYS

from .._adapter import FacadePort

NAMESPACE = "langgraph_namespace"
PREFIXES = "langgraph_prefixes"
KEY = "langgraph_key"
INDEXED = "langgraph_indexed"
VALUE = "value."  # prefix of the metadata keys holding the value's top-level fields
_PAGE = 1000
_OPERATORS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"}


def _joined(namespace: Sequence[str]) -> str:
    return ".".join(namespace)  # LangGraph forbids '.' inside namespace labels


def _value_text(value: Mapping[str, Any], fields: Sequence[str] | None) -> str:
    """What a value says, for embedding and keyword search."""
    if fields:
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
    return "\n".join(texts) or json.dumps(dict(value), sort_keys=True)


def _value_filter(spec: Mapping[str, Any]) -> dict[str, Any]:
    """LangGraph's value filter (``{"field": v}`` / ``{"field": {"$gt": v}}``) over the stored fields."""
    out: dict[str, Any] = {}
    for field, condition in spec.items():
        if isinstance(condition, Mapping):
            unknown = set(condition) - _OPERATORS
            if unknown:
                raise FilterError(
                    f"filter on {field!r}: only {', '.join(sorted(_OPERATORS))} are supported, "
                    f"not {', '.join(sorted(map(str, unknown)))} (nested-object equality is not)"
                )
        out[VALUE + field] = condition
    return out


class MemspanStore(BaseStore):
    """LangGraph's long-term store, backed by a memspan :class:`~memspan.Memory` or ``AsyncMemory``."""

    def __init__(
        self,
        memory: AnyFacade,
        *,
        scope_keys: Sequence[Literal["user_id", "agent_id", "run_id"]] = ("user_id",),
        index_fields: Sequence[str] | None = None,
    ):
        """``scope_keys`` names the scope id each namespace element after the label holds;
        ``index_fields`` (LangGraph paths like ``"text"`` or ``"facts[*]"``) choose what is embedded
        when a put does not say (by default every string in the value)."""
        keys = tuple(scope_keys)
        if not keys or len(set(keys)) != len(keys) or not set(keys) <= set(SCOPE_KEYS):
            raise ValidationError(f"scope_keys must be distinct names from {SCOPE_KEYS}, got {keys!r}")
        self.port = FacadePort(memory)
        self.scope_keys = keys
        self.index_fields = list(index_fields) if index_fields else None

    # -- namespaces and scopes -----------------------------------------------------------------

    def scope_of(self, namespace: Sequence[str]) -> Scope:
        """The scope a namespace (or a namespace prefix) names; refuses one too short to name it."""
        needed = 1 + len(self.scope_keys)
        if len(namespace) < needed or "*" in namespace[1:needed]:
            example = ("memories", *(f"<{k}>" for k in self.scope_keys))
            raise ScopeError(
                f"namespace {tuple(namespace)!r} names no scope: memspan keeps every memory in a scope, "
                f"so use at least {example!r} (this store's scope_keys are {self.scope_keys!r})"
            )
        return Scope.of(**dict(zip(self.scope_keys, namespace[1:needed], strict=True)))

    def _item(self, memory: MemoryItem) -> Item:
        meta = memory.metadata
        return Item(
            value={k[len(VALUE) :]: v for k, v in meta.items() if k.startswith(VALUE)},
            key=str(meta[KEY]),
            namespace=tuple(str(meta[NAMESPACE]).split(".")),
            created_at=datetime.fromisoformat(memory.created_at),
            updated_at=datetime.fromisoformat(memory.updated_at),
        )

    def _search_item(self, memory: MemoryItem, score: float | None = None) -> SearchItem:
        item = self._item(memory)
        return SearchItem(item.namespace, item.key, item.value, item.created_at, item.updated_at, score=score)

    def _find(self, namespace: tuple[str, ...], key: str) -> Flow[MemoryItem | None]:
        scope = self.scope_of(namespace)
        found = yield call(
            self.port,
            "get_all",
            **scope.as_dict(),
            filters={NAMESPACE: _joined(namespace), KEY: key},
            limit=1,
        )
        return found[0] if found else None

    # -- the four operations -------------------------------------------------------------------

    def _get(self, op: GetOp) -> Flow[Item | None]:
        memory = yield from self._find(op.namespace, op.key)
        return None if memory is None else self._item(memory)

    def _put(self, op: PutOp) -> Flow[None]:
        existing = yield from self._find(op.namespace, op.key)
        if op.value is None:
            if existing is not None:
                yield call(self.port, "delete", existing.id)
            return None
        fields = self.index_fields if op.index is None or op.index is False else op.index
        text = _value_text(op.value, fields)
        ns = _joined(op.namespace)
        metadata: dict[str, Any] = {
            NAMESPACE: ns,
            PREFIXES: [_joined(op.namespace[: i + 1]) for i in range(len(op.namespace))],
            KEY: op.key,
            INDEXED: op.index is not False,
        }
        metadata.update({VALUE + str(k): v for k, v in op.value.items()})
        if existing is not None:
            yield call(self.port, "update", existing.id, text, metadata=metadata)
        else:
            scope = self.scope_of(op.namespace)
            yield call(self.port, "add", text, **scope.as_dict(), metadata=metadata, infer=False)
        return None

    def _search(self, op: SearchOp) -> Flow[list[SearchItem]]:
        scope = self.scope_of(op.namespace_prefix)
        clauses: list[dict[str, Any]] = [{PREFIXES: {"contains": _joined(op.namespace_prefix)}}]
        if op.filter:
            clauses.append(_value_filter(op.filter))
        if op.query:
            clauses.append({INDEXED: {"ne": False}})  # put(..., index=False) keeps an item out of search
            found = yield call(
                self.port,
                "search",
                op.query,
                **scope.as_dict(),
                filters={"AND": clauses},
                limit=min(op.offset + op.limit, _PAGE),
            )
            return [self._search_item(m, m.score) for m in list(found)[op.offset :]]
        listed = yield call(
            self.port,
            "get_all",
            **scope.as_dict(),
            filters={"AND": clauses},
            limit=op.limit,
            offset=op.offset,
        )
        return [self._search_item(m) for m in listed]

    def _list_namespaces(self, op: ListNamespacesOp) -> Flow[list[tuple[str, ...]]]:
        prefixes = [c for c in op.match_conditions or () if c.match_type == "prefix"]
        if not prefixes:
            raise ScopeError(
                "list_namespaces needs prefix=(label, <scope id>...): memspan never lists across scopes"
            )
        scope = self.scope_of(prefixes[0].path)
        named = _joined(prefixes[0].path[: 1 + len(self.scope_keys)])
        found: set[tuple[str, ...]] = set()
        offset = 0
        while True:
            page = yield call(
                self.port,
                "get_all",
                **scope.as_dict(),
                filters={PREFIXES: {"contains": named}},
                limit=_PAGE,
                offset=offset,
            )
            for memory in page:
                namespace = tuple(str(memory.metadata[NAMESPACE]).split("."))
                if all(_matches(c, namespace) for c in op.match_conditions or ()):
                    found.add(namespace[: op.max_depth] if op.max_depth is not None else namespace)
            if len(page) < _PAGE:
                break
            offset += _PAGE
        return sorted(found)[op.offset : op.offset + op.limit]

    def _run(self, ops: Iterable[Op]) -> Flow[list[Result]]:
        results: list[Result] = []
        for op in ops:
            if isinstance(op, GetOp):
                results.append((yield from self._get(op)))
            elif isinstance(op, SearchOp):
                results.append((yield from self._search(op)))
            elif isinstance(op, PutOp):
                yield from self._put(op)
                results.append(None)
            elif isinstance(op, ListNamespacesOp):
                results.append((yield from self._list_namespaces(op)))
            else:
                raise ValidationError(f"unknown LangGraph store operation {type(op).__name__}")
        return results

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return run_sync(self._run(list(ops)))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await run_async(self._run(list(ops)))


def _matches(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    """LangGraph's namespace match: a prefix or suffix, where ``"*"`` matches any one label."""
    path = tuple(condition.path)
    if len(path) > len(namespace):
        return False
    part = (
        namespace[: len(path)]
        if condition.match_type == "prefix"
        else namespace[len(namespace) - len(path) :]
    )
    return all(p == "*" or p == n for p, n in zip(path, part, strict=True))
