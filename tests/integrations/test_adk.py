"""Real Google ADK runs (``Runner.run_async``) with a scripted model, remembering through memspan."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import pytest

from .conftest import assert_recalled_in_a_fresh_process, run_example

pytest.importorskip("google.adk")
os.environ.setdefault("ADK_DISABLE_TELEMETRY", "1")

from google.adk.agents import LlmAgent
from google.adk.events.event import Event
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService, Session
from google.adk.tools import load_memory, preload_memory
from google.genai import types
from pydantic import Field

from memspan import AsyncMemory, Memory, NotFoundError, ScopeError, ValidationError
from memspan.integrations.adk import MemspanMemoryService

APP = "travel-app"


class ScriptedLlm(BaseLlm):
    """Answers with its replies in turn: ``(tool, args)`` is a function call, a string the answer."""

    model: str = "scripted"
    replies: list[Any] = Field(default_factory=list)
    seen: list[LlmRequest] = Field(default_factory=list)

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False) -> AsyncGenerator[LlmResponse, None]:
        self.seen.append(llm_request.model_copy(deep=True))
        reply = self.replies.pop(0)
        if isinstance(reply, tuple):
            part = types.Part(function_call=types.FunctionCall(name=reply[0], args=reply[1]))
        else:
            part = types.Part(text=reply)
        yield LlmResponse(content=types.Content(role="model", parts=[part]))


def request_text(request: LlmRequest) -> str:
    """Everything the model was shown as text: instructions and contents (where preload_memory puts memories)."""
    texts = [str(request.config.system_instruction or "")] if request.config else []
    texts += [p.text for c in request.contents for p in (c.parts or []) if p.text]
    return "\n".join(texts)


async def ask(runner: Runner, user_id: str, session_id: str, text: str) -> list[Event]:
    service = runner.session_service
    if await service.get_session(app_name=runner.app_name, user_id=user_id, session_id=session_id) is None:
        await service.create_session(app_name=runner.app_name, user_id=user_id, session_id=session_id)
    message = types.Content(role="user", parts=[types.Part(text=text)])
    return [e async for e in runner.run_async(user_id=user_id, session_id=session_id, new_message=message)]


def runner(service: MemspanMemoryService, model: ScriptedLlm, tools: list[Any], app: str = APP) -> Runner:
    agent = LlmAgent(name="concierge", model=model, instruction="You book trips.", tools=tools)
    return Runner(app_name=app, agent=agent, session_service=InMemorySessionService(), memory_service=service)


async def session_of(r: Runner, user_id: str, session_id: str) -> Session:
    session = await r.session_service.get_session(app_name=r.app_name, user_id=user_id, session_id=session_id)
    assert session is not None
    return session


async def test_a_session_is_remembered_and_preloaded_into_the_next(amemory: AsyncMemory) -> None:
    service = MemspanMemoryService(amemory)
    first = runner(service, ScriptedLlm(replies=["Noted, window seats."]), [preload_memory])
    await ask(first, "alice", "s1", "I always want a window seat when I fly.")
    await service.add_session_to_memory(await session_of(first, "alice", "s1"))

    # what the offline extractor keeps of the agent's reply is its business; the user's fact is kept
    stored = {m.text: m for m in await amemory.get_all(user_id="alice")}
    fact = stored["I always want a window seat when I fly."]
    assert (fact.agent_id, fact.run_id) == (APP, None)  # app → agent_id, session → metadata
    assert fact.metadata["adk_session_id"] == "s1"

    model = ScriptedLlm(replies=["A window seat, as always."])
    second = runner(service, model, [preload_memory])
    await ask(second, "alice", "s2", "Which seat should I book to Lisbon?")
    assert "I always want a window seat when I fly." in request_text(model.seen[0])


async def test_load_memory_tool_and_adding_a_session_twice(amemory: AsyncMemory) -> None:
    service = MemspanMemoryService(amemory)
    r = runner(service, ScriptedLlm(replies=["Got it.", "Sure."]), [load_memory])
    await ask(r, "bob", "s1", "I am allergic to peanuts.")
    await service.add_session_to_memory(await session_of(r, "bob", "s1"))
    await ask(r, "bob", "s1", "Also, I am learning Portuguese.")
    await service.add_session_to_memory(await session_of(r, "bob", "s1"))  # added again, grown
    texts = [m.text for m in await amemory.get_all(user_id="bob")]
    assert {"I am allergic to peanuts.", "I am learning Portuguese."} <= set(texts)  # "Also," is not a fact
    assert len(texts) == len(set(texts))  # the first turn was not ingested twice
    # a memory deleted is not brought back by adding its session again (as ADK's own service does)
    portuguese = next(m for m in await amemory.get_all(user_id="bob") if "Portuguese" in m.text)
    await service.delete_memory(app_name=APP, user_id="bob", memory_id=portuguese.id)
    await service.add_session_to_memory(await session_of(r, "bob", "s1"))
    assert not [m for m in await amemory.get_all(user_id="bob") if "Portuguese" in m.text]

    model = ScriptedLlm(replies=[("load_memory", {"query": "food allergies"}), "No peanuts for you."])
    events = await ask(runner(service, model, [load_memory]), "bob", "s2", "What should I avoid eating?")
    responses = [p.function_response for e in events for p in (e.content.parts if e.content else []) if p.function_response]
    memories = responses[0].response["result"].memories  # type: ignore[index]
    assert memories[0].content.parts[0].text == "I am allergic to peanuts."
    assert memories[0].custom_metadata["user_id"] == "bob"


async def test_user_a_never_sees_user_b(amemory: AsyncMemory) -> None:
    service = MemspanMemoryService(amemory)
    await amemory.add("I am allergic to shellfish", user_id="alice", agent_id=APP)
    model = ScriptedLlm(replies=[("load_memory", {"query": "allergic shellfish"}), "I do not know."])
    events = await ask(runner(service, model, [load_memory, preload_memory]), "bob", "s1", "Am I allergic to shellfish?")
    assert "I am allergic to shellfish" not in request_text(model.seen[0])
    responses = [p.function_response for e in events for p in (e.content.parts if e.content else []) if p.function_response]
    assert responses[0].response["result"].memories == []  # type: ignore[index]
    alice_id = (await amemory.get_all(user_id="alice"))[0].id
    with pytest.raises(NotFoundError):
        await service.delete_memory(app_name=APP, user_id="bob", memory_id=alice_id)
    assert len(await amemory.get_all(user_id="alice")) == 1


async def test_app_and_session_scopes(amemory: AsyncMemory) -> None:
    await amemory.add("I prefer aisle seats", user_id="carol", agent_id="langchain-bot")
    whole_user = MemspanMemoryService(amemory)
    this_app = MemspanMemoryService(amemory, recall_within=["user_id", "agent_id"])
    # default recall: the whole user, whatever app or framework learned it
    found = await whole_user.search_memory(app_name=APP, user_id="carol", query="aisle seats")
    assert [m.content.parts[0].text for m in found.memories if m.content.parts] == ["I prefer aisle seats"]
    assert (await this_app.search_memory(app_name=APP, user_id="carol", query="aisle seats")).memories == []

    per_session = MemspanMemoryService(amemory, scope_sessions=True, agent_id="planner")
    event = Event(author="user", invocation_id="i1", content=types.Content(role="user", parts=[types.Part(text="My budget is 900 euros")]))
    await per_session.add_events_to_memory(app_name=APP, user_id="carol", events=[event], session_id="trip-7", custom_metadata={"trip": "lisbon"})
    item = (await amemory.get_all(user_id="carol", run_id="trip-7"))[0]
    assert (item.agent_id, item.run_id, item.metadata["trip"]) == ("planner", "trip-7", "lisbon")


async def test_add_memory_and_delete_memory(memory: Memory) -> None:
    service = MemspanMemoryService(memory)  # a blocking memory works too: calls run in a thread
    entries = [MemoryEntry(content=types.Content(parts=[types.Part(text="Dana's passport expires in March")]), author="user")]
    await service.add_memory(app_name=APP, user_id="dana", memories=entries, custom_metadata={"source": "form"})
    found = await service.search_memory(app_name=APP, user_id="dana", query="When does the passport expire?")
    assert found.memories[0].custom_metadata["source"] == "form"
    assert found.memories[0].id is not None
    await service.delete_memory(app_name=APP, user_id="dana", memory_id=found.memories[0].id)
    assert (await service.search_memory(app_name=APP, user_id="dana", query="passport")).memories == []


def _event(author: str, text: str, n: int) -> Event:
    role = "user" if author == "user" else "model"
    return Event(id=f"e{n}", author=author, invocation_id=f"i{n}", content=types.Content(role=role, parts=[types.Part(text=text)]))


async def test_entries_carry_their_author_when_the_evidence_names_one(amemory: AsyncMemory) -> None:
    service = MemspanMemoryService(amemory)
    await service.add_events_to_memory(app_name=APP, user_id="fay", events=[_event("user", "I like to code in Python.", 1)])
    turn = [_event("user", "I am allergic to shellfish.", 2), _event("concierge", "The shellfish platter is off your menu.", 3)]
    await service.add_events_to_memory(app_name=APP, user_id="fay", events=turn)
    entry = MemoryEntry(content=types.Content(parts=[types.Part(text="Fay flies economy")]), author="booking-agent")
    await service.add_memory(app_name=APP, user_id="fay", memories=[entry])
    await service.add_memory(app_name=APP, user_id="fay", memories=[MemoryEntry(content=types.Content(parts=[types.Part(text="Fay lives in Porto")]))])

    def author(query: str, text: str) -> str | None:
        return next(m.author for m in found[query].memories if m.content.parts and m.content.parts[0].text == text)

    found = {q: await service.search_memory(app_name=APP, user_id="fay", query=q) for q in ("Python", "shellfish", "economy", "Porto")}
    assert author("Python", "I like to code in Python.") == "user"  # a user's turn: the user wrote it
    assert author("shellfish", "I am allergic to shellfish.") is None  # learned from two authors' events
    # the agent's words: memspan keeps "concierge: ..."; ADK gets the author apart, as preload_memory prints it
    assert author("shellfish", "The shellfish platter is off your menu.") == "concierge"
    assert author("economy", "Fay flies economy") == "booking-agent"  # an explicit entry keeps its author
    assert author("Porto", "Fay lives in Porto") is None  # and an entry without one stays without


async def test_bad_input_is_refused(amemory: AsyncMemory) -> None:
    service = MemspanMemoryService(amemory)
    with pytest.raises(ScopeError):
        await service.search_memory(app_name=APP, user_id="not a valid id!", query="x")
    with pytest.raises(ValidationError, match="recall_within"):
        MemspanMemoryService(amemory, recall_within=["run_id"])
    with pytest.raises(ValidationError):
        MemspanMemoryService(object())  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="memory_id"):
        await service.delete_memory(app_name=APP, user_id="eve")
    good = MemoryEntry(content=types.Content(parts=[types.Part(text="fine")]))
    empty = MemoryEntry(content=types.Content(parts=[]))
    with pytest.raises(ValidationError, match="no text"):
        await service.add_memory(app_name=APP, user_id="eve", memories=[good, empty])
    assert await amemory.get_all(user_id="eve") == []  # nothing of the refused batch was written
    assert (await service.search_memory(app_name=APP, user_id="eve", query="  ")).memories == []


PROCESS = """
import asyncio, sys
from google.adk.events.event import Event
from google.genai import types
from memspan.integrations.adk import MemspanMemoryService

async def main():
    service = MemspanMemoryService(sys.argv[1])
    if sys.argv[2] == "learn":
        text = "My daughter Ines is allergic to shellfish."
        event = Event(author="user", invocation_id="i", content=types.Content(role="user", parts=[types.Part(text=text)]))
        await service.add_events_to_memory(app_name="family-app", user_id="dana", events=[event], session_id="s1")
    else:
        found = await service.search_memory(app_name="other-app", user_id="dana", query="Which allergies are there?")
        print("\\n".join(m.content.parts[0].text for m in found.memories))
    service.close()

asyncio.run(main())
"""


def test_a_fact_learned_in_one_process_is_recalled_in_another(tmp_path: Path) -> None:
    assert_recalled_in_a_fresh_process(PROCESS, tmp_path)


def test_the_example_runs_offline() -> None:
    out = run_example("adk_memory.py")
    assert "session 1, remembered: I always want an aisle seat." in out
    assert "session 2, a fresh process, answered: Booked an aisle seat." in out
