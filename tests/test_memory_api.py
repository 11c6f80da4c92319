"""The public Memory API on the embedded default: what users do every day."""

from __future__ import annotations

from pathlib import Path

import pytest

from memspan import AsyncMemory, Event, Memory, MemoryType, NotFoundError
from memspan.ports import Embedder

CHAT = [
    {"role": "user", "content": "I'm vegetarian and I'm allergic to peanuts.", "id": "m1"},
    {"role": "assistant", "content": "Got it, I will keep that in mind.", "id": "m2"},
    {"role": "user", "content": "I prefer window seats on long flights.", "id": "m3"},
]


def test_add_extracts_user_facts_with_provenance(memory: Memory) -> None:
    result = memory.add(CHAT, user_id="alice")
    assert [c.event for c in result.changes] == [Event.ADD, Event.ADD]
    texts = {c.item.text: c.item for c in result.changes}
    assert set(texts) == {
        "I'm vegetarian and I'm allergic to peanuts.",
        "I prefer window seats on long flights.",
    }
    assert texts["I prefer window seats on long flights."].source_ids == ("m3",)
    assert all(item.user_id == "alice" and item.agent_id is None for item in texts.values())
    assert result.usage.llm_calls == 0


def test_search_finds_the_relevant_memory_first(memory: Memory) -> None:
    memory.add(CHAT, user_id="alice")
    hits = memory.search("Which seat should I book for her flight?", user_id="alice", limit=2)
    assert hits[0].text == "I prefer window seats on long flights."
    assert all(0.0 <= h.score <= 1.0 for h in hits)  # type: ignore[operator]
    assert hits[0].score >= hits[1].score  # type: ignore[operator]


def test_results_serialise_to_mem0_shape(memory: Memory) -> None:
    added = memory.add("I drink my coffee black.", user_id="bob").to_dict()
    assert (
        added["results"][0]["event"] == "ADD" and added["results"][0]["memory"] == "I drink my coffee black."
    )
    found = memory.search("coffee", user_id="bob").to_dict()
    (only,) = found["results"]
    assert {"id", "memory", "hash", "user_id", "created_at", "updated_at", "score", "metadata"} <= set(only)


def test_same_fact_twice_is_one_memory(memory: Memory) -> None:
    memory.add("I live in Lisbon.", user_id="carol")
    again = memory.add("i live in  lisbon.", user_id="carol")
    assert [c.event for c in again.changes] == [Event.NOOP]
    assert len(memory.get_all(user_id="carol")) == 1


def test_near_duplicate_is_not_stored_twice(memory: Memory) -> None:
    memory.add("My favourite colour is dark green.", user_id="dan")
    again = memory.add("My favourite colour is dark green!", user_id="dan")
    assert [c.event for c in again.changes] == [Event.NOOP]
    assert again.changes[0].reason == "near-duplicate"


def test_infer_false_stores_every_message_verbatim(memory: Memory) -> None:
    result = memory.add(CHAT, user_id="erin", infer=False)
    assert [c.item.text for c in result.changes] == [m["content"] for m in CHAT]
    assert [c.item.source_ids for c in result.changes] == [("m1",), ("m2",), ("m3",)]


def test_small_talk_is_not_remembered(memory: Memory) -> None:
    assert memory.add("Thanks, ok!", user_id="fay").changes == []


def test_update_keeps_the_old_text_in_history(memory: Memory) -> None:
    (change,) = memory.add("I live in Paris.", user_id="gil").changes
    memory.update(change.item.id, "I live in Tokyo.", metadata={"source": "profile"})
    current = memory.get(change.item.id)
    assert current.text == "I live in Tokyo." and current.metadata == {"source": "profile"}
    events = memory.history(change.item.id)
    assert [(e.event, e.old_text, e.new_text) for e in events] == [
        (Event.ADD, None, "I live in Paris."),
        (Event.UPDATE, "I live in Paris.", "I live in Tokyo."),
    ]
    assert memory.search("Where does Gil live?", user_id="gil").texts() == ["I live in Tokyo."]


def test_delete_hides_the_memory_but_keeps_its_history(memory: Memory) -> None:
    (change,) = memory.add("My PIN hint is 'blue'.", user_id="hal").changes
    memory.delete(change.item.id)
    with pytest.raises(NotFoundError):
        memory.get(change.item.id)
    assert memory.get(change.item.id, include_deleted=True).deleted_at is not None
    assert memory.search("PIN hint", user_id="hal").texts() == []
    assert [e.event for e in memory.history(change.item.id)] == [Event.ADD, Event.DELETE]
    listed = memory.get_all(user_id="hal", include_deleted=True)
    assert [i.id for i in listed] == [change.item.id]


