"""Memory(llm=...) end to end on a real SQLite file: the behaviours every model must produce.

Each test runs against the scripted OpenAI-protocol and Anthropic-protocol servers, and against the
live providers when their keys are set; the assertions are about what ends up stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from memspan import AsyncMemory, Event, Memory, MemoryType
from memspan.llm.scripted import ChatRequest, Reply, ScriptedChatServer, ref_of, reply_json


class Model(Protocol):
    """The ``model`` fixture (tests/llm/conftest.py): scripted, or live with ``script`` ignored."""

    server: ScriptedChatServer | None

    def script(self, *replies: Reply | Callable[[ChatRequest], str]) -> None: ...


def live_texts(memory: Memory, **scope: str) -> list[str]:
    return [m.text for m in memory.get_all(**scope)]


def test_contradiction_leaves_one_current_memory_and_the_old_one_in_history(
    llm_memory: Memory, model: Model
) -> None:
    model.script(reply_json({"action": "ADD", "text": "Lives in Paris", "sources": [0], "type": "semantic"}))
    first = llm_memory.add("I live in Paris.", user_id="ana")
    assert first.usage.llm_calls == 1

    def moved(request: ChatRequest) -> str:
        ref = ref_of(request, "Paris")
        return reply_json({"action": "UPDATE", "ref": ref, "text": "Lives in Tokyo", "reason": "moved"})

    model.script(moved)
    second = llm_memory.add("I moved to Tokyo last month.", user_id="ana")
    assert second.usage.llm_calls == 1

    current = live_texts(llm_memory, user_id="ana")
    assert len([t for t in current if "tokyo" in t.lower()]) == 1, current
    assert not [t for t in current if "paris" in t.lower() and "tokyo" not in t.lower()], current
    everything = llm_memory.get_all(user_id="ana", include_deleted=True)
    old_texts = [e.old_text or "" for m in everything for e in llm_memory.history(m.id)]
    assert any("paris" in t.lower() for t in old_texts), "the Paris memory must survive in history"


def test_same_fact_twice_stays_one_memory(llm_memory: Memory, model: Model) -> None:
    fact = {"action": "ADD", "text": "Is allergic to peanuts", "sources": [0]}
    model.script(reply_json(fact), lambda r: reply_json({"action": "NOOP", "ref": ref_of(r, "peanut")}))
    llm_memory.add("I'm allergic to peanuts.", user_id="ben")
    again = llm_memory.add("Just so you know, I am allergic to peanuts.", user_id="ben")
    assert all(c.event is Event.NOOP for c in again.changes)
    assert len([t for t in live_texts(llm_memory, user_id="ben") if "peanut" in t.lower()]) == 1


def test_an_identical_add_from_a_careless_model_is_still_one_memory(llm_memory: Memory, model: Model) -> None:
    fact = {"action": "ADD", "text": "Is allergic to peanuts", "sources": [0]}
    model.script(reply_json(fact), reply_json(fact))  # the model ignores the offered memory
    llm_memory.add("I'm allergic to peanuts.", user_id="bea")
    llm_memory.add("I'm allergic to peanuts.", user_id="bea")
    assert len([t for t in live_texts(llm_memory, user_id="bea") if "peanut" in t.lower()]) == 1


def test_credentials_and_card_numbers_are_never_stored(llm_memory: Memory, model: Model) -> None:
    model.script(
        reply_json(
            {"action": "ADD", "text": "Card number is 4111 1111 1111 1111", "sources": [0]},
            {"action": "ADD", "text": "Email password is hunter2!", "sources": [0]},
            {"action": "ADD", "text": "Likes jazz", "sources": [0]},
        )
    )
    llm_memory.add(
        "My card number is 4111 1111 1111 1111 and my email password is hunter2! Also, I love jazz.",
        user_id="cal",
    )
    stored = " ".join(live_texts(llm_memory, user_id="cal")).lower()
    assert "4111" not in stored and "hunter2" not in stored
    assert "jazz" in stored


def test_relative_dates_resolve_against_the_message_time(llm_memory: Memory, model: Model) -> None:
    model.script(reply_json({"action": "ADD", "text": "Went hiking yesterday", "sources": [0]}))
    message = {"role": "user", "content": "I went hiking yesterday.", "created_at": "2023-05-08T13:56:00Z"}
    (change,) = [c for c in llm_memory.add([message], user_id="dee").changes if c.event is Event.ADD]
    assert "yesterday" not in change.item.text.lower()
    assert "2023-05-07" in change.item.text or "May 7" in change.item.text, change.item.text
    assert change.item.created_at.startswith("2023-05-08")


def test_names_ids_and_agent_facts_are_kept(llm_memory: Memory, model: Model) -> None:
    conversation = [
        {"role": "user", "name": "Caroline", "content": "I adopted a beagle called Rex.", "id": "D1:1"},
        {
            "role": "assistant",
            "name": "Ava",
            "content": "Noted! I'm Ava and I always reply in French.",
            "id": "D1:2",
        },
    ]
    model.script(
        reply_json(
            {"action": "ADD", "text": "Caroline adopted a beagle called Rex", "sources": [0]},
            {"action": "ADD", "text": "Ava always replies in French", "sources": [1]},
        )
    )
    result = llm_memory.add(conversation, user_id="caroline", agent_id="ava")
    texts = " ".join(c.item.text for c in result.changes).lower()
    assert "rex" in texts and "french" in texts
    if model.server is not None:
        by_text = {c.item.text: c.item for c in result.changes}
        assert by_text["Caroline adopted a beagle called Rex"].source_ids == ("D1:1",)
        assert by_text["Ava always replies in French"].source_ids == ("D1:2",)
        prompt = model.server.requests[0]
        assert '"name": "Caroline"' in prompt.prompt and "from the assistant's messages" in prompt.prompt


def test_procedural_memory_summarises_how_the_task_was_done(llm_memory: Memory, model: Model) -> None:
    steps = [
        {"role": "user", "content": "Deploy the blog to production."},
        {
            "role": "assistant",
            "content": "I ran the tests with pytest, built with `make dist`, then ran `fly deploy`.",
        },
        {"role": "assistant", "content": "Deployed; the health check at /healthz passed."},
    ]
    summary = "To deploy the blog: run pytest, build with make dist, run fly deploy, check /healthz"
    model.script(reply_json({"action": "ADD", "text": summary, "sources": [0, 1, 2], "type": "procedural"}))
    result = llm_memory.add(steps, agent_id="ops-bot", memory_type="procedural_memory")
    added = [c.item for c in result.changes if c.event is Event.ADD]
    assert added and all(item.memory_type is MemoryType.PROCEDURAL for item in added)
    assert "deploy" in " ".join(item.text.lower() for item in added)
    if model.server is not None:
        assert "procedural memory" in model.server.requests[0].prompt


def test_usage_is_reported_per_add_and_totalled_per_memory(llm_memory: Memory, model: Model) -> None:
    model.script(
        reply_json({"action": "ADD", "text": "Plays the cello", "sources": [0]}),
        reply_json({"action": "ADD", "text": "Works as a nurse", "sources": [0]}),
    )
    one = llm_memory.add("I play the cello.", user_id="eve")
    two = llm_memory.add("I work as a nurse.", user_id="eve")
    for result in (one, two):
        assert result.usage.llm_calls == 1
        assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert llm_memory.usage == one.usage + two.usage


async def test_async_adds_run_concurrently(allm_memory: AsyncMemory, model: Model) -> None:
    users = ["u1", "u2", "u3", "u4"]

    def echo(request: ChatRequest) -> str:
        said = request.messages[1]["content"].split('"text": "', 1)[1].split('"', 1)[0]
        return reply_json({"action": "ADD", "text": said, "sources": [0]})

    model.script(*[echo] * len(users))
    results = await asyncio.gather(
        *[allm_memory.add(f"My lucky number is {i + 7}.", user_id=u) for i, u in enumerate(users)]
    )
    assert all(r.usage.llm_calls == 1 for r in results)
    for i, user in enumerate(users):
        texts = [m.text for m in await allm_memory.get_all(user_id=user)]
        assert len(texts) == 1 and str(i + 7) in texts[0], texts
