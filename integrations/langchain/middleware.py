"""Agent middleware (LangChain 1.x) that gives any ``create_agent`` agent long-term memory.

Before each model call it searches the run's memories with the user's latest message and adds
the best ones to the system message; after the model gives its final answer for the turn (a
reply with no tool calls) it hands the exchange to memspan, whose extractor decides what is worth
remembering — unless the model saved that turn's facts itself with :func:`.memory_tools`' save
tool, so one fact is never written twice in two wordings. Scope comes from the run (see
:mod:`.context`), never from the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.config import get_config

from memspan.effects import Flow, run_async, run_sync

from .._adapter import (
    NOT_TRANSCRIPT,
    RECALLABLE,
    FacadePort,
    MemoryLike,
    format_memories,
    message_text,
    recall,
    remember,
)
from .._scopes import SCOPE_KEYS, recall_ids
from .context import RunScope, run_scope
from .tools import SAVE_TOOL


def _latest_user_text(request: ModelRequest[Any]) -> str:
    for message in reversed(request.messages):
        if isinstance(message, HumanMessage):
            return message_text(message.content).strip()
    return ""


def _saved_this_turn(request: ModelRequest[Any]) -> bool:
    """Whether the model called the save tool since the user's latest message."""
    for message in reversed(request.messages):
        if isinstance(message, HumanMessage):
            return False
        if isinstance(message, AIMessage) and any(c["name"] == SAVE_TOOL for c in message.tool_calls):
            return True
    return False


def _final_answer(response: ModelResponse[Any] | AIMessage) -> str:
    """The text of the turn's final reply, or '' while the model is still calling tools."""
    messages = [response] if isinstance(response, AIMessage) else response.result
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return "" if message.tool_calls else message_text(message.content).strip()
    return ""


class MemspanMiddleware(AgentMiddleware):
    """Recall before the model call, remember after it: ``create_agent(..., middleware=[MemspanMiddleware(m)])``."""

    def __init__(
        self,
        memory: MemoryLike,
        *,
        limit: int = 5,
        threshold: float | None = None,
        remember: bool = True,
        recall_within: Sequence[str] | None = None,
        include_store_items: bool = False,
    ):
        """``limit`` memories at most, scored at least ``threshold``, go into the prompt;
        ``remember=False`` makes the middleware read-only (e.g. when tools do the writing).
        Memories are written to the run's user and agent and recalled from the whole user unless
        ``recall_within`` narrows it (``("user_id", "agent_id")``); a LangGraph store's items
        (:class:`MemspanStore`) are the application's records and are recalled only with
        ``include_store_items=True``."""
        super().__init__()
        if recall_within is not None:
            recall_ids(
                {k: k for k in SCOPE_KEYS}, recall_within
            )  # refuse a bad name now, not at the first call
        self.recall_within = tuple(recall_within) if recall_within is not None else None
        self.filters = NOT_TRANSCRIPT if include_store_items else RECALLABLE
        self.port = FacadePort(memory)
        self.limit = limit
        self.threshold = threshold
        self.remember = remember

    def _recall(self, request: ModelRequest[Any], scope: RunScope) -> Flow[ModelRequest[Any]]:
        query = _latest_user_text(request)
        if not query:
            return request
        found = yield from recall(
            self.port,
            scope.recall(self.recall_within),
            query,
            limit=self.limit,
            threshold=self.threshold,
            filters=self.filters,
        )
        if not found:
            return request
        block = format_memories([item.text for item in found])
        prompt = request.system_prompt
        content = f"{prompt}\n\n{block}" if prompt else block
        return request.override(system_message=SystemMessage(content=content))

    def _remember(
        self, request: ModelRequest[Any], response: ModelResponse[Any], scope: RunScope
    ) -> Flow[None]:
        query, answer = _latest_user_text(request), _final_answer(response)
        # a turn whose facts the model saved with memory_tools' save tool is not written twice
        if self.remember and query and answer and not _saved_this_turn(request):
            exchange = [{"role": "user", "content": query}, {"role": "assistant", "content": answer}]
            yield from remember(self.port, scope.memories, exchange)

    def _scope(self, request: ModelRequest[Any]) -> RunScope:
        return run_scope(request.runtime.context if request.runtime else None, get_config())

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        scope = self._scope(request)
        response = handler(run_sync(self._recall(request, scope)))
        run_sync(self._remember(request, response, scope))
        return response

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        scope = self._scope(request)
        response = await handler(await run_async(self._recall(request, scope)))
        await run_async(self._remember(request, response, scope))
        return response