def test_delete_all_soft_then_purge(memory: Memory) -> None:
    for i in range(150):  # more than a page: mem0 once deleted only the first 100
        memory.add(f"fact number {i} about the garden", user_id="ivy", infer=False)
    memory.add("unrelated", user_id="jay", infer=False)
    assert memory.delete_all(user_id="ivy") == 150
    assert memory.get_all(user_id="ivy") == []
    some = memory.get_all(user_id="ivy", include_deleted=True, limit=1)[0]
    assert memory.history(some.id)[-1].event is Event.DELETE
    assert memory.delete_all(user_id="ivy", purge=True) == 150
    assert memory.get_all(user_id="ivy", include_deleted=True) == []
    with pytest.raises(NotFoundError):
        memory.history(some.id)
    assert memory.store.audit_log()[-1]["count"] == 150  # type: ignore[attr-defined]
    assert "garden" not in str(memory.store.audit_log())  # type: ignore[attr-defined]
    assert len(memory.get_all(user_id="jay")) == 1


def test_memory_types_and_timestamps(memory: Memory) -> None:
    memory.add(
        {
            "role": "user",
            "content": "To deploy, run make release then tag.",
            "created_at": "2024-05-01T10:00:00Z",
        },
        agent_id="ops-bot",
        memory_type="procedural_memory",
    )
    (item,) = memory.get_all(agent_id="ops-bot")
    assert item.memory_type is MemoryType.PROCEDURAL
    assert item.created_at == "2024-05-01T10:00:00.000000Z"
    (event,) = memory.add("Yesterday I went to the dentist.", user_id="kim").changes
    assert event.item.memory_type is MemoryType.EPISODIC


def test_get_all_filters_and_pagination(memory: Memory) -> None:
    for i in range(5):
        memory.add(
            f"note {i} on topic",
            user_id="lee",
            metadata={"n": i, "tag": "even" if i % 2 == 0 else "odd"},
            infer=False,
        )
    assert len(memory.get_all(user_id="lee", filters={"tag": "even"})) == 3
    assert {i.metadata["n"] for i in memory.get_all(user_id="lee", filters={"n": {"gte": 3}})} == {3, 4}
    page1 = memory.get_all(user_id="lee", limit=2)
    page2 = memory.get_all(user_id="lee", limit=2, offset=2)
    assert not {i.id for i in page1} & {i.id for i in page2}
    hits = memory.search("note", user_id="lee", filters={"OR": [{"n": 0}, {"n": 4}]})
    assert {h.metadata["n"] for h in hits} == {0, 4}


def test_threshold_and_explain(memory: Memory) -> None:
    memory.add("I collect vintage fountain pens.", user_id="max")
    memory.add("My car is a red hatchback.", user_id="max")
    explained = memory.search("fountain pens", user_id="max", explain=True)
    assert explained[0].score_details and set(explained[0].score_details) <= {"dense", "keyword"}
    strict = memory.search("fountain pens", user_id="max", threshold=0.5)
    assert strict.texts() == ["I collect vintage fountain pens."]


def test_memories_survive_a_restart(db_path: Path, embedder: Embedder) -> None:
    with Memory(db_path, embedder=embedder) as first:
        first.add("My daughter's name is Nora.", user_id="ned")
    with Memory(db_path, embedder=embedder) as second:
        assert second.search("daughter", user_id="ned").texts() == ["My daughter's name is Nora."]


def test_reset_erases_everything(memory: Memory) -> None:
    memory.add("something", user_id="olga", infer=False)
    memory.reset()
    assert memory.get_all(user_id="olga", include_deleted=True) == []
    memory.add("after reset", user_id="olga", infer=False)
    assert memory.search("after reset", user_id="olga").texts() == ["after reset"]


async def test_async_memory_shares_the_same_behaviour(amemory: AsyncMemory) -> None:
    import asyncio

    results = await asyncio.gather(
        *(amemory.add(f"I like fruit number {i}", user_id=f"u{i}", infer=False) for i in range(5))
    )
    assert all(len(r.changes) == 1 for r in results)
    hits = await amemory.search("fruit", user_id="u3")
    assert hits.texts() == ["I like fruit number 3"]
    (item,) = await amemory.get_all(user_id="u3")
    await amemory.update(item.id, "I like mangoes")
    assert [e.event for e in await amemory.history(item.id)] == [Event.ADD, Event.UPDATE]
    await amemory.delete(item.id)
    assert await amemory.delete_all(user_id="u4") == 1
