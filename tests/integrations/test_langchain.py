"""LangChain / LangGraph integration, driven through real ``create_agent`` runs with a scripted model."""

from __future__ import annotations

import importlib.util
import re
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain")

from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatResult
from langchain_core.tools import tool
from pydantic import Field

from memspan import AsyncMemory, Memory
from memspan.errors import ScopeError, ValidationError
from memspan.integrations.langchain import (
    MemoryContext,
    MemspanChatMessageHistory,
    MemspanMiddleware,
    MemspanRetriever,
    MemspanStore,
    memory_tools,
)
from memspan.ports import Embedder

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


# -- chat history and retriever -----------------------------------------------------------------


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


def test_example_runs_offline_and_prints_what_was_recalled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "langchain_agent_memory.py"
    spec = importlib.util.spec_from_file_location("langchain_example", path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, example)  # pydantic resolves the example's annotations there
    spec.loader.exec_module(example)
    example.main(tmp_path / "example.db")
    out = capsys.readouterr().out
    tuesday = out.split("[alice/tuesday] user: What should I cook tonight?")[1].split("[bob/")[0]
    assert "- I'm vegetarian and allergic to peanuts." in tuesday
    bob = out.split("[bob/tuesday]")[1].split("alice's memories")[0]
    assert "(nothing)" in bob and "peanuts" not in bob


DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations" / "langchain.md"
DOC_BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("index", range(len(DOC_BLOCKS)))
def test_docs_python_blocks_run(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the snippets open memspan.db in the working directory
    exec(compile(DOC_BLOCKS[index], f"{DOC.name} block {index}", "exec"), {"__name__": "__main__"})


def test_adapters_open_a_store_path(db_path: Path) -> None:
    store = MemspanStore(str(db_path))
    store.put(("memories", "zoe"), "pet", {"text": "Zoe has a cat called Miso."})
    retriever = MemspanRetriever(memory=db_path, user_id="zoe", filters={"langgraph_key": "pet"})
    assert [d.page_content for d in retriever.invoke("pets")] == ["Zoe has a cat called Miso."]
    MemspanChatMessageHistory(str(db_path), "c1", user_id="zoe").add_user_message("hi")
    with Memory(db_path) as memory:
        assert len(memory.get_all(user_id="zoe")) == 1
