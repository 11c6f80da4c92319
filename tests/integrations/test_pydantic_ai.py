"""Real pydantic-ai runs (``Agent.run``) with its own ``FunctionModel``, remembering through memspan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_recalled_in_a_fresh_process, run_example

pytest.importorskip("pydantic_ai")

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from memspan import AsyncMemory, Memory, ScopeError, StoreError, ValidationError
from memspan.integrations.pydantic_ai import MemspanMemory

Reply = str | tuple[str, dict[str, str]]


class Script:
    """A ``FunctionModel`` body: replies in turn (``(tool, args)`` calls a tool); keeps the instructions it got."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.instructions: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.instructions.append(info.instructions or "")
        reply = self.replies.pop(0)
        if isinstance(reply, tuple):
            return ModelResponse(parts=[ToolCallPart(tool_name=reply[0], args=reply[1], tool_call_id=f"c{len(self.instructions)}")])
        return ModelResponse(parts=[TextPart(reply)])


def tool_returns(messages: list[ModelMessage]) -> list[Any]:
    return [p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]


async def test_recall_tools_and_remembering_in_a_real_run(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer window seats on flights", user_id="alice", agent_id="langchain-bot")
    memory = MemspanMemory(amemory, user_id="alice", agent_id="concierge", tools=True)
    script = Script([
        ("save_memory", {"fact": "Alice is vegetarian"}),
        ("search_memory", {"query": "What does Alice eat?"}),
        "A window seat and a vegetarian meal.",
    ])
    agent = Agent(FunctionModel(script), instructions="You book trips.", capabilities=[memory])
    result = await agent.run("Which seat do I like? I am learning Portuguese.")
    assert result.output == "A window seat and a vegetarian meal."
    # memspan → pydantic-ai: another framework's memory of Alice was in the instructions
    assert "You book trips." in script.instructions[0] and "I prefer window seats on flights" in script.instructions[0]
    # pydantic-ai → memspan: the tool saved in the agent's scope, the search read it back
    returns = tool_returns(result.all_messages())
    assert returns[0].startswith("Saved: Alice is vegetarian") and "Alice is vegetarian" in returns[1]
    # after the run, its user prompt went through the extractor
    texts = [m.text for m in await amemory.get_all(user_id="alice", agent_id="concierge")]
    assert "I am learning Portuguese." in texts  # the fact, not the question before it
    assert not any("Which seat" in t for t in texts)


async def test_per_run_capability_and_user_isolation(amemory: AsyncMemory) -> None:
    await amemory.add("I am allergic to shellfish", user_id="alice")
    alice_id = (await amemory.get_all(user_id="alice"))[0].id
    script = Script([("search_memory", {"query": "shellfish allergy"}), ("forget_memory", {"memory_id": alice_id}), "No idea."])
    agent = Agent(FunctionModel(script))  # one agent for every user: memory comes with the run
    bob = MemspanMemory(amemory, user_id="bob", tools=True, store=False)
    result = await agent.run("Am I allergic to shellfish?", capabilities=[bob])
    assert "I am allergic to shellfish" not in script.instructions[0]
    returns = tool_returns(result.all_messages())
    assert returns[0] == "No memories match." and returns[1].startswith("No memory with id")
    assert len(await amemory.get_all(user_id="alice")) == 1
    assert await amemory.get_all(user_id="bob") == []  # store=False wrote nothing


async def test_agent_and_session_scopes_with_a_blocking_memory(memory: Memory) -> None:
    planner = MemspanMemory(memory, user_id="carol", agent_id="planner", run_id="trip-9", recall_within=["agent_id"])
    await Agent(FunctionModel(Script(["Noted."])), capabilities=[planner]).run("I always book aisle seats")
    item = next(m for m in memory.get_all(user_id="carol") if m.text == "I always book aisle seats")
    assert (item.agent_id, item.run_id) == ("planner", "trip-9")
    chef = MemspanMemory(memory, user_id="carol", agent_id="chef", recall_within=["agent_id"])
    assert await chef.recall("aisle seats") == []
    assert (await MemspanMemory(memory, user_id="carol").recall("aisle seats"))[0].id == item.id


async def test_bad_input_is_refused(amemory: AsyncMemory) -> None:
    with pytest.raises(ScopeError):
        MemspanMemory(amemory)
    with pytest.raises(ScopeError):
        MemspanMemory(amemory, user_id="not a valid id!")
    with pytest.raises(ValidationError, match="recall_within"):
        MemspanMemory(amemory, user_id="u", recall_within=["agent_id"])
    with pytest.raises(ValidationError):
        MemspanMemory(object(), user_id="u")  # type: ignore[arg-type]
    # a tool failure is raised, not handed to the model as a retry prompt
    memory = MemspanMemory(amemory, user_id="u", tools=True)
    script = Script([("forget_memory", {"memory_id": "not a valid id!"}), "ok"])
    with pytest.raises(ScopeError):
        await Agent(FunctionModel(script), capabilities=[memory]).run("forget it")
    # a failing store stops the run instead of reading as "no memories"
    await amemory.aclose()
    with pytest.raises(StoreError):
        await Agent(FunctionModel(Script(["never"])), capabilities=[memory]).run("hello?")


PROCESS = """
import asyncio, sys
from pydantic_ai import Agent
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import FunctionModel
from memspan.integrations.pydantic_ai import MemspanMemory

async def main():
    memory = MemspanMemory(sys.argv[1], user_id="dana")
    if sys.argv[2] == "learn":
        agent = Agent(FunctionModel(lambda messages, info: ModelResponse(parts=[TextPart("Noted.")])), capabilities=[memory])
        await agent.run("My daughter Ines is allergic to shellfish.")
    else:
        print("\\n".join(m.text for m in await memory.recall("Which allergies are there in the family?")))
    memory.close()

asyncio.run(main())
"""


def test_a_fact_learned_in_one_process_is_recalled_in_another(tmp_path: Path) -> None:
    assert_recalled_in_a_fresh_process(PROCESS, tmp_path)


def test_the_example_runs_offline() -> None:
    out = run_example("pydantic_ai_memory.py")
    assert "run 1, the model saved: Saved: Maya always wants an aisle seat" in out
    assert "run 2, a fresh process, answered: Booked an aisle seat." in out


def test_run_sync_with_a_blocking_memory(memory: Memory) -> None:
    memory.add("I love green tea", user_id="zoe")
    script = Script(["Green tea it is."])
    result = Agent(FunctionModel(script), capabilities=[MemspanMemory(memory, user_id="zoe")]).run_sync("Which tea do I like?")
    assert result.output == "Green tea it is."
    assert "I love green tea" in script.instructions[0]
    assert [m.text for m in memory.get_all(user_id="zoe")] == ["I love green tea"]  # a question is no memory
