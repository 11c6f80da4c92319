"""A LangChain agent with long-term memory, offline: middleware recall, memory tools, two users.

``create_agent`` gets :class:`MemspanMiddleware` (recall before each model call, remember after the
final answer) and the ``save_memory`` / ``search_memory`` / ``forget_memory`` tools. Whose memory
a run touches comes from its context, never from the model. The model is LangChain's own
``GenericFakeChatModel`` playing a script, so no key or network is needed; embeddings come from
memspan's bundled MiniLM and everything lands in one SQLite file.

    python examples/langchain_agent_memory.py [--db PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from memspan import Memory
from memspan.integrations.langchain import MemoryContext, MemspanMiddleware, memory_tools


class ScriptedModel(GenericFakeChatModel):
    """The fake model, able to take tools, and keeping what it was shown so we can print it."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:  # type: ignore[override]
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kw)


def tool_call(name: str, **args: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call-{name}"}])


def recalled(model: ScriptedModel) -> str:
    """The memories memspan put into the system message of the model's latest call."""
    systems = [str(m.content) for m in model.seen[-1] if isinstance(m, SystemMessage)]
    _, found, memories = (systems[0] if systems else "").partition("Relevant long-term memories:\n")
    return "\n".join(f"    {line}" for line in memories.splitlines()) if found else "    (nothing)"


def main(db: Path) -> None:
    model = ScriptedModel(
        messages=iter(
            [
                "Noted: no peanuts, and vegetarian.",  # alice, session 1
                tool_call("save_memory", text="Alice's sister Jana lives in Brno."),
                "Saved that.",
                "How about a lentil curry?",  # alice, session 2
                tool_call("search_memory", query="family"),
                "Your sister Jana lives in Brno.",
                "Any snack you like!",  # bob
            ]
        )
    )
    with Memory(db) as memory:
        agent = create_agent(
            model,
            memory_tools(memory),
            system_prompt="You are a helpful concierge.",
            middleware=[MemspanMiddleware(memory)],
            context_schema=MemoryContext,
        )

        def say(text: str, **ids: str) -> list[BaseMessage]:
            state = agent.invoke(
                {"messages": [{"role": "user", "content": text}]}, context=MemoryContext(**ids)
            )
            print(f"\n[{ids['user_id']}/{ids.get('run_id')}] user: {text}")
            print(f"  memspan recalled for the model:\n{recalled(model)}")
            for message in state["messages"]:
                if isinstance(message, ToolMessage):
                    print(f"  tool {message.name}: {message.content}")
            print(f"  assistant: {state['messages'][-1].content}")
            return list(state["messages"])

        say("I'm vegetarian and allergic to peanuts.", user_id="alice", run_id="monday")
        say("Please remember that my sister Jana lives in Brno.", user_id="alice", run_id="monday")
        say("What should I cook tonight?", user_id="alice", run_id="tuesday")
        say("What do you know about my family?", user_id="alice", run_id="tuesday")
        say("What should I cook tonight?", user_id="bob", run_id="tuesday")

        print("\nalice's memories:", [m.text for m in memory.get_all(user_id="alice")])
        print("bob's memories:  ", [m.text for m in memory.get_all(user_id="bob")])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp()) / "memspan.db")
    main(parser.parse_args().db)
