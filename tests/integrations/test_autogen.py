"""Real AutoGen ``AssistantAgent`` runs, driven by a replay model, remembering through memspan."""

from __future__ import annotations

import json
import runpy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("autogen_agentchat")

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import MemoryQueryEvent, ToolCallExecutionEvent
from autogen_core import ComponentModel, FunctionCall
from autogen_core.memory import MemoryContent, MemoryMimeType
from autogen_core.models import CreateResult, LLMMessage, RequestUsage, SystemMessage
from autogen_ext.models.replay import ReplayChatCompletionClient

from memspan import AsyncMemory, ValidationError
from memspan.integrations.autogen import MemspanMemory, SearchMemoryTool, memory_tools
from memspan.llm.scripted import reply_json
from memspan.ports import Embedder
from memspan.stores.sqlite import SQLiteStore

MODEL_INFO = {
    "function_calling": True,
    "vision": False,
    "json_output": False,
    "family": "unknown",
    "structured_output": False,
}
USAGE = RequestUsage(prompt_tokens=0, completion_tokens=0)


class RecordingReplayClient(ReplayChatCompletionClient):
    """The replay client, also keeping every message list the agent sent to the model."""

    def __init__(self, replies: Sequence[str | CreateResult]) -> None:
        super().__init__(replies, model_info=MODEL_INFO)  # type: ignore[arg-type]
        self.seen: list[list[LLMMessage]] = []

    async def create(self, messages: Sequence[LLMMessage], **kwargs: Any) -> CreateResult:
        self.seen.append(list(messages))
        return await super().create(messages, **kwargs)


def tool_call(name: str, **arguments: str) -> CreateResult:
    call = FunctionCall(id=f"call-{name}", name=name, arguments=json.dumps(arguments))
    return CreateResult(finish_reason="function_calls", content=[call], usage=USAGE, cached=False)


def system_text(messages: Sequence[LLMMessage]) -> str:
    return "\n".join(m.content for m in messages if isinstance(m, SystemMessage))


