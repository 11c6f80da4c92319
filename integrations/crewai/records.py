"""Translating between memspan memories and crewai's memory records (no crewai logic here)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NoReturn

from crewai.memory.types import MemoryRecord

from memspan import MemoryItem, Scope, ValidationError

#: metadata keys the crewai adapter writes on the memories it saves
AGENT_ROLE_KEY = "crewai_agent"
CATEGORIES_KEY = "categories"
FRAMEWORK_KEY = "framework"

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
    """A memspan memory as the record crewai formats into prompts; its scope path names the ids."""
    metadata = dict(item.metadata)
    categories = metadata.pop(CATEGORIES_KEY, None)
    created = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).replace(tzinfo=None)
    scope = Scope(item.user_id, item.agent_id, item.run_id)
    return MemoryRecord(
        id=item.id,
        content=item.text,
        scope="/" + "/".join(f"{key.removesuffix('_id')}/{value}" for key, value in scope.items()),
        categories=[str(c) for c in categories] if isinstance(categories, list) else [],
        metadata=metadata,
        importance=importance,
        created_at=created,
        last_accessed=created,
    )


class NoCrewStorage:
    """Stands where crewai keeps its storage backend: memspan scopes replace crewai's scope tree."""

    def __getattr__(self, name: str) -> NoReturn:
        raise ValidationError(
            f"crewai's scope-tree storage ({name}) is not used with memspan: memories are scoped by "
            "user_id / agent_id / run_id. Use recall(), list_records(), forget() or reset(), or the "
            "memspan.Memory in .backend directly."
        )
