"""LlamaIndex integration, driven through real FunctionAgent and chat-engine runs with a scripted LLM."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.core.chat_engine import SimpleChatEngine
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.memory import Memory as LlamaMemory
from llama_index.core.tools import FunctionTool

from memspan import AsyncMemory, Memory
from memspan.errors import ScopeError
from memspan.integrations.llamaindex import MemspanChatStore, MemspanMemory, MemspanMemoryBlock
from memspan.ports import Embedder

from .conftest import load_example, python_blocks, run_block

# FunctionAgent inspects its own pydantic members when built; the deprecation warnings are LlamaIndex's
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:inspect")


class Script:
    """Replies in order and records every message list the LLM was given."""

    def __init__(self, *replies: str | ChatMessage):
        self.replies = list(replies)
        self.seen: list[list[ChatMessage]] = []

    def __call__(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.seen.append(list(messages))
        reply = self.replies.pop(0)
        return (
            reply
            if isinstance(reply, ChatMessage)
            else ChatMessage(role=MessageRole.ASSISTANT, content=reply)
        )

    def system(self, call: int = -1) -> str:
        return "\n".join(m.content or "" for m in self.seen[call] if m.role == MessageRole.SYSTEM)


def agent(script: Script, tools: Sequence[FunctionTool] = ()) -> FunctionAgent:
    llm = MockFunctionCallingLLM(response_generator=script)
    return FunctionAgent(llm=llm, tools=list(tools), system_prompt="You are a concierge.")


def tool_call(name: str, **kwargs: Any) -> ChatMessage:
    block = ToolCallBlock(tool_call_id=f"tc-{name}", tool_name=name, tool_kwargs=kwargs)
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=[block])


async def test_agent_memory_recalls_across_sessions_and_keeps_users_apart(memory: Memory) -> None:
    script = Script("Noted.", "The lentil curry.", "Anything you like.")
    concierge = agent(script)
    await concierge.run(
        "I am vegetarian.", memory=MemspanMemory.from_defaults(memory, user_id="alice", run_id="s1")
    )
    assert [m.text for m in memory.get_all(user_id="alice")] == ["I am vegetarian."]

    await concierge.run(
        "What should I order tonight?",
        memory=MemspanMemory.from_defaults(memory, user_id="alice", run_id="s2"),
    )
    assert "- I am vegetarian." in script.system()
    assert script.system().startswith("You are a concierge.")
    assert "What should I order tonight?" not in script.system()  # the message being answered is not recalled

    await concierge.run(
        "What should I order tonight?", memory=MemspanMemory.from_defaults(memory, user_id="bob", run_id="s3")
    )
    assert "vegetarian" not in script.system()
    assert "vegetarian" not in " ".join(m.text for m in memory.get_all(user_id="bob"))


async def test_agent_memory_scopes_agent_and_run(memory: Memory) -> None:
    script = Script("Refunds take five days.", "As I said, five days.", "Hello.")
    concierge = agent(script)
    bot = MemspanMemory.from_defaults(memory, agent_id="travel-bot")
    await concierge.run("How long do refunds take?", memory=bot)
    await concierge.run(
        "Remind me about refund timing", memory=MemspanMemory.from_defaults(memory, agent_id="travel-bot")
    )
    assert "Refunds take five days." in script.system()  # an agent's memory includes its own answers
    anonymous = MemspanMemory.from_defaults(memory, run_id="guest-1")
    await concierge.run("Hi, I need refund help", memory=anonymous)
    assert "five days" not in script.system()  # a run-only session sees only itself
    assert {m.run_id for m in memory.get_all(run_id="guest-1")} == {"guest-1"}


async def test_agent_session_transcript_resumes_with_tool_calls(db_path: Path, embedder: Embedder) -> None:
    def book(city: str) -> str:
        """Book a hotel in a city."""
        return f"booked a hotel in {city}"

    script = Script(tool_call("book", city="Kyoto"), "Your Kyoto hotel is booked.", "You booked Kyoto.")
    concierge = agent(script, [FunctionTool.from_defaults(book)])
    with Memory(db_path, embedder=embedder) as memory:
        await concierge.run(
            "I'm in Kyoto from May 3 to 7. Book me a hotel there.",
            memory=MemspanMemory.from_defaults(memory, user_id="ivy", run_id="trip"),
        )
    with Memory(db_path, embedder=embedder) as memory:  # another process resumes session "trip"
        resumed = MemspanMemory.from_defaults(memory, user_id="ivy", run_id="trip")
        roles = [m.role for m in resumed.get_all()]
        assert roles == [MessageRole.USER, MessageRole.ASSISTANT, MessageRole.TOOL, MessageRole.ASSISTANT]
        call_block = resumed.get_all()[1].blocks[0]
        assert isinstance(call_block, ToolCallBlock) and call_block.tool_kwargs == {"city": "Kyoto"}
        await concierge.run("Which city did I book?", memory=resumed)
        assert [m.role for m in script.seen[-1]][-2:] == [MessageRole.ASSISTANT, MessageRole.USER]
        assert (
            len(script.seen[-1]) == 7
        )  # system prompt + recalled memories merged, 4 old turns, new question
        # long-term memory holds the fact once; the transcript stays in the session's scope
        assert [m.text for m in memory.get_all(user_id="ivy")] == [
            "I'm in Kyoto from May 3 to 7."  # the request and the question are not memories
        ]
        # keyed by user and session: ivy's "trip" is not anyone else's "trip"
        assert len(memory.get_all(run_id=resumed.chat_store.run_id("trip"))) == 6
        assert memory.get_all(run_id="trip") == []


async def test_memory_block_recalls_every_turn_and_writes_what_is_flushed(memory: Memory) -> None:
    def block_memory(user: str) -> LlamaMemory:
        block = MemspanMemoryBlock(memory=memory, user_id=user)
        return LlamaMemory.from_defaults(
            session_id=f"{user}-chat",
            token_limit=60,
            chat_history_token_ratio=0.5,
            token_flush_size=10,
            memory_blocks=[block],
        )

    script = Script(*["Understood, noted for later."] * 6, "Sure.", "Sure.")
    concierge = agent(script)
    alice = block_memory("alice")
    for fact in (
        "My sister Jana lives in Brno.",
        "I collect vintage fountain pens.",
        "My flight lands at 9pm.",
    ):
        await concierge.run(fact, memory=alice)
    flushed = [m.text for m in memory.get_all(user_id="alice")]
    assert "My sister Jana lives in Brno." in flushed  # the oldest turns left the buffer into memspan
    await concierge.run("Who lives in Brno again?", memory=alice)
    assert "My sister Jana lives in Brno." in script.system()
    bob = block_memory("bob")
    await concierge.run("Who lives in Brno again?", memory=bob)
    assert "Jana" not in script.system()


async def test_async_memory_facade(amemory: AsyncMemory) -> None:
    script = Script("Noted.", "Oat milk.")
    concierge = agent(script)
    await concierge.run("I only drink oat milk.", memory=MemspanMemory.from_defaults(amemory, user_id="kai"))
    await concierge.run("What milk do I drink?", memory=MemspanMemory.from_defaults(amemory, user_id="kai"))
    assert "I only drink oat milk." in script.system()
    block = MemspanMemoryBlock(memory=amemory, user_id="kai")
    assert "oat milk" in await block.aget([ChatMessage(role="user", content="milk preference")])


def test_sync_chat_engine_with_memspan_memory(memory: Memory) -> None:
    script = Script("Got it.", "Jazz.")
    llm = MockFunctionCallingLLM(response_generator=script)
    SimpleChatEngine.from_defaults(llm=llm, memory=MemspanMemory.from_defaults(memory, user_id="lea")).chat(
        "I love jazz records."
    )
    SimpleChatEngine.from_defaults(llm=llm, memory=MemspanMemory.from_defaults(memory, user_id="lea")).chat(
        "What music do I like?"
    )
    assert "I love jazz records." in script.system()


def test_chat_store_behind_chat_memory_buffer(memory: Memory) -> None:
    script = Script("Hello Mia.", "You are Mia.", "Hello.")
    llm = MockFunctionCallingLLM(response_generator=script)
    store = MemspanChatStore(memory=memory)

    def engine(key: str) -> SimpleChatEngine:
        buffer = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key=key, token_limit=2000)
        return SimpleChatEngine.from_defaults(llm=llm, memory=buffer)

    engine("mia-session").chat("Hi, I'm Mia.")
    engine("mia-session").chat("What's my name?")  # a fresh engine, same key: the history comes back
    assert [m.content for m in script.seen[-1] if m.role == MessageRole.USER] == [
        "Hi, I'm Mia.",
        "What's my name?",
    ]
    engine("other-session").chat("Hi")
    assert [m.content for m in script.seen[-1] if m.role == MessageRole.USER] == ["Hi"]

    assert [m.content for m in store.get_messages("mia-session")][-1] == "You are Mia."
    assert store.delete_last_message("mia-session").content == "You are Mia."  # type: ignore[union-attr]
    assert store.delete_message("mia-session", 0).content == "Hi, I'm Mia."  # type: ignore[union-attr]
    assert [m.content for m in store.get_messages("mia-session")] == ["Hello Mia.", "What's my name?"]
    assert store.delete_message("mia-session", 9) is None
    store.set_messages("mia-session", [ChatMessage(role="user", content="fresh start")])
    assert [m.content for m in store.delete_messages("mia-session") or []] == ["fresh start"]
    assert store.get_messages("mia-session") == []
    with pytest.raises(ScopeError, match="cannot list"):
        store.get_keys()


async def test_chat_store_async(amemory: AsyncMemory) -> None:
    store = MemspanChatStore(memory=amemory)
    await store.async_add_message("k1", ChatMessage(role="user", content="one"))
    await store.aset_messages("k2", [ChatMessage(role="user", content="two")])
    assert [m.content for m in await store.aget_messages("k1")] == ["one"]
    assert (await store.adelete_last_message("k2")).content == "two"  # type: ignore[union-attr]
    assert await store.adelete_messages("k2") is None


def test_empty_scope_is_refused(memory: Memory) -> None:
    with pytest.raises(ScopeError):
        MemspanMemory.from_defaults(memory)
    with pytest.raises(ScopeError):
        MemspanMemoryBlock(memory=memory)


def test_example_runs_offline_and_prints_what_was_recalled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("llamaindex_agent_memory.py", monkeypatch)
    example.main(tmp_path / "example.db")
    out = capsys.readouterr().out
    tuesday = out.split("[alice/tuesday]")[1].split("[bob/")[0]
    assert "- I'm vegetarian and I'm allergic to peanuts." in tuesday
    assert "(nothing)" in out.split("[bob/tuesday]")[1].split("2. memory block")[0]
    assert "- My sister Jana lives in Brno." in out.split("[carol] user: Who lives in Brno?")[1]
    assert "assistant: (answered after reading 3 messages)" in out  # the second engine saw the first turn


DOC_BLOCKS = python_blocks("llamaindex.md")


@pytest.mark.parametrize("index", range(len(DOC_BLOCKS)))
def test_docs_python_blocks_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(DOC_BLOCKS[index], f"llamaindex.md block {index}", tmp_path, monkeypatch)


async def test_current_memory_api_keeps_its_queue_in_memspan(db_path: Path, embedder: Embedder) -> None:
    """Before, Memory.from_defaults(chat_store=...) had no memspan store (it needs an AsyncDBChatStore)."""
    from llama_index.core.storage.chat_store.base_db import MessageStatus

    from memspan.integrations.llamaindex import MemspanDBChatStore

    script = Script("Noted, Kyoto in April.", "You go to Kyoto.")
    concierge = agent(script)
    with Memory(db_path, embedder=embedder) as memory:
        store = MemspanDBChatStore(memory=memory, user_id="ivy")
        chat = LlamaMemory.from_defaults(session_id="trip", chat_store=store, token_limit=4000)
        await concierge.run("I travel to Kyoto in April.", memory=chat)
        assert await store.count_messages("trip") == 2
        other = MemspanDBChatStore(memory=memory, user_id="bob")  # bob's "trip" is another session
        assert await other.get_messages("trip") == []
    with Memory(db_path, embedder=embedder) as memory:  # another process resumes the session
        store = MemspanDBChatStore(memory=memory, user_id="ivy")
        chat = LlamaMemory.from_defaults(session_id="trip", chat_store=store, token_limit=4000)
        await concierge.run("Where do I travel?", memory=chat)
        asked = [m.content for m in script.seen[-1] if m.role == MessageRole.USER]
        assert asked == ["I travel to Kyoto in April.", "Where do I travel?"]
        archived = await store.archive_oldest_messages("trip", 2)
        assert [m.content for m in archived] == ["I travel to Kyoto in April.", "Noted, Kyoto in April."]
        assert await store.count_messages("trip") == 2
        assert await store.count_messages("trip", status=MessageStatus.ARCHIVED) == 2
        assert (await store.delete_message("trip", 0)) is not None
        await store.delete_messages("trip", status=MessageStatus.ARCHIVED)
        assert await store.count_messages("trip", status=None) == 2
        with pytest.raises(ScopeError):
            await store.get_keys()


async def test_the_memory_block_receives_a_normal_length_chat(memory: Memory) -> None:
    """Before, with LlamaIndex's default flush settings the block was handed nothing in a short chat."""
    from memspan.integrations.llamaindex import memspan_memory

    script = Script("Noted.", "Noted.", "Jana lives in Brno.")
    concierge = agent(script)
    chat = memspan_memory(memory, user_id="alice", session_id="s1")  # LlamaIndex's default token limits
    await concierge.run("My sister Jana lives in Brno.", memory=chat)
    await concierge.run("I collect vintage fountain pens.", memory=chat)
    remembered = {
        m.text for m in memory.get_all(user_id="alice", filters={"memspan_transcript": {"ne": True}})
    }
    assert "My sister Jana lives in Brno." in remembered
    fresh = memspan_memory(memory, user_id="alice", session_id="s2")  # a new session recalls it
    await concierge.run("Who lives in Brno?", memory=fresh)
    assert "My sister Jana lives in Brno." in script.system()
    plain = LlamaMemory.from_defaults(
        session_id="s3", memory_blocks=[MemspanMemoryBlock(memory=memory, user_id="bo")]
    )
    await plain.aput_messages(
        [
            ChatMessage(role="user", content="I own a red bicycle."),
            ChatMessage(role="assistant", content="Nice."),
        ]
    )
    await plain.aget()
    assert [m.text for m in memory.get_all(user_id="bo")] == ["I own a red bicycle."]