async def test_an_assistant_recalls_saves_and_stores_its_run(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer window seats", user_id="alice", agent_id="langchain-bot")
    memory = MemspanMemory(amemory, user_id="alice", agent_id="helper")
    client = RecordingReplayClient(
        [
            tool_call("save_to_memory", fact="Alice is vegetarian"),
            tool_call("search_memory", query="What does Alice eat?"),
            "You like window seats, and I will book a vegetarian meal.",
        ]
    )
    agent = AssistantAgent(
        "helper", model_client=client, memory=[memory], tools=memory_tools(memory), max_tool_iterations=3
    )
    result = await agent.run(task="I fly to Lisbon on Friday. Which seat do I like on flights?")

    # memspan → autogen: update_context put the other framework's memory in front of the model
    assert "I prefer window seats" in system_text(client.seen[0])
    recalled = next(m for m in result.messages if isinstance(m, MemoryQueryEvent))
    assert recalled.content[0].content == "I prefer window seats"
    assert recalled.content[0].metadata is not None and recalled.content[0].metadata["user_id"] == "alice"
    # autogen → memspan: the save tool wrote in the agent's scope, the search tool read it back
    executions = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert executions[0].content[0].content == "ADD: Alice is vegetarian"
    assert "Alice is vegetarian" in executions[1].content[0].content
    saved = await amemory.get_all(user_id="alice", agent_id="helper")
    assert [(i.text, i.metadata) for i in saved] == [("Alice is vegetarian", {"framework": "autogen"})]

    stored = await memory.add_task_result(result)
    user_turn = result.messages[0]
    texts = {change.item.text: change.item for change in stored.changes}
    assert texts["I fly to Lisbon on Friday."].source_ids == (user_turn.id,)  # the fact, not the question
    assert not any("Which seat" in text for text in texts)
    assert "helper: You like window seats, and I will book a vegetarian meal." in texts


async def test_scopes_never_mix_and_clear_keeps_other_agents_memories(amemory: AsyncMemory) -> None:
    await amemory.add("My passport number is X1234567", user_id="bob")
    await amemory.add("I am afraid of flying over water", user_id="alice", agent_id="crew")
    alice = MemspanMemory(amemory, user_id="alice", agent_id="helper")
    await alice.add(MemoryContent(content="Alice collects stamps", mime_type=MemoryMimeType.TEXT))
    everything = [m.content for m in (await alice.query()).results]  # no query: newest first, like ListMemory
    assert everything == ["Alice collects stamps", "I am afraid of flying over water"]
    client = RecordingReplayClient([tool_call("search_memory", query="passport number"), "Done."])
    agent = AssistantAgent("helper", model_client=client, memory=[alice], tools=memory_tools(alice))
    result = await agent.run(task="What is my passport number? I hate flying.")
    shown = system_text(client.seen[0]) + str([m.content for m in result.messages])
    assert "afraid of flying" in shown
    assert "X1234567" not in shown

    narrow = MemspanMemory(amemory, user_id="alice", agent_id="helper", recall_within=["user_id", "agent_id"])
    assert [m.content for m in (await narrow.query("flying stamps")).results] == ["Alice collects stamps"]
    await alice.clear()
    assert [i.text for i in await amemory.get_all(user_id="alice")] == ["I am afraid of flying over water"]
    assert len(await amemory.get_all(user_id="bob")) == 1


async def test_component_config_round_trips_with_the_agent(db_path: Path, embedder: Embedder) -> None:
    memory = MemspanMemory(db_path, user_id="alice", run_id="trip-1", limit=3, threshold=0.2, name="trips")
    await memory.add(MemoryContent(content={"seat": "window"}, mime_type=MemoryMimeType.JSON))
    dumped = memory.dump_component()
    assert dumped.provider == "memspan.integrations.autogen.MemspanMemory"
    assert dumped.config["store"] == str(db_path.resolve()) and dumped.config["run_id"] == "trip-1"

    agent = AssistantAgent(
        "helper", model_client=RecordingReplayClient(["ok"]), memory=[memory], tools=memory_tools(memory)
    )
    reloaded = AssistantAgent.load_component(
        ComponentModel.model_validate_json(agent.dump_component().model_dump_json())
    )
    config = reloaded.dump_component().config
    assert config["memory"][0] == dumped.model_dump(mode="json")
    assert {tool["provider"] for tool in config["workbench"][0]["config"]["tools"]} == {
        "memspan.integrations.autogen.SaveToMemoryTool",
        "memspan.integrations.autogen.SearchMemoryTool",
    }
    again = MemspanMemory.load_component(dumped)
    assert [m.content for m in (await again.query("seat")).results] == [{"seat": "window"}]
    tool = SearchMemoryTool.load_component(SearchMemoryTool(again).dump_component())
    assert "window" in await tool.run_json({"query": "seat"}, cancellation_token=None)  # type: ignore[arg-type]
    for m in (memory, again, tool.memory):
        await m.close()


async def test_errors_reach_the_caller(db_path: Path, embedder: Embedder) -> None:
    async with AsyncMemory(db_path, embedder=embedder) as writable:
        await writable.add("I prefer aisle seats", user_id="alice")
    read_only = AsyncMemory(SQLiteStore(db_path, read_only=True), embedder=embedder)
    memory = MemspanMemory(read_only, user_id="alice")
    client = RecordingReplayClient([tool_call("save_to_memory", fact="Alice is vegetarian"), "ok"])
    agent = AssistantAgent("helper", model_client=client, memory=[memory], tools=memory_tools(memory))
    result = await agent.run(task="Remember that I am vegetarian")
    failed = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent)).content[0]
    assert failed.is_error and "read-only" in failed.content.lower()
    with pytest.raises(ValidationError, match="image/png"):
        await memory.add(MemoryContent(content=b"\x89PNG", mime_type="image/png"))
    with pytest.raises(ValidationError, match="unknown query options"):
        await memory.query("seats", top_k=3)

    broken = MemspanMemory(read_only, user_id="alice", threshold=7.0)
    agent = AssistantAgent("helper", model_client=RecordingReplayClient(["ok"]), memory=[broken])
    with pytest.raises(ValidationError):
        await agent.run(task="Which seat?")  # a failing recall stops the run instead of answering blind
    with pytest.raises(ValidationError, match="recall_within names run_id"):
        MemspanMemory(read_only, user_id="alice", recall_within=["run_id"])
    await read_only.aclose()


async def test_an_autogen_model_client_can_be_memspans_extractor(tmp_path: Path, embedder: Embedder) -> None:
    """With ``model_client=``, the agent's own client decides what is kept, and travels in the config."""
    decision = reply_json({"action": "ADD", "text": "Alice is vegetarian", "sources": [0]})
    memory = MemspanMemory(
        tmp_path / "llm.db", user_id="alice", model_client=ReplayChatCompletionClient([decision, decision])
    )
    await memory.add(
        MemoryContent(content="By the way, I stopped eating meat", mime_type=MemoryMimeType.TEXT)
    )
    assert [m.content for m in (await memory.query("diet")).results] == ["Alice is vegetarian"]
    dumped = memory.dump_component()
    assert dumped.config["model_client"]["provider"] == "autogen_ext.models.replay.ReplayChatCompletionClient"
    again = MemspanMemory.load_component(dumped)
    await again.add(MemoryContent(content="I don't eat meat any more", mime_type=MemoryMimeType.TEXT))
    assert again.memory.usage.llm_calls == 1  # the reloaded client did the extracting
    assert len(await again.memory.get_all(user_id="alice")) == 1  # and the fact was known already
    with pytest.raises(ValidationError, match="already open"):
        MemspanMemory(memory.memory, user_id="alice", model_client=ReplayChatCompletionClient([]))
    await memory.close()
    await again.close()


