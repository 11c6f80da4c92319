"""LangChain chat history and retriever over memspan: transcripts that survive a process, stay out of
recall and never mix two users' conversations; retrieval that honours scopes and per-call ``k``."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("langchain")

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from memspan import AsyncMemory, Memory
from memspan.errors import ValidationError
from memspan.integrations.langchain import (
    MemoryContext,
    MemspanChatMessageHistory,
    MemspanMiddleware,
    MemspanRetriever,
    MemspanStore,
)
from memspan.ports import Embedder

from ._langchain_models import ask, call, scripted, system_text


def test_history_persists_an_agent_transcript_with_tool_calls(db_path: Path, embedder: Embedder) -> None:
    @tool
    def weather(city: str) -> str:
        """Weather in a city."""
        return f"sunny in {city}"

    model = scripted(call("weather", city="Rome"), "It is sunny in Rome.", "You asked about Rome.")
    agent = create_agent(model, [weather])
    with Memory(db_path, embedder=embedder) as memory:
        history = MemspanChatMessageHistory(memory, "thread-1")
        history.add_user_message("What's the weather in Rome?")
        result = agent.invoke({"messages": history.messages})
        history.add_messages(result["messages"][len(history.messages) :])
    with Memory(db_path, embedder=embedder) as memory:  # a later process resumes the session
        history = MemspanChatMessageHistory(memory, "thread-1")
        restored = history.messages
        assert [type(m) for m in restored] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
        assert restored[1].tool_calls[0]["args"] == {"city": "Rome"}  # type: ignore[attr-defined]
        history.add_user_message("Which city did I ask about?")
        agent.invoke({"messages": history.messages})
        assert [type(m) for m in model.seen[-1]] == [
            HumanMessage,
            AIMessage,
            ToolMessage,
            AIMessage,
            HumanMessage,
        ]
        assert MemspanChatMessageHistory(memory, "thread-2").messages == []
        # the transcript stays out of long-term recall
        assert (
            memory.search(
                "weather in Rome", run_id="thread-1", filters={"memspan_transcript": {"ne": True}}
            ).items
            == []
        )
        history.clear()
        assert history.messages == []


async def test_history_async(amemory: AsyncMemory) -> None:
    history = MemspanChatMessageHistory(amemory, "thread-a")
    await history.aadd_messages([HumanMessage("hi, I am Gus"), AIMessage("Hello Gus")])
    assert [m.content for m in await history.aget_messages()] == ["hi, I am Gus", "Hello Gus"]
    await history.aclear()
    assert await history.aget_messages() == []


def test_retriever_in_a_chain(memory: Memory) -> None:
    memory.add("I play tennis on Thursdays.", user_id="alice")
    memory.add("I play chess online.", user_id="bob")
    MemspanChatMessageHistory(memory, "alice-session").add_user_message("tennis tennis tennis")
    retriever = MemspanRetriever(memory=memory, user_id="alice", k=3)
    chain = retriever | (
        lambda docs: [(d.page_content, d.metadata["score"], d.id == d.metadata["id"]) for d in docs]
    )
    assert [text for text, _, _ in chain.invoke("which sport do I play?")] == ["I play tennis on Thursdays."]
    [(_, score, ids_match)] = chain.invoke("tennis")
    assert 0 < score <= 1 and ids_match


async def test_retriever_async(amemory: AsyncMemory) -> None:
    await amemory.add("I drink oat milk.", user_id="hana")
    docs = await MemspanRetriever(memory=amemory, user_id="hana").ainvoke("milk")
    assert docs[0].page_content == "I drink oat milk." and docs[0].metadata["user_id"] == "hana"


def test_retriever_honours_a_per_call_k_and_refuses_unknown_arguments(memory: Memory) -> None:
    for text in ("I play tennis.", "I play chess.", "I play golf."):
        memory.add(text, user_id="alice", infer=False)
    retriever = MemspanRetriever(memory=memory, user_id="alice", k=3)
    assert len(retriever.invoke("which games do I play")) == 3
    assert len(retriever.invoke("which games do I play", k=1)) == 1
    with pytest.raises(ValidationError, match="k=, filters= and threshold="):
        retriever.invoke("games", top_k=1)


async def test_retriever_per_call_k_async(amemory: AsyncMemory) -> None:
    for text in ("I drink oat milk.", "I drink green tea."):
        await amemory.add(text, user_id="hana", infer=False)
    assert len(await MemspanRetriever(memory=amemory, user_id="hana").ainvoke("drink", k=1)) == 1


def test_naming_an_agent_keeps_the_users_other_memories_in_recall(memory: Memory) -> None:
    memory.add("I am allergic to peanuts.", user_id="alice", agent_id="travel-bot", infer=False)
    memory.add("I cook on Sundays.", user_id="alice", agent_id="chef-bot", infer=False)
    memory.add("I cook on Mondays.", user_id="bob", agent_id="chef-bot", infer=False)
    whole_user = MemspanRetriever(memory=memory, user_id="alice", agent_id="chef-bot", k=5)
    assert sorted(d.page_content for d in whole_user.invoke("what do I eat and cook")) == [
        "I am allergic to peanuts.",
        "I cook on Sundays.",
    ]
    narrowed = MemspanRetriever(
        memory=memory, user_id="alice", agent_id="chef-bot", recall_within=["user_id", "agent_id"]
    )
    assert [d.page_content for d in narrowed.invoke("what do I eat and cook")] == ["I cook on Sundays."]

    model = scripted("Noted.", "Noted.")
    agent = create_agent(model, middleware=[MemspanMiddleware(memory)], context_schema=MemoryContext)
    ask(agent, "Plan a peanut snack for me.", user_id="alice", agent_id="chef-bot")
    assert "- I am allergic to peanuts." in system_text(model.seen[0])  # written by another agent
    narrow_model = scripted("Noted.")
    narrow = MemspanMiddleware(memory, recall_within=("user_id", "agent_id"), remember=False)
    agent = create_agent(narrow_model, middleware=[narrow], context_schema=MemoryContext)
    ask(agent, "Plan a peanut snack for me.", user_id="alice", agent_id="chef-bot")
    assert "allergic" not in system_text(narrow_model.seen[0])
    with pytest.raises(ValidationError, match="recall_within"):
        MemspanMiddleware(memory, recall_within=("tenant",))


def test_two_users_with_the_same_conversation_id_never_share_a_history(memory: Memory) -> None:
    alice = MemspanChatMessageHistory(memory, "1", user_id="alice")
    bob = MemspanChatMessageHistory(memory, "1", user_id="bob")
    alice.add_user_message("my bank pin is 1234")
    assert bob.messages == []
    bob.add_user_message("hello")
    assert [m.content for m in alice.messages] == ["my bank pin is 1234"]
    assert [m.content for m in MemspanChatMessageHistory(memory, "1", user_id="alice").messages] == [
        "my bank pin is 1234"
    ]
    assert alice.run_id != bob.run_id and memory.delete_all(run_id=alice.run_id) == 1
    assert MemspanChatMessageHistory(memory, "1").run_id == "1"  # no owner: the conversation id alone


def test_adapters_open_a_store_path(db_path: Path) -> None:
    store = MemspanStore(str(db_path))
    store.put(("memories", "zoe"), "pet", {"text": "Zoe has a cat called Miso."})
    retriever = MemspanRetriever(memory=db_path, user_id="zoe", filters={"langgraph_key": "pet"})
    assert [d.page_content for d in retriever.invoke("pets")] == ["Zoe has a cat called Miso."]
    MemspanChatMessageHistory(str(db_path), "c1", user_id="zoe").add_user_message("hi")
    with Memory(db_path) as memory:
        assert len(memory.get_all(user_id="zoe")) == 1
