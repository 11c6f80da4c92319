"""The one check every string bound for a store passes: valid UTF-8, no NUL.

Python hands over invalid UTF-8 it was given as lone surrogates (``"\\udc80"``). SQLite's JSON
columns keep them, and then every reader that encodes the row (a REST response, ``memspan export``,
PostgreSQL) fails for the whole user or store. PostgreSQL refuses NUL in text and JSON. So text,
ids, names and metadata (keys and values, however nested) are checked before anything is written,
on every path: ``Memory.add``/``update`` (messages and metadata), ``memspan import`` and
``migrate`` (whole records), and so REST and MCP, which call them. Readers use :func:`record_problem`
to skip, and report, a bad row already on disk.

Error messages name a bad value with ``ascii()``, so the message itself can always be encoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import ValidationError
from .scope import validate_id
from .types import HistoryEvent, MemoryItem

_MAX_DEPTH = 64


def require_utf8(text: str, what: str) -> None:
    """Refuse text with lone surrogates (what Python makes of invalid UTF-8 it was handed):
    no store or model can take it, and it would fail deep inside a write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{what} is not valid UTF-8 text (it contains a lone surrogate)") from None


def _bad_string(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8 text (it contains a lone surrogate)"
    return None


def find_bad_text(value: object, where: str, depth: int = 0) -> str | None:
    """The first string inside ``value`` (a string, or mappings and lists of them, keys included)
    that no store can take, as ``"<where>: <why>"``; ``None`` when all are fine."""
    if depth > _MAX_DEPTH:
        return f"{where} is nested too deeply"
    if isinstance(value, str):
        why = _bad_string(value)
        return f"{where} {why}" if why else None
    if isinstance(value, Mapping):
        for key, inner in value.items():
            label = f"{where}[{key!a}]"
            if isinstance(key, str) and (why := _bad_string(key)):
                return f"{where} key {key!a} {why}"
            if problem := find_bad_text(inner, label, depth + 1):
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for index, inner in enumerate(value):
            if problem := find_bad_text(inner, f"{where}[{index}]", depth + 1):
                return problem
    return None


def require_clean(value: object, where: str) -> None:
    """Raise :class:`ValidationError` when :func:`find_bad_text` finds a problem."""
    if problem := find_bad_text(value, where):
        raise ValidationError(problem)


def record_problem(item: MemoryItem, events: Sequence[HistoryEvent] = ()) -> str | None:
    """Why a whole record (from a store or an import file) cannot be stored or shown, or ``None``."""
    for name in ("id", "text", "hash", "created_at", "updated_at"):
        if not isinstance(getattr(item, name), str):
            return f"memory {item.id!a}: {name} must be a string"
    if not isinstance(item.metadata, Mapping):
        return f"memory {item.id!a}: metadata must be a mapping"
    for name in ("user_id", "agent_id", "run_id"):
        value = getattr(item, name)
        if value is not None:
            try:
                validate_id(name, value)
            except ValidationError as exc:
                return f"memory {item.id!a}: {exc}"
    fields: list[tuple[str, Any]] = [
        ("id", item.id),
        ("text", item.text),
        ("metadata", item.metadata),
        ("source_ids", list(item.source_ids)),
        ("timestamps", [item.created_at, item.updated_at, item.deleted_at]),
    ]
    for index, event in enumerate(events):
        fields.append((f"history[{index}]", [event.memory_id, event.old_text, event.new_text, event.reason]))
        fields.append((f"history[{index}] metadata", [event.old_metadata, event.new_metadata]))
    for name, value in fields:
        if problem := find_bad_text(value, name):
            return f"memory {item.id!a}: {problem}"
    return None


def split_valid(items: Iterable[MemoryItem]) -> tuple[list[MemoryItem], list[str]]:
    """(items every reader can encode, ``ascii()`` of the ids of the rest) — for readers that skip
    a bad row already on disk and report it instead of failing for the whole user."""
    good: list[MemoryItem] = []
    bad: list[str] = []
    for item in items:
        if record_problem(item) is None:
            good.append(item)
        else:
            bad.append(ascii(item.id)[1:-1] if isinstance(item.id, str) else repr(item.id))
    return good, bad
