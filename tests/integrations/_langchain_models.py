"""LangChain test helpers: a scripted chat model that records what it was shown, and ways to drive
``create_agent`` runs with it (shared by the LangChain test files)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from memspan.integrations.langchain import MemoryContext

Step = AIMessage | str | Callable[[list[BaseMessage]], AIMessage]


class ScriptedModel(GenericFakeChatModel):
    """LangChain's fake chat model, able to bind tools, answer from what it was shown, and record it."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kw)


def scripted(*steps: Step) -> ScriptedModel:
    def play(model: list[ScriptedModel]) -> Iterator[AIMessage | str]:
        for step in steps:
            yield step(model[0].seen[-1]) if callable(step) else step

    holder: list[ScriptedModel] = []
    model = ScriptedModel(messages=play(holder), seen=[])
    holder.append(model)
    return model


def call(name: str, **args: Any) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call-{uuid.uuid4().hex[:8]}"}])


def system_text(messages: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages if isinstance(m, SystemMessage))


def ask(agent: Any, text: str, **ids: str) -> dict[str, Any]:
    return agent.invoke({"messages": [{"role": "user", "content": text}]}, context=MemoryContext(**ids))
