"""Translating between memspan memories and crewai's memory records (no crewai logic here)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crewai.memory.types import MemoryRecord

from memspan import MemoryItem, Scope, ValidationError

from .scopes import PREFIXES_KEY, SCOPE_KEY, path_filter, path_metadata

#: metadata keys the crewai adapter writes on the memories it saves
AGENT_ROLE_KEY = "crewai_agent"
CATEGORIES_KEY = "categories"
FRAMEWORK_KEY = "framework"
IMPORTANCE_KEY = "importance"
PRIVATE_KEY = "crewai_private"
SOURCE_KEY = "crewai_source"

#: how crewai describes finished work before asking memory to extract from it: a crew task
#: (``Task:`` … ``Expected result:`` …) or a standalone ``Agent.kickoff`` (``Input:`` …)
_WORK_RECORD = re.compile(
    r"(?P<label>Task|Input): (?P<task>.*?)\nAgent: [^\n]*\n(?:Expected result: .*?\n)?Result: (?P<result>.*)\Z",
    re.DOTALL,
)


def task_summary(content: str) -> str:
    """``Task: <task> Result: <final answer>`` from crewai's record of finished work; other text unchanged.

    The record's result often still carries the ReAct ``Thought:``; only the final answer is kept,
    and the ``Agent:`` / ``Expected result:`` lines are dropped (the agent is the speaker already).
    """
    work = _WORK_RECORD.match(content.strip())
    if work is None:
        return content if content.strip() else ""
    result = work["result"]
    answer = " ".join(
        result.rpartition("Final Answer:")[2].split() if "Final Answer:" in result else result.split()
    )
    return f"{work['label']}: {' '.join(work['task'].split())} Result: {answer}" if answer else ""


def to_record(item: MemoryItem, importance: float) -> MemoryRecord:
    """A memspan memory as the record crewai formats into prompts.

    Its scope is the crewai path it was filed under; a memory without one (written by another
    framework, or without a path) shows the memspan ids it lives in. ``importance`` is the stored
    one, else the memory's default."""
    metadata = dict(item.metadata)
    categories = metadata.pop(CATEGORIES_KEY, None)
    path = metadata.pop(SCOPE_KEY, None)
    metadata.pop(PREFIXES_KEY, None)
    stored = metadata.pop(IMPORTANCE_KEY, None)
    private = metadata.pop(PRIVATE_KEY, False) is True
    source = metadata.pop(SOURCE_KEY, None)
    created = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).replace(tzinfo=None)
    updated = datetime.fromisoformat(item.updated_at.replace("Z", "+00:00")).replace(tzinfo=None)
    ids = Scope(item.user_id, item.agent_id, item.run_id)
    scope = (
        path
        if isinstance(path, str)
        else "/" + "/".join(f"{key.removesuffix('_id')}/{value}" for key, value in ids.items())
    )
    return MemoryRecord(
        id=item.id,
        content=item.text,
        scope=scope,
        categories=[str(c) for c in categories] if isinstance(categories, list) else [],
        metadata=metadata,
        importance=float(stored) if isinstance(stored, (int, float)) else importance,
        created_at=created,
        last_accessed=updated,
        source=source if isinstance(source, str) else None,
        private=private,
    )


def checked_importance(value: float) -> float:
    """crewai's importance, 0 to 1; anything else is refused rather than stored."""
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"importance must be between 0 and 1, got {value}")
    return float(value)


def save_metadata(
    metadata: Mapping[str, Any] | None,
    categories: list[str] | None,
    agent_role: str | None,
    *,
    path: str,
    importance: float | None,
    private: bool,
    source: str | None,
) -> dict[str, Any]:
    """The metadata a crewai save is stored with: crewai's own fields, kept so records round-trip."""
    meta: dict[str, Any] = {FRAMEWORK_KEY: "crewai", **(metadata or {}), **path_metadata(path)}
    if categories:
        meta[CATEGORIES_KEY] = list(categories)
    if agent_role:
        meta[AGENT_ROLE_KEY] = agent_role
    if importance is not None:
        meta[IMPORTANCE_KEY] = checked_importance(importance)
    if private:
        meta[PRIVATE_KEY] = True
    if source is not None:
        meta[SOURCE_KEY] = source
    return meta


def recall_filter(
    path: str, categories: list[str] | None, include_private: bool, source: str | None
) -> dict[str, Any] | None:
    """What a crewai recall adds to the id scope: the path, categories, and crewai's private rule
    (a private memory only for its own source, or when private ones are asked for)."""
    clauses: list[dict[str, Any]] = []
    by_path = path_filter(path)
    if by_path is not None:
        clauses.append(by_path)
    if categories:
        clauses.append({"OR": [{CATEGORIES_KEY: {"contains": c}} for c in categories]})
    if not include_private:
        hidden: dict[str, Any] = {PRIVATE_KEY: {"ne": True}}
        clauses.append({"OR": [hidden, {SOURCE_KEY: source}]} if source else hidden)
    return None if not clauses else clauses[0] if len(clauses) == 1 else {"AND": clauses}
