"""Ready-made memory tools for LangChain agents: save, search and forget.

Each tool takes only what the model should choose (a fact, a query, a memory id). Whose memory it
touches comes from the run (see :mod:`.context`), so a model can never read or delete another
user's memories by naming them; ``forget_memory`` refuses ids outside the run's scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, StructuredTool

from memspan import Event
from memspan.effects import Flow, call, run_async, run_sync
from memspan.errors import NotFoundError

from .._adapter import FacadePort, MemoryLike, recall
from .context import run_scope

#: the injected run: typed with Any so it accepts every agent's context and state schema
Runtime = ToolRuntime[Any, Any]
#: the save tool's name: a turn that called it is not remembered again by MemspanMiddleware
SAVE_TOOL = "save_memory"


def _save(port: FacadePort, text: str, runtime: Runtime) -> Flow[str]:
    scope = run_scope(runtime.context, runtime.config).memories
    result = yield call(port, "add", text, **scope.as_dict())
    saved = [c for c in result.changes if c.event in (Event.ADD, Event.UPDATE)]
    if saved:
        return "Saved: " + "; ".join(f"{c.item.text} (id {c.item.id})" for c in saved)
    if result.changes:
        return "Already remembered: " + "; ".join(c.item.text for c in result.changes)
    return "Nothing worth remembering was found in that text."


def _search(
    port: FacadePort, query: str, limit: int, within: Sequence[str] | None, runtime: Runtime
) -> Flow[str]:
    scope = run_scope(runtime.context, runtime.config).recall(within)
    found = yield from recall(port, scope, query, limit=limit, threshold=None)
    if not found:
        return "No memories match."
    return "\n".join(f"- {item.text} (id {item.id}, score {item.score:.2f})" for item in found)


def _forget(port: FacadePort, memory_id: str, within: Sequence[str] | None, runtime: Runtime) -> Flow[str]:
    scope = run_scope(runtime.context, runtime.config).recall(within)  # what it can find, it can forget
    try:  # another scope's memory is missing too: the model learns nothing about other scopes
        item = yield call(port, "delete", memory_id, **scope.as_dict())
    except NotFoundError:
        return f"No memory with id {memory_id} among this user's memories."
    return f"Forgot: {item.text}"


def memory_tools(
    memory: MemoryLike, *, search_limit: int = 5, recall_within: Sequence[str] | None = None
) -> list[BaseTool]:
    """``save_memory``, ``search_memory`` and ``forget_memory``, scoped by the run that calls them.

    Saving goes to the run's user and agent; searching and forgetting look within the whole user
    unless ``recall_within`` narrows it (``("user_id", "agent_id")``), as in every memspan adapter.
    Each tool's blocking and awaitable bodies drive the same flow, so ``invoke`` and ``ainvoke``
    behave alike.
    """
    port = FacadePort(memory)

    def save_memory(text: str, runtime: Runtime) -> str:
        return run_sync(_save(port, text, runtime))

    async def asave_memory(text: str, runtime: Runtime) -> str:
        return await run_async(_save(port, text, runtime))

    def search_memory(query: str, runtime: Runtime) -> str:
        return run_sync(_search(port, query, search_limit, recall_within, runtime))

    async def asearch_memory(query: str, runtime: Runtime) -> str:
        return await run_async(_search(port, query, search_limit, recall_within, runtime))

    def forget_memory(memory_id: str, runtime: Runtime) -> str:
        return run_sync(_forget(port, memory_id, recall_within, runtime))

    async def aforget_memory(memory_id: str, runtime: Runtime) -> str:
        return await run_async(_forget(port, memory_id, recall_within, runtime))

    described = (
        (save_memory, asave_memory, "Remember one fact about the user for future conversations."),
        (search_memory, asearch_memory, "Search what you remember about the user; shows each memory's id."),
        (forget_memory, aforget_memory, "Forget one memory, given its id as shown by search_memory."),
    )
    return [
        StructuredTool.from_function(func=func, coroutine=coro, description=text)
        for func, coro, text in described
    ]
