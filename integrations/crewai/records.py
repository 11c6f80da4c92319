"""Translating between memspan memories and crewai's memory records (no crewai logic here)."""

from __future__ import annotations

import re
from datetime import datetime

from crewai.memory.types import MemoryRecord

from memspan import MemoryItem, Scope

from .scopes import PREFIXES_KEY, SCOPE_KEY

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
