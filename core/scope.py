"""Scopes: whose memory a call touches.

Every call names at least one of ``user_id``, ``agent_id`` and ``run_id``. The ids given are
equality constraints that are always applied by the store, never by user-supplied filters, so a
call scoped to one user can only ever see that user's memories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ScopeError

SCOPE_KEYS: tuple[str, ...] = ("user_id", "agent_id", "run_id")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+\-/]{0,254}$")


def validate_id(name: str, value: object) -> str:
    """Return ``value`` if it is an acceptable scope or memory id, else raise :class:`ScopeError`."""
    if not isinstance(value, str):
        raise ScopeError(f"{name} must be a string, got {type(value).__name__}")
    if not _ID_PATTERN.fullmatch(value):  # match() lets '$' accept a trailing newline
        raise ScopeError(
            f"{name}={value!r} is not a valid id: use 1-255 characters from letters, digits and "
            "'._:@+-/', starting with a letter or digit"
        )
    return value


@dataclass(frozen=True, slots=True)
class Scope:
    """Which memories a call may see: the given ids must all match."""

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None

    def __post_init__(self) -> None:
        for key in SCOPE_KEYS:
            value = getattr(self, key)
            if value is not None:
                validate_id(key, value)

    @classmethod
    def of(
        cls,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        *,
        operation: str = "this call",
    ) -> Scope:
        """Build a scope and insist that it is not empty."""
        scope = cls(user_id=user_id, agent_id=agent_id, run_id=run_id)
        if scope.is_empty():
            raise ScopeError(
                f"{operation} needs a scope: pass at least one of user_id=, agent_id= or run_id="
            )
        return scope

    def is_empty(self) -> bool:
        return self.user_id is None and self.agent_id is None and self.run_id is None

    def items(self) -> list[tuple[str, str]]:
        """The (key, id) pairs that are set."""
        return [(k, v) for k in SCOPE_KEYS if (v := getattr(self, k)) is not None]

    def as_dict(self) -> dict[str, str]:
        return dict(self.items())

    def contains(self, user_id: str | None, agent_id: str | None, run_id: str | None) -> bool:
        """Whether a memory owned by these ids falls inside this scope."""
        owner = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
        return all(owner[k] == v for k, v in self.items())

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.items()) or "<empty scope>"
