"""Which memspan scope a LangGraph namespace lives in: a mapping the user states.

LangGraph leaves the namespace layout to the application (``("memories", user_id)``,
``(user_id, "chitchat")``, ``("users",)`` with the user id as the key, ...); memspan keeps every
memory inside a scope so one user can never reach another's. A :data:`NamespaceScope` bridges the
two: given a namespace (or a search/list prefix) and the run's config, it names the scope. The
whole namespace is kept with each item, so prefix search and ``list_namespaces`` behave as in
LangGraph's own stores *within* that scope.

- :func:`fixed` — one tenant scope for the whole store (``fixed(user_id="acme")``);
- :func:`by_position` — scope ids read from namespace positions (``by_position(user_id=0)`` for
  LangGraph's ``(user_id, "chitchat")``; the default is ``by_position(user_id=1)``, i.e.
  ``("memories", user_id, ...)``);
- :func:`from_run` — the ids of the run calling the store (its context or
  ``config["configurable"]``, as the middleware reads them), for ``("users",)``-style layouts;
- any callable ``(namespace, config) -> Scope | {"user_id": ...}``.

Namespace elements are free text in LangGraph (``"José"``, ``"john smith"``) but scope ids are
restricted (see :func:`memspan.scope.validate_id`); :func:`scope_id` maps any string to a valid id,
unchanged when it already is one, so ``memory.delete_all(user_id=scope_id("José"))`` erases what
the store filed under that user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    SearchOp,
)

from memspan import Scope
from memspan.errors import ScopeError, ValidationError
from memspan.scope import SCOPE_KEYS, validate_id

from .context import run_scope

ScopeKey = Literal["user_id", "agent_id", "run_id"]
#: a namespace (or prefix) and the run's config (``None`` outside a run) to the scope it lives in
NamespaceScope = Callable[[tuple[str, ...], Mapping[str, Any] | None], "Scope | Mapping[str, str]"]

_ENCODED = "u8:"


def scope_id(value: str) -> str:
    """``value`` as a memspan scope id: itself when valid, else ``u8:`` + its UTF-8 bytes in hex."""
    if not isinstance(value, str) or not value:
        raise ScopeError(f"a namespace element naming a scope must be a non-empty string, got {value!r}")
    try:
        if not value.startswith(_ENCODED):
            return validate_id("scope id", value)
    except ScopeError:
        pass
    encoded = _ENCODED + value.encode().hex()
    if len(encoded) > 255:
        raise ScopeError(
            f"{value[:40]!r}... is too long to name a scope ({len(value.encode())} bytes; at most 126)"
        )
    return encoded


def to_scope(named: Scope | Mapping[str, str]) -> Scope:
    """A mapping's ids made valid with :func:`scope_id`; a :class:`Scope` as it is."""
    if isinstance(named, Scope):
        if named.is_empty():
            raise ScopeError("the namespace mapping returned an empty scope")
        return named
    if not isinstance(named, Mapping):
        raise ValidationError(
            f"a namespace mapping must return a Scope or a mapping, got {type(named).__name__}"
        )
    unknown = set(named) - set(SCOPE_KEYS)
    if unknown:
        raise ValidationError(f"a scope names only {SCOPE_KEYS}, not {sorted(unknown)}")
    return Scope.of(
        **{k: scope_id(str(v)) for k, v in named.items() if v is not None}, operation="this namespace"
    )


def fixed(scope: Scope | None = None, **ids: str) -> NamespaceScope:
    """Every namespace in one scope: ``fixed(user_id="acme")`` or ``fixed(Scope(...))``."""
    chosen = to_scope(scope if scope is not None else ids)

    def mapping(namespace: tuple[str, ...], config: Mapping[str, Any] | None) -> Scope:
        return chosen

    mapping.independent_of_namespace = True  # type: ignore[attr-defined]
    mapping.fixed_scope = chosen  # type: ignore[attr-defined]
    return mapping


