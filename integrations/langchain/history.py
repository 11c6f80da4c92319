"""A session transcript for LangChain, kept in memspan under the session's ``run_id``.

Each message is stored verbatim (no extraction) as one memory marked as transcript, with the
whole LangChain message in its metadata so tool calls and names round-trip. Recall in the other
adapters skips transcript messages, so remembered facts are not crowded out by raw turns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.chat_history import BaseChatMessageHistory
from langchain_core.messages import AIMessage, BaseMessage, message_to_dict, messages_from_dict

from memspan import AsyncMemory, Memory, MemoryItem, Scope
from memspan.effects import Flow, call, run_async, run_sync

from ._facade import TRANSCRIPT, FacadePort, message_text

FORMAT = "transcript_format"
POSITION = "transcript_position"
MESSAGE = "langchain_message"
_PAGE = 1000
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _text(message: BaseMessage) -> str:
    """Searchable text of a message; a tool-calling turn with no text names the tools it called."""
    text = message_text(message.content).strip()
    if not text and isinstance(message, AIMessage) and message.tool_calls:
        text = "(called " + ", ".join(c["name"] for c in message.tool_calls) + ")"
    return text or f"({message.type} message)"


class MemspanChatMessageHistory(BaseChatMessageHistory):
    """The messages of one session (``run_id``), optionally within a user and/or agent."""

    def __init__(
        self,
        memory: Memory | AsyncMemory,
        run_id: str,
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
    ):
        self.port = FacadePort(memory)
        self.scope = Scope.of(user_id, agent_id, run_id)

    def _load(self) -> Flow[list[MemoryItem]]:
        items: list[MemoryItem] = []
        while True:
            page = yield call(
                self.port,
                "get_all",
                **self.scope.as_dict(),
                filters={FORMAT: "langchain", TRANSCRIPT: True},
                limit=_PAGE,
                offset=len(items),
            )
            items.extend(page)
            if len(page) < _PAGE:
                return sorted(items, key=lambda item: int(item.metadata[POSITION]))

    def _messages(self) -> Flow[list[BaseMessage]]:
        items = yield from self._load()
        return messages_from_dict([item.metadata[MESSAGE] for item in items])

    def _add(self, messages: Sequence[BaseMessage]) -> Flow[None]:
        items = yield from self._load()
        position = int(items[-1].metadata[POSITION]) + 1 if items else 0
        for offset, message in enumerate(messages):
            metadata: dict[str, Any] = {
                TRANSCRIPT: True,
                FORMAT: "langchain",
                POSITION: position + offset,
                MESSAGE: message_to_dict(message),
            }
            entry = {"role": _ROLES.get(message.type, "user"), "content": _text(message)}
            yield call(self.port, "add", entry, **self.scope.as_dict(), metadata=metadata, infer=False)

    def _clear(self) -> Flow[None]:
        items = yield from self._load()
        for item in items:
            yield call(self.port, "delete", item.id)

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]
        return run_sync(self._messages())

    async def aget_messages(self) -> list[BaseMessage]:
        return await run_async(self._messages())

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        run_sync(self._add(list(messages)))

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        await run_async(self._add(list(messages)))

    def clear(self) -> None:
        run_sync(self._clear())

    async def aclear(self) -> None:
        await run_async(self._clear())