def test_memspan_memory_keeps_a_token_budget_and_refuses_unknown_arguments(memory: Memory) -> None:
    """Before, token_limit= and session_id= were silently dropped (and any misspelt argument too)."""
    from memspan import ValidationError

    lines = [f"Message number {i} talks about the weather in some detail today." for i in range(40)]
    small = MemspanMemory.from_defaults(memory, user_id="lea", session_id="long", token_limit=120)
    assert small.run_id == "long"
    for i, line in enumerate(lines):
        small.put(ChatMessage(role="user" if i % 2 == 0 else "assistant", content=line))
    kept = small.get()
    assert 0 < len(kept) < len(lines) and kept[-1].content == lines[-1]
    assert kept[0].role == MessageRole.USER or kept[0].role == MessageRole.SYSTEM
    assert small._tokens(kept) <= 120
    assert len(small.get_all()) == len(lines)  # the budget trims what the model sees, not the history
    with pytest.raises(ValidationError, match="does not take token_limt"):
        MemspanMemory.from_defaults(memory, user_id="lea", token_limt=100)
    with pytest.raises(ValidationError, match="same thing"):
        MemspanMemory.from_defaults(memory, user_id="lea", run_id="a", session_id="b")


def test_chat_memory_buffer_round_trips_through_to_dict(db_path: Path, embedder: Embedder) -> None:
    """Before, ChatMemoryBuffer.from_dict() failed with "Invalid ChatStore name"."""
    import json

    with Memory(db_path, embedder=embedder) as memory:
        store = MemspanChatStore(memory=memory, user_id="mia")
        buffer = ChatMemoryBuffer.from_defaults(chat_store=store, chat_store_key="s1", token_limit=2000)
        buffer.put(ChatMessage(role="user", content="Hi, I'm Mia."))
        buffer.put(ChatMessage(role="assistant", content="Hello Mia."))
        data = json.loads(json.dumps(buffer.to_dict()))
    assert data["chat_store"]["store"] == str(db_path.resolve()) and data["chat_store"]["user_id"] == "mia"
    again = ChatMemoryBuffer.from_dict(data)
    assert [m.content for m in again.get_all()] == ["Hi, I'm Mia.", "Hello Mia."]
    again.chat_store.memory.close()


