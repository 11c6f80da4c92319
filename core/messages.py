"""Turning what callers pass to ``add`` into validated messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import FilterError, ValidationError
from .filters import parse_timestamp
from .validation import require_clean
from .validation import require_utf8 as require_utf8  # its old home: callers import it from here

MAX_MESSAGE_CHARS = 100_000
MAX_MESSAGES = 10_000
ROLES = ("user", "assistant", "system", "tool")

MessageLike = str | Mapping[str, Any]
MessagesInput = str | Mapping[str, Any] | Sequence[MessageLike]


@dataclass(frozen=True, slots=True)
class Message:
    """One validated message: who said what, when, and its id in the caller's transcript."""

    role: str
    content: str
    name: str | None = None
    id: str | None = None
    created_at: str | None = None

    def speaker(self) -> str:
        return self.name or self.role


def _content_text(content: object, index: int) -> str:
    if isinstance(content, str):
        return content
    # OpenAI-style content parts: keep the text parts, refuse anything else we cannot store
    if isinstance(content, Sequence) and not isinstance(content, (bytes, bytearray)):
        texts: list[str] = []
        for part in content:
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                raise ValidationError(
                    f"message {index}: only text content can be remembered, got a {type(part).__name__} part"
                )
        return "\n".join(texts)
    raise ValidationError(f"message {index}: content must be a string, got {type(content).__name__}")


def _one(raw: MessageLike, index: int, max_chars: int) -> Message:
    if isinstance(raw, str):
        raw = {"role": "user", "content": raw}
    if not isinstance(raw, Mapping):
        raise ValidationError(f"message {index}: expected a string or a mapping, got {type(raw).__name__}")
    if "content" not in raw:
        raise ValidationError(f"message {index}: missing 'content'")
    content = _content_text(raw["content"], index)
    if "\x00" in content:
        raise ValidationError(f"message {index}: content contains a NUL character")
    require_utf8(content, f"message {index}: content")
    if not content.strip():
        raise ValidationError(f"message {index}: content is empty")
    if len(content) > max_chars:
        raise ValidationError(
            f"message {index}: {len(content):,} characters is more than the limit of {max_chars:,}; "
            "split it, or raise max_message_chars on the Memory"
        )
    role = raw.get("role", "user")
    if role not in ROLES:
        raise ValidationError(f"message {index}: unknown role {role!r}; use one of {', '.join(ROLES)}")
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise ValidationError(f"message {index}: name must be a string")
    msg_id = raw.get("id", raw.get("dia_id"))
    if msg_id is not None and not isinstance(msg_id, (str, int)):
        raise ValidationError(f"message {index}: id must be a string or an integer")
    # the name reaches the memory's text and the id its source_ids: the same check as the content
    require_clean({"name": name, "id": msg_id}, f"message {index}")
    stamp = raw.get("created_at", raw.get("timestamp"))
    try:
        created_at = None if stamp is None else parse_timestamp(stamp, what="message timestamp")
    except FilterError as exc:
        raise ValidationError(f"message {index}: {exc}") from None
    return Message(
        role=role,
        content=content.strip(),
        name=name,
        id=None if msg_id is None else str(msg_id),
        created_at=created_at,
    )


def normalize_messages(messages: MessagesInput, *, max_chars: int = MAX_MESSAGE_CHARS) -> list[Message]:
    """Validate ``add``'s input: a string, one message mapping, or a list of either."""
    if isinstance(messages, (str, Mapping)):
        items: Sequence[MessageLike] = [messages]
    elif isinstance(messages, Sequence) and not isinstance(messages, (bytes, bytearray)):
        items = messages
    else:
        raise ValidationError(
            f"messages must be a string, a message mapping or a list of them, got {type(messages).__name__}"
        )
    if not items:
        raise ValidationError("no messages given")
    if len(items) > MAX_MESSAGES:
        raise ValidationError(f"{len(items):,} messages in one add; the limit is {MAX_MESSAGES:,}")
    return [_one(item, i, max_chars) for i, item in enumerate(items)]
