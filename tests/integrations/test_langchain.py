"""LangChain / LangGraph integration, driven through real ``create_agent`` runs with a scripted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain")

from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool

from memspan import AsyncMemory, Memory
from memspan.errors import ScopeError
from memspan.integrations.langchain import (
    MemoryContext,
    MemspanMiddleware,
    MemspanStore,
    memory_tools,
)

from ._langchain_models import ask, call, scripted, system_text
from .conftest import load_example, python_blocks, run_block

# -- middleware -------------------------------------------------------------------------------


def test_middleware_remembers_a_turn_and_recalls_it_in_a_later_session(memory: Memory) -> None:
    model = scripted("Noted, no peanuts for you.", "Try the apple slices.", "Here is a peanut snack.")
    agent = create_agent(model, middleware=[MemspanMiddleware(memory)], context_schema=MemoryContext)

    ask(agent, "I am allergic to peanuts.", user_id="alice", run_id="monday")
    assert "I am allergic to peanuts." in [m.text for m in memory.get_all(user_id="alice")]

    ask(agent, "Which snack with peanuts should I pack?", user_id="alice", run_id="tuesday")
    assert "- I am allergic to peanuts." in system_text(model.seen[1])

    ask(agent, "Which snack with peanuts should I pack?", user_id="bob", run_id="tuesday")
    assert "allergic" not in system_text(model.seen[2])  # bob never sees alice's memories
    assert all(m.user_id == "bob" for m in memory.get_all(user_id="bob"))


def test_middleware_keeps_the_system_prompt_and_stores_only_the_final_answer(memory: Memory) -> None:
    memory.add("I prefer window seats on long flights.", user_id="alice")
    model = scripted(call("lookup", city="Oslo"), "Booked a window seat to Oslo.")

    @tool
    def lookup(city: str) -> str:
        """Flights to a city."""
        return f"2 flights to {city}"

    agent = create_agent(
        model,
        [lookup],
        system_prompt="You book travel.",
        middleware=[MemspanMiddleware(memory)],
        context_schema=MemoryContext,
    )
    ask(agent, "I fly to Oslo on Friday, book me a seat.", user_id="alice")
    for seen in model.seen:  # both model calls of the turn got the memory, after the app's own prompt
        assert system_text(seen).startswith("You book travel.")
        assert "window seats" in system_text(seen)
    texts = [m.text for m in memory.get_all(user_id="alice")]
    assert texts.count("I fly to Oslo on Friday") == 1  # one write per turn, not per model call


def test_middleware_scope_can_come_from_config(memory: Memory) -> None:
    model = scripted("ok")
    agent = create_agent(model, middleware=[MemspanMiddleware(memory)])
    agent.invoke(
        {"messages": [{"role": "user", "content": "My favourite colour is teal."}]},
        config={"configurable": {"user_id": "carol", "thread_id": "t-1"}},
    )
    assert [m.text for m in memory.get_all(user_id="carol")] == ["My favourite colour is teal."]
    with pytest.raises(ScopeError, match="names no memory scope"):
        agent.invoke({"messages": [{"role": "user", "content": "hello there, friend"}]})


async def test_middleware_async_run_with_async_memory(amemory: AsyncMemory) -> None:
    model = scripted("Noted.", "You live in Porto.")
    agent = create_agent(model, middleware=[MemspanMiddleware(amemory)], context_schema=MemoryContext)
    first = {"messages": [{"role": "user", "content": "I moved to Porto last spring."}]}
    await agent.ainvoke(first, context=MemoryContext(user_id="dana"))
    second = {"messages": [{"role": "user", "content": "Which city did I move to?"}]}
    await agent.ainvoke(second, context=MemoryContext(user_id="dana"))
    assert "I moved to Porto last spring." in system_text(model.seen[1])
    assert [m.text for m in await amemory.get_all(user_id="dana")][-1] == "I moved to Porto last spring."


# -- tools ------------------------------------------------------------------------------------


def _tool_results(result: dict[str, Any]) -> list[str]:
    return [str(m.content) for m in result["messages"] if isinstance(m, ToolMessage)]


def test_tools_save_search_and_forget_inside_the_runs_scope(memory: Memory) -> None:
    bob_secret = memory.add("Bob's door code is 4321.", user_id="bob").added[0]

    def forget_first_hit(messages: list[BaseMessage]) -> AIMessage:
        hit = str(messages[-1].content).split("(id ")[1].split(",")[0]
        return call("forget_memory", memory_id=hit)

    model = scripted(
        call("save_memory", text="I live in Lisbon."),
        "Saved.",
        call("search_memory", query="where do I live"),
        forget_first_hit,
        "Forgotten.",
        call("forget_memory", memory_id=bob_secret.id),
        "Done.",
    )
    agent = create_agent(model, memory_tools(memory), context_schema=MemoryContext)
    for tool_ in memory_tools(memory):  # the model is never offered a scope argument
        assert not {"user_id", "agent_id", "run_id", "runtime"} & set(tool_.tool_call_schema.model_fields)

    saved = _tool_results(ask(agent, "Remember that I live in Lisbon.", user_id="alice"))
    assert saved[0].startswith("Saved: I live in Lisbon.")
    assert [m.text for m in memory.get_all(user_id="alice")] == ["I live in Lisbon."]

    searched = _tool_results(ask(agent, "Where do I live? Then forget it.", user_id="alice"))
    assert "I live in Lisbon." in searched[0] and "door code" not in searched[0]
    assert searched[1] == "Forgot: I live in Lisbon."
    assert memory.get_all(user_id="alice") == []

    refused = _tool_results(ask(agent, "Forget that id.", user_id="alice"))
    assert refused[0].startswith("No memory with id")
    assert memory.get(bob_secret.id).text == "Bob's door code is 4321."  # another user's memory is untouched


async def test_tools_async(amemory: AsyncMemory) -> None:
    model = scripted(
        call("save_memory", text="I am learning the cello."),
        "Saved.",
        call("search_memory", query="instrument"),
        "Cello.",
    )
    agent = create_agent(model, memory_tools(amemory), context_schema=MemoryContext)
    await agent.ainvoke(
        {"messages": [{"role": "user", "content": "note it"}]}, context=MemoryContext(user_id="erin")
    )
    result = await agent.ainvoke(
        {"messages": [{"role": "user", "content": "what do I play?"}]}, context=MemoryContext(user_id="erin")
    )
    assert "I am learning the cello." in _tool_results(result)[0]


# -- LangGraph store ----------------------------------------------------------------------------


@tool
def note_preference(preference: str, runtime: ToolRuntime[MemoryContext]) -> str:
    """Store a preference the LangGraph way, through the run's store."""
    assert runtime.store is not None
    runtime.store.put(
        ("memories", str(runtime.context.user_id)), f"pref-{preference[:8]}", {"text": preference}
    )
    return "stored"