def test_chat_store_inserts_at_an_index_and_keys_by_user(memory: Memory) -> None:
    """Before, add_message(idx=) was a TypeError, and two users' key "s1" was one history."""
    alice = MemspanChatStore(memory=memory, user_id="alice")
    bob = MemspanChatStore(memory=memory, user_id="bob")
    alice.add_message("s1", ChatMessage(role="user", content="first"))
    alice.add_message("s1", ChatMessage(role="user", content="third"))
    alice.add_message("s1", ChatMessage(role="user", content="second"), idx=1)
    alice.add_message("s1", ChatMessage(role="system", content="zeroth"), idx=0)
    assert [m.content for m in alice.get_messages("s1")] == ["zeroth", "first", "second", "third"]
    assert bob.get_messages("s1") == []
    bob.add_message("s1", ChatMessage(role="user", content="bob's"))
    assert len(alice.get_messages("s1")) == 4 and [m.content for m in bob.get_messages("s1")] == ["bob's"]


def test_recall_covers_the_whole_user_unless_narrowed(memory: Memory) -> None:
    """Before, naming an agent_id hid the user's other agents' memories (CrewAI and AutoGen did the opposite)."""
    memory.add("I am allergic to peanuts", user_id="zoe", agent_id="crewai", infer=False)
    memory.add("I prefer window seats", user_id="zoe", agent_id="concierge", infer=False)
    broad = MemspanMemory.from_defaults(memory, user_id="zoe", agent_id="concierge")
    system = broad.get("peanuts and seats")[0].content or ""
    assert "allergic to peanuts" in system and "window seats" in system
    narrow = MemspanMemory.from_defaults(
        memory, user_id="zoe", agent_id="concierge", recall_within=("user_id", "agent_id")
    )
    system = narrow.get("peanuts and seats")[0].content or ""
    assert "window seats" in system and "peanuts" not in system
    block = MemspanMemoryBlock(memory=memory, user_id="zoe", agent_id="concierge")
    assert "peanuts" in asyncio.run(block.aget([ChatMessage(role="user", content="any allergies?")]))


def test_a_store_path_is_accepted_like_in_the_other_adapters(tmp_path: Path, embedder: Embedder) -> None:
    """Before, LlamaIndex classes refused a path (CrewAI and AutoGen took one)."""
    path = tmp_path / "li.db"
    chat = MemspanMemory.from_defaults(str(path), user_id="pat", session_id="s1")
    chat.put_messages(
        [ChatMessage(role="user", content="I grow tomatoes."), ChatMessage(role="assistant", content="Nice.")]
    )
    block = MemspanMemoryBlock(memory=path, user_id="pat")
    assert "tomatoes" in asyncio.run(block.aget([ChatMessage(role="user", content="what do I grow?")]))
    store = MemspanChatStore(memory=path, user_id="pat")
    assert store.store == str(path.resolve()) and len(store.get_messages("s1")) == 2
