"""Real OpenAI Agents SDK runs (``Runner.run``), driven by a scripted model, remembering through memspan."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_recalled_in_a_fresh_process, run_example

pytest.importorskip("agents")

from agents import Agent, AgentsException, ModelResponse, RunConfig, Runner, Usage
from agents.models.interface import Model
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from memspan import AsyncMemory, Memory, ScopeError, ValidationError
from memspan.integrations.openai_agents import MemspanAgentMemory, MemspanSession

Reply = str | tuple[str, dict[str, str]]


class ScriptedModel(Model):
    """Answers with the given replies in turn (text, or a ``(tool, arguments)`` call); keeps what it saw."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[str | None, Any]] = []

    async def get_response(self, system_instructions: str | None, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        self.seen.append((system_instructions, json.loads(json.dumps(input, default=str))))
        reply = self.replies.pop(0)
        n = len(self.seen)
        if isinstance(reply, tuple):
            name, arguments = reply
            output: Any = ResponseFunctionToolCall(
                id=f"fc-{n}", call_id=f"call-{n}", name=name, arguments=json.dumps(arguments), type="function_call"
            )
        else:
            text = ResponseOutputText(text=reply, type="output_text", annotations=[])
            output = ResponseOutputMessage(id=f"msg-{n}", role="assistant", status="completed", type="message", content=[text])
        return ModelResponse(output=[output], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("these tests do not stream")


def agent(model: ScriptedModel, memory: MemspanAgentMemory | None = None) -> Agent[Any]:
    tools = memory.tools() if memory is not None else []
    return Agent(name="helper", instructions="You help travellers.", model=model, tools=tools)


def run_config(memory: MemspanAgentMemory) -> RunConfig:
    return RunConfig(call_model_input_filter=memory.input_filter, tracing_disabled=True)


async def test_recall_tools_and_session_in_a_real_run(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer window seats on flights", user_id="alice", agent_id="langchain-bot")
    memory = MemspanAgentMemory(amemory, user_id="alice", agent_id="helper")
    model = ScriptedModel(
        [
            ("save_memory", {"fact": "Alice is vegetarian"}),
            ("search_memory", {"query": "What does Alice eat?"}),
            "A window seat and a vegetarian meal.",
        ]
    )
    session = memory.session("trip-1")
    result = await Runner.run(agent(model, memory), "Which seat do I like?", session=session, run_config=run_config(memory))
    assert result.final_output == "A window seat and a vegetarian meal."

    # memspan → SDK: the filter put another framework's memory of Alice into the instructions
    instructions = model.seen[0][0] or ""
    assert instructions.startswith("You help travellers.")
    assert "I prefer window seats on flights" in instructions
    # SDK → memspan: the save tool wrote in the agent's scope, the search tool read it back
    saved = await amemory.get_all(user_id="alice", agent_id="helper")
    assert [m.text for m in saved] == ["Alice is vegetarian"]
    outputs = [i for i in result.to_input_list() if isinstance(i, dict) and i.get("type") == "function_call_output"]
    assert "Alice is vegetarian" in str(outputs[1]["output"])
    # the session kept the whole turn, tool calls included, in order
    items = await session.get_items()
    assert items[0] == {"content": "Which seat do I like?", "role": "user"}
    assert [i.get("type") for i in items[1:]] == ["function_call", "function_call_output"] * 2 + ["message"]
    assert len(await session.get_items(limit=2)) == 2

    # a second run in the same session sees the first turn as history
    model2 = ScriptedModel(["Noted."])
    await Runner.run(agent(model2), "And my meal?", session=memory.session("trip-1"), run_config=run_config(memory))
    assert model2.seen[0][1][0] == {"content": "Which seat do I like?", "role": "user"}
    assert model2.seen[0][1][-1]["content"] == "And my meal?"


async def test_remember_run_feeds_the_extractor_and_sessions_stay_out_of_recall(amemory: AsyncMemory) -> None:
    memory = MemspanAgentMemory(amemory, user_id="bob")
    model = ScriptedModel(["Lisbon in May sounds lovely."])
    result = await Runner.run(
        agent(model), "I am learning Portuguese for a trip to Lisbon in May.",
        session=memory.session("s1"), run_config=run_config(memory),
    )
    added = await memory.remember_run(result)
    assert [c.item.text for c in added.changes] == ["I am learning Portuguese for a trip to Lisbon in May."]
    found = await memory.recall("Which language is Bob learning?")
    # recall finds the remembered fact, never the verbatim session transcript
    assert [m.text for m in found] == ["I am learning Portuguese for a trip to Lisbon in May."]
    assert all(m.run_id is None for m in found)


async def test_user_a_never_sees_user_b(amemory: AsyncMemory) -> None:
    await amemory.add("I am allergic to peanuts", user_id="alice")
    bob = MemspanAgentMemory(amemory, user_id="bob")
    model = ScriptedModel([("search_memory", {"query": "peanuts allergy"}), "No idea."])
    result = await Runner.run(agent(model, bob), "What am I allergic to?", run_config=run_config(bob))
    assert "peanuts" not in (model.seen[0][0] or "")
    outputs = [i for i in result.to_input_list() if isinstance(i, dict) and i.get("type") == "function_call_output"]
    assert outputs[0]["output"] == "No memories match."
    # Alice's memory cannot be forgotten by Bob's tool either
    alice_id = (await amemory.get_all(user_id="alice"))[0].id
    model = ScriptedModel([("forget_memory", {"memory_id": alice_id}), "ok"])
    await Runner.run(agent(model, bob), "forget it", run_config=run_config(bob))
    assert len(await amemory.get_all(user_id="alice")) == 1

    # the same session id, two users: each reads, pops and clears only its own items
    alice_s, bob_s = MemspanSession("shared", amemory, user_id="alice"), MemspanSession("shared", amemory, user_id="bob")
    await alice_s.add_items([{"role": "user", "content": "alice's secret"}])
    await bob_s.add_items([{"role": "user", "content": "bob's turn"}])
    assert await bob_s.get_items() == [{"role": "user", "content": "bob's turn"}]
    await bob_s.clear_session()
    assert await alice_s.get_items() == [{"role": "user", "content": "alice's secret"}]
    assert await bob_s.pop_item() is None


async def test_session_protocol_pop_clear_and_a_blocking_memory(memory: Memory) -> None:
    from agents.memory import Session, SessionSettings

    session = MemspanSession("s-2", memory, session_settings=SessionSettings(limit=2))
    assert isinstance(session, Session)
    await session.add_items([{"role": "user", "content": f"m{i}"} for i in range(3)])
    assert [i["content"] for i in await session.get_items()] == ["m1", "m2"]  # settings' limit
    assert [i["content"] for i in await session.get_items(limit=5)] == ["m0", "m1", "m2"]
    assert (await session.pop_item()) == {"role": "user", "content": "m2"}
    await session.add_items([{"role": "assistant", "content": [{"type": "output_text", "text": "m3"}]}])
    assert [i["content"] for i in await session.get_items(limit=9)][-1] == [{"type": "output_text", "text": "m3"}]
    await session.clear_session()
    assert await session.get_items() == [] and await session.pop_item() is None


async def test_a_closed_session_refuses_every_call(amemory: AsyncMemory, tmp_path: Path) -> None:
    from memspan.integrations.openai_agents import SessionClosedError

    shared = MemspanSession("s-3", amemory)
    await shared.add_items([{"role": "user", "content": "kept"}])
    shared.close()
    owned = MemspanSession("s-4", str(tmp_path / "own.db"))
    owned.close()
    owned.close()  # closing twice is harmless, as for SQLiteSession
    for session in (shared, owned):
        for call in (session.add_items([]), session.get_items(), session.pop_item(), session.clear_session()):
            with pytest.raises(RuntimeError, match="MemspanSession is closed") as raised:  # as SQLiteSession's
                await call
            assert isinstance(raised.value, SessionClosedError)
    # the memory passed in is not the session's to close: its other users still read it
    assert [i["content"] for i in await MemspanSession("s-3", amemory).get_items()] == ["kept"]


async def test_agent_and_session_scopes(amemory: AsyncMemory) -> None:
    both = MemspanAgentMemory(amemory, user_id="carol", agent_id="planner", run_id="trip-9", recall_within=["agent_id"])
    await both.remember([{"role": "user", "content": "I always book aisle seats"}])
    stored = (await amemory.get_all(user_id="carol"))[0]
    assert (stored.agent_id, stored.run_id) == ("planner", "trip-9")  # writes carry every id
    other_agent = MemspanAgentMemory(amemory, user_id="carol", agent_id="chef", recall_within=["agent_id"])
    assert await other_agent.recall("aisle seats") == []
    assert [m.text for m in await MemspanAgentMemory(amemory, user_id="carol").recall("aisle seats")] == [
        "I always book aisle seats"
    ]


async def test_bad_input_is_refused(amemory: AsyncMemory, tmp_path: Path) -> None:
    with pytest.raises(ScopeError):
        MemspanAgentMemory(amemory)
    with pytest.raises(ScopeError):
        MemspanSession("bad id!", amemory)
    with pytest.raises(ValidationError, match="recall_within"):
        MemspanAgentMemory(amemory, user_id="u", recall_within=["agent_id"])
    with pytest.raises(ValidationError):
        MemspanAgentMemory(object(), user_id="u")  # type: ignore[arg-type]
    session = MemspanSession("s", amemory)
    with pytest.raises(ValidationError, match="JSON"):
        await session.add_items([{"role": "user", "content": "ok"}, {"role": "user", "content": object()}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="bytes"):
        await session.add_items([{"role": "user", "content": "ok"}, {"role": "user", "content": "x" * 70_000}])
    assert await session.get_items() == []  # nothing of either refused batch was written
    # a tool's failure stops the run instead of reading as "no memories"
    broken = MemspanAgentMemory(amemory, user_id="u")
    model = ScriptedModel([("forget_memory", {"memory_id": "not a valid id!"}), "ok"])
    with pytest.raises(AgentsException, match="forget_memory") as raised:
        await Runner.run(agent(model, broken), "forget", run_config=run_config(broken))
    assert isinstance(raised.value.__cause__, ScopeError)


PROCESS = """
import asyncio, sys
from memspan.integrations.openai_agents import MemspanAgentMemory

async def main():
    memory = MemspanAgentMemory(sys.argv[1], user_id="dana")
    if sys.argv[2] == "learn":
        await memory.remember([{"role": "user", "content": "My daughter Ines is allergic to shellfish."}])
    else:
        print("\\n".join(m.text for m in await memory.recall("Which allergies are there in the family?")))
    memory.close()

asyncio.run(main())
"""


def test_a_fact_learned_in_one_process_is_recalled_in_another(tmp_path: Path) -> None:
    assert_recalled_in_a_fresh_process(PROCESS, tmp_path)


def test_the_example_runs_offline() -> None:
    out = run_example("openai_agents_memory.py")
    assert "run 1, the model saved: Saved: Maya always wants an aisle seat" in out
    assert "run 2, a fresh process, answered: Booked an aisle seat." in out