@tool
def recall_preferences(query: str, runtime: ToolRuntime[MemoryContext]) -> str:
    """Search the run's store."""
    assert runtime.store is not None
    items = runtime.store.search(("memories", str(runtime.context.user_id)), query=query, limit=3)
    return " | ".join(f"{item.value['text']}@{item.score:.2f}" for item in items) or "nothing"


def test_store_backs_create_agent_tools(memory: Memory) -> None:
    store = MemspanStore(memory)
    model = scripted(
        call("note_preference", preference="vegetarian food"),
        "ok",
        call("recall_preferences", query="what do I like to eat"),
        "ok",
        call("recall_preferences", query="what do I like to eat"),
        "ok",
    )
    agent = create_agent(
        model, [note_preference, recall_preferences], store=store, context_schema=MemoryContext
    )
    ask(agent, "I'm vegetarian", user_id="alice")
    found = _tool_results(ask(agent, "What do I eat?", user_id="alice"))[0]
    assert found.startswith("vegetarian food@")
    assert _tool_results(ask(agent, "What do I eat?", user_id="bob"))[0] == "nothing"
    # the store's items are ordinary memories of the namespace's scope
    assert [m.text for m in memory.get_all(user_id="alice")] == ["vegetarian food"]


def test_store_operations_round_trip(memory: Memory) -> None:
    store = MemspanStore(memory)
    value = {"text": "Runs every Sunday", "tags": ["sport"], "level": 3, "nested": {"km": 10.5}}
    store.put(("memories", "alice"), "running", value)
    store.put(("memories", "alice", "work"), "desk", {"text": "Prefers a standing desk", "level": 1})
    store.put(("memories", "alice"), "hidden", {"text": "Sunday brunch plans"}, index=False)
    store.put(("memories", "bob"), "running", {"text": "Bob runs on Sundays too", "level": 5})

    item = store.get(("memories", "alice"), "running")
    assert item is not None and item.value == value and item.namespace == ("memories", "alice")
    assert store.get(("memories", "bob"), "running").value["level"] == 5  # type: ignore[union-attr]

    hits = store.search(("memories", "alice"), query="what sport on Sunday")
    assert hits[0].key == "running" and 0 < (hits[0].score or 0) <= 1
    assert "hidden" not in [h.key for h in hits]  # index=False keeps it out of query search...
    listed = store.search(("memories", "alice"), limit=10)
    assert {h.key for h in listed} == {"running", "desk", "hidden"}  # ...but not out of listing
    assert [h.key for h in store.search(("memories", "alice"), filter={"level": {"$gte": 2}})] == ["running"]
    assert [h.key for h in store.search(("memories", "alice", "work"), query="desk")] == ["desk"]
    assert len(store.search(("memories", "alice"), limit=1, offset=1)) == 1

    assert store.list_namespaces(prefix=("memories", "alice")) == [
        ("memories", "alice"),
        ("memories", "alice", "work"),
    ]
    assert store.list_namespaces(prefix=("memories", "alice"), max_depth=2) == [("memories", "alice")]
    assert store.list_namespaces(prefix=("memories", "alice"), suffix=("work",)) == [
        ("memories", "alice", "work")
    ]

    store.put(("memories", "alice"), "running", {"text": "Runs on Saturdays now"})
    updated = store.get(("memories", "alice"), "running")
    assert updated is not None and updated.value == {"text": "Runs on Saturdays now"}
    assert updated.created_at == item.created_at and updated.updated_at > item.updated_at
    store.delete(("memories", "alice"), "running")
    assert store.get(("memories", "alice"), "running") is None
    assert store.get(("memories", "bob"), "running") is not None

    with pytest.raises(ScopeError, match="names no scope"):
        store.search(("memories",), query="anything")
    with pytest.raises(ScopeError):
        store.list_namespaces()


