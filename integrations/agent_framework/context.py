"""An Agent Framework ``ContextProvider`` backed by memspan: recall before a run, remember after it.

``before_run`` searches memspan with the run's new input and adds what it found to the run's
instructions (and, with ``tools=True``, the memory tools); ``after_run`` hands the turn (the input
and the agent's response) to memspan's extractor, which decides what is worth keeping. This is the
successor of AutoGen's ``Memory`` component (``update_context``), and the peer of Agent Framework's
own ``Mem0ContextProvider``, with these differences:

- one store for every framework, offline by default;
- one scope model: writes carry every id given, recall looks within ``recall_within`` (default: the
  broadest id, the whole user) instead of querying user and agent partitions separately;
- failures are raised: a search that fails stops the run (``Mem0ContextProvider`` logs a failed
  partition search and goes on with what it has, so a broken store reads as "no memories").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from agent_framework import ContextProvider, FunctionTool, Message, SessionContext, tool

from memspan.errors import ValidationError

from .._adapter import format_memories
from .._hosted import MemoryLike, Owner, RecallingMemory
from .._scopes import ScopeKey

if TYPE_CHECKING:
    from agent_framework import AgentSession, SupportsAgentRun

FRAMEWORK = "agent-framework"
SESSION_KEY = "af_session_id"


def _turn(messages: Sequence[Message]) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    for message in messages:
        role = str(message.role)
        if role in ("user", "assistant") and message.text.strip():
            turn = {"role": role, "content": message.text}
            if message.message_id:
                turn["id"] = message.message_id
            turns.append(turn)
    return turns


class MemspanContextProvider(RecallingMemory, ContextProvider):
    """Long-term memory for Agent Framework agents: ``Agent(context_providers=[MemspanContextProvider(...)])``.

    ``memory`` is a memspan memory (blocking or awaitable, embedded or a server client) or a store
    path / URL opened here and closed by :meth:`close`. ``store=False`` only recalls; ``tools=True``
    also gives the agent ``save_memory`` / ``search_memory`` / ``forget_memory``. Recalled memories
    go into the run's instructions, or with ``recall_as="message"`` into a user message before the
    input, where ``Mem0ContextProvider`` puts them (and where a history provider with
    ``store_context_messages=True`` keeps them).
    """

    framework: ClassVar[str] = FRAMEWORK
    DEFAULT_SOURCE_ID: ClassVar[str] = "memspan"
    DEFAULT_CONTEXT_PROMPT: ClassVar[str] = "Relevant long-term memories"

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
        context_prompt: str | None = None,
        source_id: str | None = None,
        recall_as: Literal["instructions", "message"] = "instructions",
    ) -> None:
        if recall_as not in ("instructions", "message"):
            raise ValidationError(f"recall_as is 'instructions' or 'message', not {recall_as!r}")
        super().__init__(source_id or self.DEFAULT_SOURCE_ID)
        self.recall_as = recall_as
        owner = Owner.of(user_id, agent_id, run_id, recall_within, "MemspanContextProvider")
        self._attach_owned(memory, owner, limit=limit, threshold=threshold)
        self.store = store
        self.context_prompt = context_prompt or self.DEFAULT_CONTEXT_PROMPT
        self._tools = self.memory_tools() if tools else []

    async def before_run(
        self, *, agent: SupportsAgentRun, session: AgentSession, context: SessionContext, state: dict[str, Any]
    ) -> None:
        """Recall for the run's new input into the instructions (and add the tools, if asked)."""
        if self._tools:
            context.extend_tools(self.source_id, self._tools)
        query = "\n".join(m.text for m in context.input_messages if m.text.strip())
        found = await self.recall(query)
        if not found:
            return
        block = format_memories([m.text for m in found], self.context_prompt)
        if self.recall_as == "message":  # where Mem0ContextProvider puts them: a user message before the input
            context.extend_messages(self.source_id, [Message(role="user", contents=[block])])
        else:
            context.extend_instructions(self.source_id, block)

    async def after_run(
        self, *, agent: SupportsAgentRun, session: AgentSession, context: SessionContext, state: dict[str, Any]
    ) -> None:
        """Hand the turn (input and response) to memspan's extractor."""
        if not self.store:
            return
        messages = list(context.input_messages)
        if context.response is not None:
            messages.extend(context.response.messages)
        turn = _turn(messages)
        if turn:
            await self._learn(turn)

    def memory_tools(self, *, search_limit: int | None = None) -> list[FunctionTool]:
        """``save_memory``, ``search_memory`` and ``forget_memory`` in this provider's scopes.

        The model picks only the fact, query or id; whose memory it is comes from the provider.
        """
        made: list[FunctionTool] = [tool(f) for f in self._tool_functions(search_limit)]  # type: ignore[misc]
        return made