def by_position(**positions: int) -> NamespaceScope:
    """Scope ids read from namespace positions: ``by_position(user_id=0)`` files
    ``(user_id, "chitchat")`` under that user; ``by_position(user_id=1, agent_id=2)`` reads
    ``("memories", user_id, agent_id)``. A prefix too short to name them is refused."""
    if not positions or not set(positions) <= set(SCOPE_KEYS):
        raise ValidationError(f"by_position names positions of {SCOPE_KEYS}, got {sorted(positions)}")
    if any(not isinstance(p, int) or p < 0 for p in positions.values()):
        raise ValidationError("namespace positions are non-negative integers")
    needed = max(positions.values()) + 1

    def mapping(namespace: tuple[str, ...], config: Mapping[str, Any] | None) -> Scope:
        if len(namespace) < needed or any(namespace[p] == "*" for p in positions.values()):
            layout = ["<any>"] * needed
            for key, p in positions.items():
                layout[p] = f"<{key}>"
            raise ScopeError(
                f"namespace {namespace!r} names no scope: this store reads "
                f"{', '.join(f'{k} from position {p}' for k, p in positions.items())}, so a namespace "
                f"(or search/list prefix) needs at least {tuple(layout)!r}; state another mapping with "
                "MemspanStore(memory, scope=...) for other layouts"
            )
        return to_scope({key: namespace[p] for key, p in positions.items()})

    return mapping


def from_run(*, fallback: Scope | Mapping[str, str] | None = None) -> NamespaceScope:
    """The scope of the run calling the store: its context (``MemoryContext(user_id=...)``) or
    ``config["configurable"]``; ``fallback`` when the store is used outside a run."""
    default = to_scope(fallback) if fallback is not None else None

    def mapping(namespace: tuple[str, ...], config: Mapping[str, Any] | None) -> Scope:
        context = _run_context()
        if config is None and context is None:
            if default is not None:
                return default
            raise ScopeError(
                "this store takes its scope from the run, but it was called outside a LangGraph run: "
                "call it inside the graph, or give MemspanStore(..., scope=from_run(fallback=...))"
            )
        return run_scope(context, config).memories

    mapping.independent_of_namespace = True  # type: ignore[attr-defined]
    return mapping


def _run_context() -> object:
    try:
        from langgraph.runtime import get_runtime
    except ImportError:  # pragma: no cover - older langgraph
        return None
    try:
        runtime = get_runtime()
    except (RuntimeError, LookupError, KeyError):  # outside a run
        return None
    return getattr(runtime, "context", None)


def current_config() -> Mapping[str, Any] | None:
    """The config of the LangGraph run calling the store, or ``None`` outside one."""
    from langgraph.config import get_config

    try:
        return get_config()
    except RuntimeError:
        return None


def fixed_scope(mapping: NamespaceScope) -> Scope | None:
    """The one scope of a :func:`fixed` mapping, else ``None``."""
    return getattr(mapping, "fixed_scope", None)


def independent_of_namespace(mapping: NamespaceScope) -> bool:
    """Whether the mapping names the same scope for every namespace (so ``()`` is a valid prefix)."""
    return bool(getattr(mapping, "independent_of_namespace", False))


def check_labels(op: Op) -> None:
    """LangGraph's label rules for ops handed straight to ``batch`` (its methods check them too)."""
    if isinstance(op, (GetOp, PutOp)):
        paths = [op.namespace]
    elif isinstance(op, SearchOp):
        paths = [op.namespace_prefix]
    elif isinstance(op, ListNamespacesOp):
        paths = [c.path for c in op.match_conditions or ()]
    else:
        return
    for path in paths:
        for label in path:
            if not isinstance(label, str) or not label or "." in label or "\x00" in label:
                raise InvalidNamespaceError(
                    f"invalid namespace label {label!r} in {tuple(path)!r}: labels are non-empty strings "
                    "without '.' or NUL"
                )


def matches(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
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
