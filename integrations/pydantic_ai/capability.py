"""memspan as a pydantic-ai capability: ``Agent(..., capabilities=[MemspanMemory(...)])``.

A capability is pydantic-ai's composable unit of agent behaviour. :class:`MemspanMemory` contributes:

- dynamic instructions: what memspan recalls for the run's user prompt, added before the model sees it;
- a toolset (``tools=True``): ``save_memory`` / ``search_memory`` / ``forget_memory``;
- ``after_run``: the run's new user and model text goes to memspan's extractor (``store=False`` turns
  it off), so what a run taught is there for the next one, in any framework.

Per-user capabilities can be given per run, ``agent.run(prompt, capabilities=[MemspanMemory(m, user_id=u)])``,
so one agent serves many users. Failures are raised: a store that fails stops the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic_ai import RunContext
from pydantic_ai.capabilities import AbstractCapability
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.run import AgentRunResult
from pydantic_ai.toolsets import FunctionToolset

from .._adapter import format_memories
from .._hosted import MemoryLike, Owner, RecallingMemory
from .._scopes import ScopeKey

FRAMEWORK = "pydantic-ai"


def prompt_text(prompt: object) -> str:
    """The text of a user prompt: a string, or the strings of a multimodal prompt."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, Sequence):
        return "\n".join(part for part in prompt if isinstance(part, str))
    return ""


def conversation(messages: Sequence[ModelMessage]) -> list[dict[str, str]]:
    """The user prompts and model text of a run (tool traffic and instructions left out)."""
    turns: list[dict[str, str]] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and prompt_text(part.content).strip():
                    turns.append({"role": "user", "content": prompt_text(part.content)})
        elif isinstance(message, ModelResponse):
            text = "".join(part.content for part in message.parts if isinstance(part, TextPart))
            if text.strip():
                turns.append({"role": "assistant", "content": text})
    return turns


@dataclass(init=False)
class MemspanMemory(RecallingMemory, AbstractCapability[Any]):
    """A user's (and/or agent's) long-term memory for pydantic-ai agents.

    Writes carry every id given; recall looks within ``recall_within`` (default: the broadest id,
    ``user_id`` when set), so the agent also sees what this user's agents in other frameworks
    remembered. ``memory`` is a memspan memory (blocking or awaitable, embedded or a server
    client) or a store path / URL opened here and closed by :meth:`close`.
    """

    framework: ClassVar[str] = FRAMEWORK
    owner: Owner = field(repr=False)
    limit: int = 5
    threshold: float | None = None
    store: bool = True
    tools: bool = False

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
        store: bool = True,
        tools: bool = False,
    ) -> None:
        owner = Owner.of(user_id, agent_id, run_id, recall_within, "MemspanMemory")
        self._attach_owned(memory, owner, limit=limit, threshold=threshold)
        self.store, self.tools = store, tools

    async def _instructions(self, ctx: RunContext[Any]) -> str:
        found = await self.recall(prompt_text(ctx.prompt))
        return format_memories([item.text for item in found]) if found else ""

    def get_instructions(self) -> Any:
        return self._instructions

    def get_toolset(self) -> FunctionToolset[Any] | None:
        return self.toolset() if self.tools else None

    async def after_run(self, ctx: RunContext[Any], *, result: AgentRunResult[Any]) -> AgentRunResult[Any]:
        if self.store:
            turn = conversation(result.new_messages())
            if turn:
                await self._learn(turn)
        return result

    def toolset(self, *, search_limit: int | None = None) -> FunctionToolset[Any]:
        """``save_memory``, ``search_memory`` and ``forget_memory`` in this memory's scopes.

        The model picks only the fact, the query or the id; whose memory it is comes from here.
        """
        return FunctionToolset(list(self._tool_functions(search_limit)), max_retries=0)
