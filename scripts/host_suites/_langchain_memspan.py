"""pytest plugin: langchain-core's ``RunnableWithMessageHistory`` tests with a memspan chat history.

Loaded with ``-p _langchain_memspan`` before the test modules are imported, it replaces
``InMemoryChatMessageHistory`` (the history class those tests build, both for the session factory
and for the expected values) by a ``MemspanChatMessageHistory`` over one memspan SQLite file, each
instance a new conversation of one user; two histories compare equal when their messages do, as
``InMemoryChatMessageHistory``'s (pydantic) equality does. Nothing else in the tests changes.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

import langchain_core.chat_history
from langchain_core.messages import BaseMessage

from memspan import Memory
from memspan.integrations.langchain import MemspanChatMessageHistory

_MEMORY = Memory(os.path.join(tempfile.mkdtemp(), "history.db"))


class InMemoryChatMessageHistory(MemspanChatMessageHistory):
    def __init__(self, messages: Sequence[BaseMessage] | None = None, **_: Any) -> None:
        super().__init__(_MEMORY, uuid.uuid4().hex, user_id="host-suite")
        if messages:
            self.add_messages(messages)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MemspanChatMessageHistory) and self.messages == other.messages

    __hash__ = None  # type: ignore[assignment]


langchain_core.chat_history.InMemoryChatMessageHistory = InMemoryChatMessageHistory  # type: ignore[misc]
