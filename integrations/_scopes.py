"""Which ids a framework adapter recalls within (no framework imported here).

An adapter writes to every id it was given, but recalls within a chosen subset: by default the
broadest one (``user_id`` before ``agent_id`` before ``run_id``), so an agent serving a user sees what
the user's other agents remembered, in any framework. memspan scopes are equality constraints, so
recalling within ``user_id`` alone finds memories written with any ``agent_id``/``run_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from memspan import ValidationError

ScopeKey = Literal["user_id", "agent_id", "run_id"]
SCOPE_KEYS: tuple[ScopeKey, ...] = ("user_id", "agent_id", "run_id")


def recall_ids(write_ids: Mapping[str, str], within: Sequence[str] | None) -> dict[str, str]:
    """The subset of ``write_ids`` named by ``within``; ``None`` means the broadest id that is set."""
    if not write_ids:
        raise ValidationError("a memory needs at least one of user_id, agent_id or run_id")
    if within is None:
        key = next(k for k in SCOPE_KEYS if k in write_ids)
        return {key: write_ids[key]}
    if not within:
        raise ValidationError("recall_within must name at least one of user_id, agent_id, run_id")
    missing = [k for k in within if k not in write_ids]
    if missing:
        raise ValidationError(
            f"recall_within names {', '.join(missing)}, which this memory was not given; "
            f"set {' and '.join(missing)} or leave them out of recall_within"
        )
    return {k: write_ids[k] for k in within}
