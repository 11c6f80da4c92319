"""Long-term memory for the OpenAI Agents SDK, which has no memory interface of its own.

:class:`MemspanAgentMemory` is whose memory a run uses (user / agent / session ids, as in every
memspan adapter) and gives the SDK three things:

- :attr:`~MemspanAgentMemory.input_filter`, a ``RunConfig(call_model_input_filter=...)`` hook: before
  each model call it recalls what memspan knows for the newest user message and adds it to the
  instructions (the SDK's dynamic-instructions functions never see the input, this hook does);
- :meth:`~MemspanAgentMemory.tools`: ``save_memory`` / ``search_memory`` / ``forget_memory`` function tools;
- :meth:`~MemspanAgentMemory.remember_run`: after a run, hand its conversation to memspan's extractor.

Tool failures are raised, not turned into a message for the model (``failure_error_function=None``),
so a broken store stops the run instead of reading as "no memories".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from agents import FunctionTool, RunResult, RunResultStreaming, function_tool
from agents.items import TResponseInputItem
from agents.run_config import CallModelData, ModelInputData

from memspan import AddResult

from .._adapter import format_memories
from .._hosted import MemoryLike, Owner, RecallingMemory
from .._scopes import ScopeKey
from .session import MemspanSession, item_text

FRAMEWORK = "openai-agents"


def latest_user_text(items: Sequence[TResponseInputItem] | str) -> str:
    """The newest user message of a model input (the query recall searches with)."""
    if isinstance(items, str):
        return items
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            return item_text(item) if item.get("content") else ""
    return ""


def conversation(items: Sequence[TResponseInputItem]) -> list[dict[str, str]]:
    """The user and assistant messages of a run, as memspan messages (tool traffic left out)."""
    turns: list[dict[str, str]] = []
    for item in items:
        role = item.get("role") if isinstance(item, dict) else None
        if role in ("user", "assistant") and isinstance(item, dict):
            text = item_text(item)
            if item.get("content") and text.strip():
                turns.append({"role": str(role), "content": text})
    return turns


class MemspanAgentMemory(RecallingMemory):
    """One user's (and/or agent's) long-term memory for OpenAI Agents SDK runs.

    Writes carry every id given; recall looks within ``recall_within`` (default: the broadest id,
    ``user_id`` when set), so an agent serving a user also sees what the user's agents in other
    frameworks remembered. ``memory`` is a memspan ``Memory`` / ``AsyncMemory`` / server client, or
    a store path / URL opened here and closed by :meth:`close`.
    """

    framework: ClassVar[str] = FRAMEWORK

    def __init__(
        self,
        memory: MemoryLike,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        recall_within: Sequence[ScopeKey] | None = None,
        limit: int = 5,
        threshold: float | None = None,
    ) -> None:
        owner = Owner.of(user_id, agent_id, run_id, recall_within, "MemspanAgentMemory")
        self._attach_owned(memory, owner, limit=limit, threshold=threshold)

    # -- reading ---------------------------------------------------------------------------------

    async def input_filter(self, data: CallModelData[Any]) -> ModelInputData:
        """``RunConfig(call_model_input_filter=memory.input_filter)``: recalled memories join the instructions."""
        model_data = data.model_data
        found = await self.recall(latest_user_text(model_data.input))
        if not found:
            return model_data
        block = format_memories([item.text for item in found])
        instructions = f"{model_data.instructions}\n\n{block}" if model_data.instructions else block
        return ModelInputData(input=model_data.input, instructions=instructions)

    # -- writing ---------------------------------------------------------------------------------

    async def remember(self, messages: Sequence[dict[str, str]]) -> AddResult:
        """Hand messages to memspan's extractor in the write scope."""
        return await self._learn(messages)

    async def remember_run(self, result: RunResult | RunResultStreaming) -> AddResult:
        """Store what a finished run taught: its user and assistant messages, through the extractor."""
        return await self.remember(conversation(result.to_input_list()))

    # -- tools and sessions ----------------------------------------------------------------------

    def tools(self, *, search_limit: int | None = None) -> list[FunctionTool]:
        """``save_memory``, ``search_memory`` and ``forget_memory`` for ``Agent(tools=...)``.

        The model picks only the fact, query or id: whose memory it is comes from this object, so a
        model can never reach another user's memories by naming them.
        """
        return [function_tool(f, failure_error_function=None) for f in self._tool_functions(search_limit)]

    def session(self, session_id: str) -> MemspanSession:
        """The conversation ``session_id`` of this memory's user, in the same store."""
        return MemspanSession(session_id, self.port.memory, user_id=self.owner.write.user_id)
