"""Real Microsoft Agent Framework runs (``Agent.run``) with a scripted chat client, remembering through memspan."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_recalled_in_a_fresh_process, run_example

pytest.importorskip("agent_framework")

from agent_framework import Agent, BaseChatClient, ChatResponse, Content, Message
from agent_framework._tools import FunctionInvocationLayer

from memspan import AsyncMemory, Memory, ScopeError, StoreError, ValidationError
from memspan.integrations.agent_framework import MemspanContextProvider, MemspanHistoryProvider

Reply = str | tuple[str, dict[str, str]]


class ScriptedClient(FunctionInvocationLayer[Any], BaseChatClient[Any]):
    """A chat client answering with its replies in turn (``(tool, args)`` calls a tool); keeps what it saw."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        super().__init__()
        self.replies = list(replies)
        self.seen: list[tuple[list[Message], Mapping[str, Any]]] = []

    async def _respond(self, messages: Sequence[Message], options: Mapping[str, Any]) -> ChatResponse:
        self.seen.append((list(messages), dict(options)))
        reply = self.replies.pop(0)
        n = len(self.seen)
        if isinstance(reply, tuple):
            content = Content.from_function_call(call_id=f"call-{n}", name=reply[0], arguments=reply[1])
        else:
            content = Content.from_text(reply)
        return ChatResponse(messages=[Message(role="assistant", contents=[content])], response_id=f"r{n}")

    def _inner_get_response(self, *, messages: Sequence[Message], stream: bool, options: Mapping[str, Any], **kwargs: Any) -> Any:
        assert not stream, "these tests do not stream"
        return self._respond(messages, options)


def shown(client: ScriptedClient, call: int = 0) -> str:
    """What the model was given on one call: instructions and message texts."""
    messages, options = client.seen[call]
    return "\n".join([str(options.get("instructions") or ""), *(m.text for m in messages)])


