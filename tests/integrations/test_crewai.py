"""Real crews, kicked off with a scripted model, remembering through memspan.

crewai is imported once per run (it takes ~15 s); telemetry, tracing and its app-data directory are
pointed away from the network and the home directory before it loads.
"""

from __future__ import annotations

import copy
import logging
import os
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.update(
    CREWAI_DISABLE_TELEMETRY="true",
    CREWAI_DISABLE_TRACKING="true",
    CREWAI_TRACING_ENABLED="false",
)
crewai = pytest.importorskip("crewai")

from crewai import Agent, Crew, Task  # noqa: E402
from crewai.llms.base_llm import BaseLLM  # noqa: E402
from pydantic import Field  # noqa: E402

from memspan import Memory, ScopeError, ValidationError  # noqa: E402
from memspan.integrations.crewai import CrewMemoryError, MemspanMemory  # noqa: E402
from memspan.llm.scripted import reply_json  # noqa: E402
from memspan.ports import Embedder  # noqa: E402
from memspan.stores.sqlite import SQLiteStore  # noqa: E402


class ScriptedLLM(BaseLLM):
    """Answers with the next scripted reply and keeps a copy of every prompt it was shown."""

    replies: list[str] = Field(default_factory=list)
    prompts: list[list[dict[str, Any]]] = Field(default_factory=list)

    def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        self.prompts.append(copy.deepcopy(messages))
        if not self.replies:
            raise AssertionError("the crew asked the model more often than the script expected")
        return self.replies.pop(0)

    def shown(self, turn: int) -> str:
        return "\n".join(m["content"] for m in self.prompts[turn] if m["role"] != "system")


