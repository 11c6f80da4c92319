"""How one add's plan is written: an addition is a near-duplicate only of what the scope holds once
the same add's updates and deletes are applied (they are written together, after the check)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from memspan import Event, Memory
from memspan.llm import LLM
from memspan.llm.scripted import ChatRequest, ScriptedChatServer, ref_of, reply_json
from memspan.ports import Embedder


@pytest.mark.parametrize(
    ("change", "added", "outcome", "live"),
    [
        # the add rewrites Paris to Tokyo and repeats Tokyo: the repeat is the updated memory
        ({"action": "UPDATE", "text": "Lives in Tokyo"}, "Lives in Tokyo.", Event.NOOP, ["Lives in Tokyo"]),
        # the add rewrites Paris to Tokyo and adds Paris back: nothing says Paris any more
        (
            {"action": "UPDATE", "text": "Lives in Tokyo"},
            "Lives in Paris.",
            Event.ADD,
            ["Lives in Paris.", "Lives in Tokyo"],
        ),
        # the add deletes Paris and adds it again: it is new, not a repeat of the deleted memory
        ({"action": "DELETE"}, "Lives in Paris.", Event.ADD, ["Lives in Paris."]),
    ],
)
def test_a_near_duplicate_is_judged_against_the_scope_as_the_add_leaves_it(
    db_path: Path,
    embedder: Embedder,
    make_llm: Callable[..., LLM],
    server: ScriptedChatServer,
    change: dict[str, str],
    added: str,
    outcome: Event,
    live: list[str],
) -> None:
    def plan(request: ChatRequest) -> str:
        return reply_json(
            {**change, "ref": ref_of(request, "Paris")}, {"action": "ADD", "text": added, "sources": [0]}
        )

    with Memory(db_path, embedder=embedder, llm=make_llm()) as mem:
        server.add(reply_json({"action": "ADD", "text": "Lives in Paris", "sources": [0]}))
        (first,) = mem.add("I live in Paris.", user_id="ana").changes
        server.add(plan)
        result = mem.add("Some news about where I live.", user_id="ana")
        (addition,) = [c for c in result.changes if c.event in (Event.ADD, Event.NOOP)]
        assert addition.event is outcome
        if outcome is Event.NOOP:
            assert addition.reason == "near-duplicate" and addition.item.id == first.item.id
        assert sorted(m.text for m in mem.get_all(user_id="ana")) == live
