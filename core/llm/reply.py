"""The JSON a model must answer with, and a strict-but-forgiving reader for it.

Strict where it matters (every entry needs an action; UPDATE needs a ref and text; refs are
integers), forgiving where weak models stumble harmlessly (code fences, prose around the JSON,
``"NONE"`` for NOOP, a ref written as ``"3"``, a bare list instead of the wrapping object).
Anything else raises :class:`ReplyError`, whose message is sent back to the model to repair.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

Action = Literal["ADD", "UPDATE", "DELETE", "NOOP"]
MEMORY_TYPES = ("semantic", "episodic", "procedural")

REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "memories": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": {"type": "string", "enum": ["ADD", "UPDATE", "DELETE", "NOOP"]},
                    "ref": {"type": ["integer", "null"]},
                    "text": {"type": ["string", "null"]},
                    "sources": {"type": "array", "items": {"type": "integer"}},
                    "type": {"type": "string", "enum": list(MEMORY_TYPES)},
                    "reason": {"type": ["string", "null"]},
                },
                "required": ["action"],
            },
        }
    },
    "required": ["memories"],
}

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_ACTIONS = {"ADD": "ADD", "UPDATE": "UPDATE", "DELETE": "DELETE", "NOOP": "NOOP", "NONE": "NOOP"}


class ReplyError(ValueError):
    """The reply is not the JSON we asked for; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class ReplyEntry:
    """One decision as the model wrote it (refs and message indexes still unchecked)."""

    action: Action
    ref: int | None
    text: str | None
    sources: tuple[int, ...]
    memory_type: str | None
    reason: str | None


def _json_value(text: str) -> Any:
    stripped = text.strip()
    fenced = _FENCE.search(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
    if not starts:
        raise ReplyError("the reply contains no JSON object")
    try:
        value, _ = json.JSONDecoder().raw_decode(stripped, min(starts))
    except json.JSONDecodeError as exc:
        raise ReplyError(f"the reply is not valid JSON ({exc.msg} at character {exc.pos})") from None
    return value


def _int(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ReplyError(f"{where} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ReplyError(f"{where} must be an integer, got {value!r}")


def _entry(raw: object, index: int) -> ReplyEntry:
    where = f"memories[{index}]"
    if not isinstance(raw, dict):
        raise ReplyError(f"{where} must be an object, got {type(raw).__name__}")
    action = _ACTIONS.get(str(raw.get("action", raw.get("event", ""))).strip().upper())
    if action is None:
        raise ReplyError(
            f"{where}.action must be one of ADD, UPDATE, DELETE, NOOP, got {raw.get('action')!r}"
        )
    ref = _int(raw.get("ref", raw.get("id")), f"{where}.ref")
    text = raw.get("text", raw.get("memory"))
    if text is not None and not isinstance(text, str):
        raise ReplyError(f"{where}.text must be a string")
    text = text.strip() if text else None
    if action in ("ADD", "UPDATE") and not text:
        raise ReplyError(f"{where} is {action} but has no text")
    if action in ("UPDATE", "DELETE") and ref is None:
        raise ReplyError(f"{where} is {action} but names no ref of an existing memory")
    raw_sources = raw.get("sources", [])
    if raw_sources is None:
        raw_sources = []
    if not isinstance(raw_sources, list):
        raw_sources = [raw_sources]
    sources = tuple(s for s in (_int(v, f"{where}.sources") for v in raw_sources) if s is not None)
    mtype = raw.get("type")
    memory_type = mtype.strip().lower().removesuffix("_memory") if isinstance(mtype, str) else None
    if memory_type not in MEMORY_TYPES:
        memory_type = None
    reason = raw.get("reason")
    return ReplyEntry(
        action,  # type: ignore[arg-type]
        ref,
        text,
        sources,
        memory_type,
        reason.strip() if isinstance(reason, str) and reason.strip() else None,
    )


def parse_reply(text: str) -> list[ReplyEntry]:
    """Read a model's reply into entries, or raise ReplyError saying what is wrong."""
    if not text or not text.strip():
        raise ReplyError("the reply is empty")
    value = _json_value(text)
    if isinstance(value, dict):
        if "memories" not in value:
            raise ReplyError('the JSON object has no "memories" list')
        value = value["memories"]
    if not isinstance(value, list):
        raise ReplyError('"memories" must be a list')
    return [_entry(raw, i) for i, raw in enumerate(value)]
