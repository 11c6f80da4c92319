"""Whose memory a LangChain run touches, read from the run itself, never from the model.

The ids come from the run's context (``agent.invoke(..., context=MemoryContext(user_id=...))``,
any object or mapping with ``user_id`` / ``agent_id`` / ``run_id``) or from its config
(``config={"configurable": {"user_id": ...}}``). A LangGraph ``thread_id`` names the session
when no ``run_id`` is given. A model's tool arguments can never choose whose memories it reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from memspan import Scope
from memspan.errors import ScopeError
from memspan.scope import SCOPE_KEYS

from .._adapter import long_term_scope
from .._scopes import recall_ids


@dataclass(frozen=True)
class MemoryContext:
    """A ready-made ``context_schema`` for agents whose memory is keyed by user, agent or session."""

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None


def _lookup(source: object, key: str) -> Any:
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


@dataclass(frozen=True)
class RunScope:
    """The three ids of one run; :attr:`memories` is where its long-term memories live."""

    user_id: str | None
    agent_id: str | None
    run_id: str | None

    @property
    def memories(self) -> Scope:
        return long_term_scope(self.user_id, self.agent_id, self.run_id)

    def recall(self, within: Sequence[str] | None = None) -> Scope:
        """Where recall looks: by default the whole user (every agent's memories of them), the
        agent when no user is named; ``within`` narrows it (``("user_id", "agent_id")``)."""
        return Scope.of(**recall_ids(self.memories.as_dict(), within), operation="recall")

    @property
    def session(self) -> Scope:
        """The transcript's scope: the session, within the user and agent when known."""
        if self.run_id is None:
            raise ScopeError("this run has no session id: pass run_id in its context or a thread_id")
        return Scope.of(self.user_id, self.agent_id, self.run_id)


def run_scope(context: object = None, config: Mapping[str, Any] | None = None) -> RunScope:
    """Read the ids from a run's context first, then from ``config["configurable"]``."""
    configurable = (config or {}).get("configurable") or {}
    ids: dict[str, str | None] = {}
    for key in SCOPE_KEYS:
        value = _lookup(context, key)
        if value is None:
            value = configurable.get(key)
        ids[key] = None if value is None else str(value)
    if ids["run_id"] is None and configurable.get("thread_id") is not None:
        ids["run_id"] = str(configurable["thread_id"])
    scope = RunScope(ids["user_id"], ids["agent_id"], ids["run_id"])
    if scope.user_id is None and scope.agent_id is None and scope.run_id is None:
        raise ScopeError(
            "this run names no memory scope: invoke the agent with context=MemoryContext(user_id=...) "
            "(create_agent(..., context_schema=MemoryContext)) or config={'configurable': {'user_id': ...}}"
        )
    return scope
