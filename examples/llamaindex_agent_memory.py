"""LlamaIndex agents with memspan memory, offline: agent memory, a memory block, a chat store.

1. ``FunctionAgent.run(..., memory=MemspanMemory(...))``: Alice tells the agent something in one
   session and it is recalled in the next; Bob sees none of it.
2. LlamaIndex's own ``Memory`` with a :class:`MemspanMemoryBlock`: turns that overflow the
   short-term buffer are flushed into memspan and recalled on every later turn.
3. ``ChatMemoryBuffer`` over :class:`MemspanChatStore`: a chat engine's transcript survives the
   engine.

The LLM is LlamaIndex's ``MockFunctionCallingLLM`` playing a script, so no key or network is
needed; embeddings come from memspan's bundled MiniLM and everything lands in one SQLite file.

    python examples/llamaindex_agent_memory.py [--db PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.memory import Memory as LlamaMemory

from memspan import Memory
from memspan.integrations.llamaindex import MemspanChatStore, MemspanMemory, MemspanMemoryBlock


class Script:
    """Scripted replies for the mock LLM; keeps the messages of the latest call to print them."""

    def __init__(self) -> None:
        self.last: list[ChatMessage] = []

    def __call__(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.last = list(messages)
        return ChatMessage(
            role=MessageRole.ASSISTANT, content=f"(answered after reading {len(messages)} messages)"
        )

    def recalled(self) -> str:
        system = "\n".join(m.content or "" for m in self.last if m.role == MessageRole.SYSTEM)
        lines = [line for line in system.splitlines() if line.startswith("- ")]
        return "\n".join(f"    {line}" for line in lines) or "    (nothing)"


async def agent_memory(memory: Memory, script: Script) -> None:
    agent = FunctionAgent(
        llm=MockFunctionCallingLLM(response_generator=script), system_prompt="You are a concierge."
    )
    turns = [
        ("alice", "monday", "I'm vegetarian and I'm allergic to peanuts."),
        ("alice", "tuesday", "What should I cook tonight?"),
        ("bob", "tuesday", "What should I cook tonight?"),
    ]
    for user, session, text in turns:
        await agent.run(text, memory=MemspanMemory.from_defaults(memory, user_id=user, run_id=session))
        print(f"[{user}/{session}] user: {text}\n  recalled:\n{script.recalled()}")


async def memory_block(memory: Memory, script: Script) -> None:
    agent = FunctionAgent(
        llm=MockFunctionCallingLLM(response_generator=script), system_prompt="You are a concierge."
    )
    block = MemspanMemoryBlock(memory=memory, user_id="carol")
    short_term = LlamaMemory.from_defaults(
        session_id="carol-chat",
        token_limit=60,
        chat_history_token_ratio=0.5,
        token_flush_size=10,
        memory_blocks=[block],
    )
    for text in (
        "My sister Jana lives in Brno.",
        "I collect fountain pens.",
        "My flight lands at 9pm.",
        "Who lives in Brno?",
    ):
        await agent.run(text, memory=short_term)
    print("[carol] flushed into memspan:", [m.text for m in memory.get_all(user_id="carol")])
    print(f"[carol] user: Who lives in Brno?\n  recalled:\n{script.recalled()}")


def chat_store(memory: Memory, script: Script) -> None:
    store = MemspanChatStore(memory=memory)
    llm = MockFunctionCallingLLM(response_generator=script)
    for text in ("Hi, I'm Dave.", "What's my name?"):  # a new engine each time, one session key
        buffer = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key="dave-session")
        SimpleChatEngine.from_defaults(llm=llm, memory=buffer).chat(text)
    print(
        "[dave-session] transcript:",
        [f"{m.role.value}: {m.content}" for m in store.get_messages("dave-session")],
    )


def main(db: Path) -> None:
    script = Script()
    with Memory(db) as memory:
        print("1. agent memory")
        asyncio.run(agent_memory(memory, script))
        print("\n2. memory block")
        asyncio.run(memory_block(memory, script))
        print("\n3. chat store")
        chat_store(memory, script)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path(tempfile.mkdtemp()) / "memspan.db")
    main(parser.parse_args().db)