def test_store_maps_agent_and_user_scopes(memory: Memory) -> None:
    shared = MemspanStore(memory, scope_keys=("agent_id",))
    shared.put(("procedures", "travel-bot"), "refunds", {"text": "Refunds take five days."})
    assert [m.text for m in memory.get_all(agent_id="travel-bot")] == ["Refunds take five days."]
    both = MemspanStore(memory, scope_keys=("user_id", "agent_id"))
    both.put(("memories", "alice", "travel-bot"), "seat", {"text": "Aisle seat."})
    assert [m.agent_id for m in memory.get_all(user_id="alice")] == ["travel-bot"]


async def test_store_async_batch(amemory: AsyncMemory) -> None:
    store = MemspanStore(amemory)
    await store.aput(("memories", "fred"), "k", {"text": "Fred keeps bees."})
    hits = await store.asearch(("memories", "fred"), query="insects")
    assert [h.value["text"] for h in hits] == ["Fred keeps bees."]
    assert (await store.aget(("memories", "fred"), "k")).value == {"text": "Fred keeps bees."}  # type: ignore[union-attr]
    await store.adelete(("memories", "fred"), "k")
    assert await store.aget(("memories", "fred"), "k") is None
    assert await store.alist_namespaces(prefix=("memories", "fred")) == []


def test_example_runs_offline_and_prints_what_was_recalled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("langchain_agent_memory.py", monkeypatch)
    example.main(tmp_path / "example.db")
    out = capsys.readouterr().out
    tuesday = out.split("[alice/tuesday] user: What should I cook tonight?")[1].split("[bob/")[0]
    assert "- I'm vegetarian and allergic to peanuts." in tuesday
    bob = out.split("[bob/tuesday]")[1].split("alice's memories")[0]
    assert "(nothing)" in bob and "peanuts" not in bob


DOC_BLOCKS = python_blocks("langchain.md")


@pytest.mark.parametrize("index", range(len(DOC_BLOCKS)))
def test_docs_python_blocks_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_block(DOC_BLOCKS[index], f"langchain.md block {index}", tmp_path, monkeypatch)