@pytest.fixture(scope="module", autouse=True)
def crewai_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """crewai writes kickoff outputs under the user data dir; keep them in a temporary one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("crewai-data")))
        yield


def run_crew(
    memory: MemspanMemory,
    replies: list[str],
    task: str = "Plan a flight for the user",
    agent_memory: MemspanMemory | None = None,
) -> ScriptedLLM:
    llm = ScriptedLLM(model="scripted", replies=replies)
    planner = Agent(
        role="Travel planner", goal="Plan trips", backstory="Knows airlines.", llm=llm, memory=agent_memory
    )
    crew = Crew(
        agents=[planner],
        tasks=[Task(description=task, expected_output="a plan", agent=planner)],
        memory=memory,
    )
    crew.kickoff()
    return llm


FINAL = "Thought: I know what to do\nFinal Answer: Book a window seat on the morning flight."


def test_a_crew_recalls_through_memspan_and_saves_back(memory: Memory) -> None:
    memory.add("I prefer window seats and vegetarian meals", user_id="alice", agent_id="langchain-bot")
    crew_memory = MemspanMemory(backend=memory, user_id="alice", agent_id="travel-crew")
    llm = run_crew(
        crew_memory,
        [
            'Thought: check memory\nAction: search_memory\nAction Input: {"queries": ["meal preference"]}',
            'Thought: keep this\nAction: save_to_memory\nAction Input: {"contents": ["Alice flies to Lisbon in May"]}',
            FINAL,
        ],
    )
    # memspan → crewai: recalled before the task, and through the search tool
    assert "I prefer window seats and vegetarian meals" in llm.shown(0).split("Current Task")[1]
    assert "Observation: Found memories:\n- (score=" in llm.shown(1)
    assert "vegetarian meals" in llm.shown(1).split("Observation:")[1]
    # crewai → memspan: the tool's save and the task result, in the crew's scope
    written = memory.get_all(user_id="alice", agent_id="travel-crew")
    texts = [item.text for item in written]
    assert "Alice flies to Lisbon in May" in texts
    task_result = next(item for item in written if "Book a window seat" in item.text)
    assert task_result.metadata == {"framework": "crewai", "crewai_agent": "Travel planner"}
    assert task_result.text == (
        "Travel planner: Task: Plan a flight for the user Result: Book a window seat on the morning flight."
    )
    assert crew_memory.failures == []


def test_scopes_never_mix(memory: Memory) -> None:
    memory.add("My passport number is X1234567", user_id="bob")
    memory.add("I am afraid of flying over water", user_id="alice")
    alice = MemspanMemory(backend=memory, user_id="alice", agent_id="travel-crew")
    llm = run_crew(
        alice,
        ['Thought: look\nAction: search_memory\nAction Input: {"queries": ["passport number"]}', FINAL],
    )
    everything_shown = llm.shown(0) + llm.shown(1)
    assert "afraid of flying" in everything_shown
    assert "X1234567" not in everything_shown
    assert [item.text for item in memory.get_all(user_id="bob")] == ["My passport number is X1234567"]
    assert all(item.user_id == "alice" for item in memory.get_all(agent_id="travel-crew"))
    # one crew agent's private memory: its own agent_id, recalled only within it
    private = alice.scoped(agent_id="travel-crew/researcher", recall_within=("user_id", "agent_id"))
    private.remember("The researcher prefers primary sources")
    assert private.recall("sources")[0].record.content == "The researcher prefers primary sources"
    llm = run_crew(alice, [FINAL], task="Find sources about flying", agent_memory=private)
    assert "primary sources" in llm.shown(0) and "afraid of flying" not in llm.shown(0)
    assert len(memory.get_all(user_id="alice", agent_id="travel-crew/researcher")) == 2  # + the task result
    assert "primary sources" not in [
        m.record.content for m in alice.scoped(recall_within=("user_id", "agent_id")).recall("sources")
    ]


def test_save_failures_fail_the_kickoff_instead_of_vanishing_into_events(
    db_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    with Memory(db_path, embedder=embedder) as writable:
        writable.add("I prefer aisle seats", user_id="alice")
    read_only = Memory(SQLiteStore(db_path, read_only=True), embedder=embedder)
    crew_memory = MemspanMemory(backend=read_only, user_id="alice")
    with (
        caplog.at_level(logging.ERROR, logger="memspan.integrations.crewai"),
        pytest.raises(CrewMemoryError, match="ReadOnlyStoreError") as raised,
    ):
        run_crew(crew_memory, [FINAL])
    assert "memspan save failed inside crewai" in caplog.text
    assert type(raised.value.__cause__).__name__ == "ReadOnlyStoreError"
    assert crew_memory.failures == []  # raised once, then cleared

    logging_only = MemspanMemory(backend=read_only, user_id="alice", on_error="log")
    llm = run_crew(logging_only, [FINAL])
    assert "I prefer aisle seats" in llm.shown(0)  # reading still works
    assert len(logging_only.failures) == 1 and "ReadOnlyStoreError" in logging_only.failures[0]
    read_only.close()


def test_recall_failures_surface_too(memory: Memory) -> None:
    broken = MemspanMemory(backend=memory, user_id="alice", recall_threshold=7.0)
    with pytest.raises(CrewMemoryError, match="recall: ValidationError"):
        run_crew(broken, [FINAL])


def test_crewai_memory_api_maps_onto_memspan(memory: Memory) -> None:
    memory.add("I live in Porto", user_id="alice")
    crew_memory = MemspanMemory(backend=memory, user_id="alice", agent_id="travel-crew")
    record = crew_memory.remember("Alice likes night trains", categories=["travel"])
    assert record is not None and record.scope == "/user/alice/agent/travel-crew"
    assert crew_memory.remember("Alice likes night trains").id == record.id  # a duplicate, not a copy
    assert [m.record.content for m in crew_memory.recall("trains", categories=["travel"])] == [
        "Alice likes night trains"
    ]
    assert crew_memory.update(record.id, "Alice loves night trains").content == "Alice loves night trains"
    assert {r.content for r in crew_memory.list_records()} == {"I live in Porto", "Alice loves night trains"}
    # reset is crew.reset_memories("memory"): the crew's own memories go, the user's others stay
    crew_memory.reset()
    assert [item.text for item in memory.get_all(user_id="alice")] == ["I live in Porto"]
    other = memory.get_all(user_id="alice")[0].id
    with pytest.raises(KeyError):
        crew_memory.scoped(user_id="bob").forget(record_ids=[other])


def test_what_memspan_does_not_take_is_refused_plainly(memory: Memory, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="embedder= is crewai's embedder"):
        MemspanMemory(backend=memory, user_id="alice", embedder=lambda texts: [[0.1] * 8 for _ in texts])
    crew_memory = MemspanMemory(backend=memory, user_id="alice")
    with pytest.raises(ValidationError, match="importance must be between 0 and 1"):
        crew_memory.remember("x is y", importance=3.0)
    with pytest.raises(ValidationError, match="vector storage"):
        crew_memory._storage.search([0.1], limit=3)
    with pytest.raises(ValidationError, match="recall_within names run_id"):
        MemspanMemory(backend=memory, user_id="alice", recall_within=("run_id",))
    with pytest.raises(ScopeError):
        MemspanMemory(backend=memory, user_id="not an id!")
    with pytest.raises(ValidationError, match="backend must be"):
        MemspanMemory(backend=42, user_id="alice")
    opened = MemspanMemory(backend=tmp_path / "own.db", user_id="alice")
    assert opened.remember("Alice owns a bike") is not None
    opened.close()
    assert memory.get_all(user_id="alice") == []  # nothing written by the refused calls


def test_crewai_scope_paths_live_within_the_users_scope(memory: Memory) -> None:
    """Before, every scope path (remember/recall/scope()/list_scopes) was refused."""
    memory.add("Bob's project Zeta ships in June", user_id="bob", infer=False)
    memory.add("Alice lives in Porto", user_id="alice", agent_id="langchain-bot", infer=False)
    crew = MemspanMemory(backend=memory, user_id="alice", agent_id="crew", infer=False)
    x = crew.remember("Project X uses Python", scope="/project/x", categories=["tech"], importance=0.9)
    assert x is not None and x.scope == "/project/x" and x.importance == 0.9
    crew.remember("Project Y ships in May", scope="/project/y")
    crew.remember("The team meets on Mondays", scope="/team")

    assert [m.record.content for m in crew.recall("Python", scope="/project/x")] == ["Project X uses Python"]
    under_project = {m.record.content for m in crew.recall("project", scope="/project")}
    assert under_project == {"Project X uses Python", "Project Y ships in May"}
    everything = {m.record.content for m in crew.recall("project team Porto Zeta")}
    assert "Alice lives in Porto" in everything and "Bob's project Zeta ships in June" not in everything
    assert crew.list_scopes("/") == ["/project", "/team"]
    assert crew.list_scopes("/project") == ["/project/x", "/project/y"]
    assert crew.info("/project").record_count == 2
    assert "/project/x (1 records)" in crew.tree("/")
    scoped = crew.scope("/project")  # crewai's own MemoryScope view, over memspan
    scoped.remember("Project Z is new", scope="/z")
    assert [r.content for r in crew.list_records(scope="/project/z")] == ["Project Z is new"]
    assert crew.slice(["/team"]).recall("meets")[0].record.content == "The team meets on Mondays"

    rooted = crew.scoped(root_scope="/crew/research")
    rooted.remember("Sources must be peer reviewed", scope="/rules")
    assert [r.content for r in crew.list_records(scope="/crew/research/rules")] == [
        "Sources must be peer reviewed"
    ]
    assert crew.update(x.id, importance=0.4, scope="/archive").scope == "/archive"

    assert crew.forget(scope="/project") == 2
    crew.reset(scope="/team")
    assert {i.text for i in memory.get_all(user_id="alice")} == {
        "Alice lives in Porto",
        "Project X uses Python",
        "Sources must be peer reviewed",
    }
    assert len(memory.get_all(user_id="bob")) == 1


def test_reset_all_is_what_crew_reset_memories_calls(memory: Memory) -> None:
    """Before, crew.reset_memories(command_type="memory") raised: crewai calls reset_all()."""
    memory.add("Alice lives in Porto", user_id="alice", agent_id="langchain-bot", infer=False)
    memory.add("Bob likes tea", user_id="bob", agent_id="crew", infer=False)
    crew_memory = MemspanMemory(backend=memory, user_id="alice", agent_id="crew", infer=False)
    crew_memory.remember("Alice likes night trains", scope="/travel")
    crew_memory.remember("Alice is vegetarian")
    agent = Agent(role="planner", goal="plan", backstory="plans", llm=ScriptedLLM(model="scripted"))
    crew = Crew(
        agents=[agent], tasks=[Task(description="x", expected_output="y", agent=agent)], memory=crew_memory
    )
    crew.reset_memories(command_type="memory")
    assert [i.text for i in memory.get_all(user_id="alice")] == ["Alice lives in Porto"]
    assert [i.text for i in memory.get_all(user_id="bob")] == ["Bob likes tea"]


def test_private_memories_reach_only_their_source(memory: Memory) -> None:
    """Before, private=True was refused."""
    crew = MemspanMemory(backend=memory, user_id="alice", infer=False)
    crew.remember("the api key is sk-123", scope="/notes", private=True, source="worker-1")
    crew.remember("the team note about keys", scope="/notes")
    assert [m.record.content for m in crew.recall("api key", scope="/notes")] == ["the team note about keys"]
    mine = {m.record.content for m in crew.recall("api key", scope="/notes", source="worker-1")}
    assert mine == {"the api key is sk-123", "the team note about keys"}
    assert len(crew.recall("api key", include_private=True)) == 2


def test_an_awaitable_memory_is_accepted(db_path: Path, embedder: Embedder) -> None:
    """Before, AsyncMemory was refused (AutoGen refused Memory: the opposite)."""
    from memspan import AsyncMemory

    amemory = AsyncMemory(db_path, embedder=embedder)
    crew = MemspanMemory(backend=amemory, user_id="alice", infer=False)
    crew.remember("Alice likes night trains")
    with Memory(db_path, embedder=embedder) as check:
        assert [i.text for i in check.get_all(user_id="alice")] == ["Alice likes night trains"]
    assert [m.record.content for m in crew.recall("trains")] == ["Alice likes night trains"]


def test_the_crews_own_model_can_be_memspans_extractor(tmp_path: Path) -> None:
    """``llm=`` (crewai's field) goes to memspan's LLM extractor, so no second model is configured."""
    llm = ScriptedLLM(
        model="scripted",
        replies=[reply_json({"action": "ADD", "text": "Alice flies in May", "sources": [0]})],
    )
    crew_memory = MemspanMemory(backend=tmp_path / "llm.db", user_id="alice", llm=llm)
    record = crew_memory.remember_many(["Task: plan Result: Alice said she flies to Lisbon in May"])[0]
    assert record.content == "Alice flies in May"
    assert "Alice said she flies to Lisbon in May" in str(llm.prompts[0])
    with pytest.raises(ValidationError, match="already open"):
        MemspanMemory(backend=crew_memory.backend, user_id="alice", llm=llm)
    crew_memory.close()


@pytest.mark.parametrize(
    ("record", "kept"),
    [
        (
            "Task: Plan a\nflight\nAgent: Planner\nExpected result: a plan\nResult: Thought: ok\nFinal Answer: Book a\n window.",
            "Task: Plan a flight Result: Book a window.",
        ),
        (
            "Input: Book my seat\nAgent: Booker\nResult: Window seat booked.",
            "Input: Book my seat Result: Window seat booked.",
        ),
        ("Task: x\nAgent: X\nExpected result: y\nResult: Thought: hmm\nFinal Answer:  ", None),
        ("Alice prefers trains", "Alice prefers trains"),
        ("   ", None),
    ],
)
def test_crewai_work_records_are_cut_to_task_and_answer(
    memory: Memory, record: str, kept: str | None
) -> None:
    extracted = MemspanMemory(backend=memory, user_id="alice").extract_memories(record)
    assert extracted == ([kept] if kept else [])


def test_the_crewai_example_remembers_across_kickoffs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = runpy.run_path(
        str(Path(__file__).parents[2] / "examples" / "crewai_memory.py"), run_name="example"
    )
    example["main"](["--db", str(tmp_path / "example.db")])
    second = capsys.readouterr().out.split("kickoff 2")[1]
    assert "I'm vegetarian and I always want a window seat." in second
    assert "answer: Lisbon, window seat, vegetarian meal." in second