async def test_a_finished_team_run_is_stored_as_one_conversation(amemory: AsyncMemory) -> None:
    from autogen_agentchat.conditions import MaxMessageTermination
    from autogen_agentchat.teams import RoundRobinGroupChat

    writer = AssistantAgent("writer", model_client=RecordingReplayClient(["Draft: a window-seat itinerary."]))
    critic = AssistantAgent("critic", model_client=RecordingReplayClient(["Approved; keep the aisle away."]))
    team = RoundRobinGroupChat([writer, critic], termination_condition=MaxMessageTermination(3))
    result = await team.run(task="Plan Alice's Lisbon trip; she wants a window seat.")

    memory = MemspanMemory(amemory, user_id="alice", agent_id="planning-team")
    stored = await memory.add_task_result(result)
    by_text = {change.item.text: change.item for change in stored.changes}
    assert set(by_text) == {
        "she wants a window seat.",  # the task's fact; the request itself is not a memory
        "writer: Draft: a window-seat itinerary.",
        "critic: Approved; keep the aisle away.",
    }
    assert all(item.agent_id == "planning-team" for item in by_text.values())
    assert {item.source_ids[0] for item in by_text.values()} == {m.id for m in result.messages}


async def test_the_autogen_example_recalls_what_its_tool_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = runpy.run_path(
        str(Path(__file__).parents[2] / "examples" / "autogen_memory.py"), run_name="example"
    )
    await example["main"](str(tmp_path / "example.db"))
    out = capsys.readouterr().out
    assert "the model saved: ADD: Alice is vegetarian" in out
    assert "recalled before answering: ['Alice is vegetarian']" in out


async def test_a_relative_store_path_loads_the_same_data_from_another_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, the config kept "memspan.db" as given, and loading elsewhere opened a new empty store."""
    (tmp_path / "app").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "app")
    memory = MemspanMemory("memspan.db", user_id="alice", infer=False)
    await memory.add(MemoryContent(content="Alice flies from Lisbon", mime_type=MemoryMimeType.TEXT))
    dumped = memory.dump_component()
    await memory.close()
    assert dumped.config["store"] == str(tmp_path / "app" / "memspan.db")

    monkeypatch.chdir(tmp_path / "elsewhere")
    again = MemspanMemory.load_component(ComponentModel.model_validate_json(dumped.model_dump_json()))
    assert [m.content for m in (await again.query()).results] == ["Alice flies from Lisbon"]
    await again.close()
    assert not (tmp_path / "elsewhere" / "memspan.db").exists()


async def test_json_content_comes_back_as_json(amemory: AsyncMemory) -> None:
    memory = MemspanMemory(amemory, user_id="alice")
    trip = {"city": "Lisbon", "seat": "window", "legs": [1, 2]}
    await memory.add(MemoryContent(content=trip, mime_type=MemoryMimeType.JSON, metadata={"kind": "trip"}))
    await memory.add(MemoryContent(content="Alice likes **tea**", mime_type=MemoryMimeType.MARKDOWN))
    found = {str(m.mime_type): m for m in (await memory.query()).results}
    as_json = found[str(MemoryMimeType.JSON)]
    assert as_json.content == trip and as_json.metadata is not None and as_json.metadata["kind"] == "trip"
    assert found[str(MemoryMimeType.MARKDOWN)].content == "Alice likes **tea**"


async def test_a_blocking_memory_is_accepted_too(db_path: Path, embedder: Embedder) -> None:
    """Before, a plain memspan.Memory was refused (CrewAI refused AsyncMemory: the opposite)."""
    from memspan import Memory

    with Memory(db_path, embedder=embedder) as blocking:
        blocking.add("I prefer aisle seats", user_id="alice", agent_id="crew", infer=False)
        memory = MemspanMemory(blocking, user_id="alice", agent_id="helper")
        await memory.add(MemoryContent(content="Alice is vegetarian", mime_type=MemoryMimeType.TEXT))
        found = [m.content for m in (await memory.query("seats and food")).results]
        assert set(found) == {"I prefer aisle seats", "Alice is vegetarian"}
        assert memory.dump_component().config["store"] == str(db_path.resolve())
        await memory.clear()
        assert [i.text for i in blocking.get_all(user_id="alice")] == ["I prefer aisle seats"]
        await memory.close()  # shared: still open for its owner
        assert len(blocking.get_all(user_id="alice")) == 1