async def test_context_provider_recalls_before_and_remembers_after(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer window seats on flights", user_id="alice", agent_id="langchain-bot")
    provider = MemspanContextProvider(amemory, user_id="alice", agent_id="concierge")
    client = ScriptedClient(["A window seat, noted that you are vegetarian."])
    agent = Agent(client=client, instructions="You book trips.", context_providers=[provider])
    response = await agent.run("I am vegetarian. Which seat do I like?")
    assert response.text == "A window seat, noted that you are vegetarian."
    # memspan → Agent Framework: another framework's memory of Alice was in front of the model
    assert "I prefer window seats on flights" in shown(client)
    # Agent Framework → memspan: the turn went through the extractor, in the provider's write scope
    learned = await amemory.get_all(user_id="alice", agent_id="concierge")
    learned_texts = [m.text for m in learned]
    assert "I am vegetarian." in learned_texts  # the fact, not the question beside it
    assert not any("Which seat" in t for t in learned_texts)
    assert all(m.metadata.get("framework") == "agent-framework" for m in learned)


async def test_history_provider_keeps_the_session_across_agents(amemory: AsyncMemory) -> None:
    history = MemspanHistoryProvider(amemory, user_id="bob")
    client = ScriptedClient([("save_memory", {"fact": "Bob is allergic to peanuts"}), "Saved.", "You are allergic to peanuts."])
    provider = MemspanContextProvider(amemory, user_id="bob", tools=True)
    agent = Agent(client=client, context_providers=[history, provider])
    session = agent.create_session(session_id="trip-1")
    await agent.run("Remember that I am allergic to peanuts.", session=session)
    assert [m.text for m in await amemory.get_all(user_id="bob", filters={"memspan_transcript": {"ne": True}})].count(
        "Bob is allergic to peanuts"
    ) == 1
    stored = await history.get_messages("trip-1")
    assert [str(m.role) for m in stored] == ["user", "assistant", "tool", "assistant"]
    assert stored[1].contents[0].type == "function_call" and stored[2].contents[0].type == "function_result"

    # a new agent and session object, the same session id: the history comes back from memspan
    agent2 = Agent(client=client, context_providers=[MemspanHistoryProvider(amemory, user_id="bob")])
    await agent2.run("What am I allergic to?", session=agent2.create_session(session_id="trip-1"))
    sent = [m.text for m in client.seen[-1][0]]
    assert sent[0] == "Remember that I am allergic to peanuts." and sent[-1] == "What am I allergic to?"
    assert len(await history.get_messages("trip-1")) == 6
    await history.clear("trip-1")
    assert await history.get_messages("trip-1") == []


async def test_user_a_never_sees_user_b(amemory: AsyncMemory) -> None:
    await amemory.add("I am allergic to shellfish", user_id="alice")
    bob = MemspanContextProvider(amemory, user_id="bob", tools=True, store=False)
    alice_id = (await amemory.get_all(user_id="alice"))[0].id
    client = ScriptedClient([("search_memory", {"query": "shellfish allergy"}), ("forget_memory", {"memory_id": alice_id}), "No idea."])
    response = await Agent(client=client, context_providers=[bob]).run("Am I allergic to shellfish?")
    assert "I am allergic to shellfish" not in shown(client)
    results = [c.result for m in response.messages for c in m.contents if c.type == "function_result"]
    assert results[0] == "No memories match."
    assert "No memory with id" in str(results[1])
    assert len(await amemory.get_all(user_id="alice")) == 1

    # one session id, two users: each loads only their own messages
    a, b = MemspanHistoryProvider(amemory, user_id="alice"), MemspanHistoryProvider(amemory, user_id="bob")
    await a.save_messages("shared", [Message(role="user", contents=["alice's secret"])])
    await b.save_messages("shared", [Message(role="user", contents=["bob's turn"])])
    assert [m.text for m in await b.get_messages("shared")] == ["bob's turn"]


async def test_agent_and_session_scopes(memory: Memory) -> None:
    planner = MemspanContextProvider(memory, user_id="carol", agent_id="planner", run_id="trip-9", recall_within=["agent_id"])
    client = ScriptedClient(["Noted."])
    await Agent(client=client, context_providers=[planner]).run("I always book aisle seats")
    item = next(m for m in memory.get_all(user_id="carol") if m.text == "I always book aisle seats")
    assert (item.agent_id, item.run_id) == ("planner", "trip-9")  # writes carry every id
    chef = MemspanContextProvider(memory, user_id="carol", agent_id="chef", recall_within=["agent_id"])
    assert await chef.recall("aisle seats") == []
    whole_user = await MemspanContextProvider(memory, user_id="carol").recall("aisle seats")
    assert whole_user[0].id == item.id


async def test_bad_input_is_refused(amemory: AsyncMemory) -> None:
    with pytest.raises(ScopeError):
        MemspanContextProvider(amemory)
    with pytest.raises(ValidationError, match="recall_within"):
        MemspanContextProvider(amemory, user_id="u", recall_within=["agent_id"])
    with pytest.raises(ValidationError):
        MemspanHistoryProvider(object())  # type: ignore[arg-type]
    history = MemspanHistoryProvider(amemory)
    with pytest.raises(ValidationError, match="session"):
        await history.get_messages(None)
    with pytest.raises(ScopeError):
        await history.get_messages("not a valid id!")
    big = Message(role="user", contents=["x" * 70_000])
    with pytest.raises(ValidationError, match="bytes"):
        await history.save_messages("s", [Message(role="user", contents=["ok"]), big])
    assert await history.get_messages("s") == []  # nothing of the refused batch was written
    # a failing store stops the run instead of reading as "no memories"
    broken = MemspanContextProvider(amemory, user_id="u")
    await amemory.aclose()
    with pytest.raises(StoreError, match="closed"):
        await Agent(client=ScriptedClient(["never"]), context_providers=[broken]).run("hello?")


async def test_history_keeps_what_compaction_excluded_and_floats_json_cannot_hold(amemory: AsyncMemory) -> None:
    history = MemspanHistoryProvider(amemory, skip_excluded=True)
    odd = {"nan": float("nan"), "inf": [float("inf"), float("-inf")], "note": {"__memspan_float__": 1}}
    await history.save_messages(
        "s1",
        [
            Message(role="user", contents=["keep"], additional_properties=odd),
            Message(role="assistant", contents=["old"], additional_properties={"_excluded": True}),
        ],
    )
    loaded = await history.get_messages("s1")
    assert [m.text for m in loaded] == ["keep"]  # skip_excluded, as the built-in providers do
    kept = loaded[0].additional_properties
    assert math.isnan(kept["nan"]) and kept["inf"] == [float("inf"), float("-inf")]
    assert kept["note"] == {"__memspan_float__": 1}  # a dict that merely looks like the tag stays a dict
    everything = await MemspanHistoryProvider(amemory).get_messages("s1")
    assert [m.text for m in everything] == ["keep", "old"]  # excluded is not deleted


async def test_recall_as_a_message_where_mem0_puts_it(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer window seats on flights", user_id="erin")
    provider = MemspanContextProvider(amemory, user_id="erin", recall_as="message", store=False)
    client = ScriptedClient(["A window seat."])
    await Agent(client=client, instructions="You book trips.", context_providers=[provider]).run("Which seat?")
    messages, options = client.seen[0]
    assert "window seats" not in str(options.get("instructions") or "")
    first = messages[0]
    assert str(first.role) == "user" and "I prefer window seats on flights" in first.text
    with pytest.raises(ValidationError, match="recall_as"):
        MemspanContextProvider(amemory, user_id="erin", recall_as="system")  # type: ignore[arg-type]


PROCESS = """
import asyncio, sys
from memspan.integrations.agent_framework import MemspanContextProvider

async def main():
    provider = MemspanContextProvider(sys.argv[1], user_id="dana")
    if sys.argv[2] == "learn":
        from memspan.integrations._hosted import learn
        from memspan.effects import run_async
        await run_async(learn(provider.port, provider.owner.write, [{"role": "user", "content": "My daughter Ines is allergic to shellfish."}], "test"))
    else:
        print("\\n".join(m.text for m in await provider.recall("Which allergies are there in the family?")))
    provider.close()

asyncio.run(main())
"""


def test_a_fact_learned_in_one_process_is_recalled_in_another(tmp_path: Path) -> None:
    assert_recalled_in_a_fresh_process(PROCESS, tmp_path)


def test_the_example_runs_offline() -> None:
    out = run_example("agent_framework_memory.py")
    assert "    - I always want an aisle seat." in out
    assert "run 2, a fresh process, answered: Booked an aisle seat." in out
    assert "session booking-1, as kept in memspan: ['user: I always want an aisle seat.'" in out


def test_the_autogen_migration_example_runs_offline() -> None:
    """docs/integrations/agent-framework.md's migration note, run: AutoGen learns, Agent Framework recalls."""
    pytest.importorskip("autogen_agentchat")
    out = run_example("autogen_to_agent_framework.py")
    assert "before (AutoGen): the task is in memspan" in out
    assert "    - I am vegetarian" in out  # what AutoGen's memory kept, in Agent Framework's instructions
    assert "a fresh process, answered: A vegetarian meal is booked." in out
