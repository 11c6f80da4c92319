"""The one scope model every framework adapter follows (no framework imported here).

- **Writes** carry every id the adapter was given (``user_id``, ``agent_id``, ``run_id``).
- **Recall** looks within a chosen subset, ``recall_within``: by default the broadest id given
  (``user_id`` before ``agent_id`` before ``run_id``), so an agent serving a user sees what the user's
  other agents remembered, in any framework; ``recall_within=("user_id", "agent_id")`` narrows it to
  one agent. memspan scopes are equality constraints, so recalling within ``user_id`` alone finds
  memories written with any ``agent_id``/``run_id``.
- **Chat histories** (verbatim transcripts) are keyed by their owner *and* their conversation:
  :func:`conversation_key` derives the transcript's ``run_id`` from both, so two users who both call
  a conversation ``"1"`` never share one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Literal

from memspan import ValidationError
from memspan.scope import validate_id

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


def conversation_key(conversation: str, user_id: str | None = None, agent_id: str | None = None) -> str:
    """The ``run_id`` a conversation's transcript is kept under.

    The conversation id itself when nobody owns it (then use an id no other user can guess, such as
    a UUID); else a digest of owner and conversation, unambiguous whatever characters they hold, so
    the same conversation id of two users (or two agents) names two transcripts.
    """
    validate_id("conversation id", conversation)
    if user_id is None and agent_id is None:
        return conversation
    owner = [validate_id("user_id", user_id) if user_id is not None else ""]
    owner.append(validate_id("agent_id", agent_id) if agent_id is not None else "")
    digest = hashlib.sha256("\x1f".join([*owner, conversation]).encode()).hexdigest()[:40]
    return f"chat-{digest}"
