"""One SQLite store shared by all eight hosts (LangChain, CrewAI, LlamaIndex, AutoGen, Agent
Framework, ADK, the OpenAI Agents SDK, pydantic-ai), each in its own process.

Runs ``examples/shared_memory_across_frameworks.py``: in round 1 each framework recalls what the
earlier ones learned and learns something itself; in round 2 LangChain (an agent-scoped run),
CrewAI and LlamaIndex recall what the later ones learned, so every direction is covered.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from memspan import Memory
from memspan.ports import Embedder

for framework in (
    "langchain", "crewai", "autogen_agentchat", "llama_index.core", "agent_framework", "google.adk", "agents", "pydantic_ai"
):
    pytest.importorskip(framework)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shared_memory_across_frameworks.py"
PREFERENCE = "I'm vegetarian, and on flights I always want a window seat."
BOOKING = "Result: Booked Lisbon with a window seat and a vegetarian meal."
PENS = "I collect vintage fountain pens."
PEANUTS = "I am allergic to peanuts."
PORTUGUESE = "I am learning Portuguese for the Lisbon trip."
GYM = "I prefer hotels with a gym."
PASSPORT = "My passport expires in March."
DOG = "I travel with my dog Biscuit."


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """The example's output, split by stage, and its store."""
    tmp_path = tmp_path_factory.mktemp("shared")
    db_path = tmp_path / "shared.db"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    stages = {}
    for chunk in run.stdout.split("--- ")[1:]:
        framework, _, rest = chunk.partition(", round ")
        stages[f"{framework} {rest[0]}"] = rest
    return stages, db_path


def test_what_one_framework_learns_every_later_one_recalls(
    example: tuple[dict[str, str], Path], embedder: Embedder
) -> None:
    stages, db_path = example
    assert (
        "[crewai] crew answered: Booked Lisbon with a window seat and a vegetarian meal."
        in stages["crewai 1"]
    )
    assert PREFERENCE in stages["crewai 1"]  # langchain → crewai
    assert PREFERENCE in stages["llamaindex 1"] and BOOKING in stages["llamaindex 1"]  # → llamaindex
    for fact in (PREFERENCE, BOOKING, PENS):  # langchain, crewai, llamaindex → autogen
        assert fact in stages["autogen 1"]
    for fact in (PENS, PEANUTS):  # llamaindex, autogen → crewai
        assert fact in stages["crewai 2"]
    assert PEANUTS in stages["llamaindex 2"]  # autogen → llamaindex
    # the four hosts added last, each through its own interface: each recalls what the one before learned
    assert PEANUTS in stages["agent_framework 1"]  # autogen → agent framework (into its instructions)
    assert PORTUGUESE in stages["adk 1"]  # agent framework → adk (preload_memory)
    assert GYM in stages["openai_agents 1"]  # adk → openai agents (the input filter)
    assert PASSPORT in stages["pydantic_ai 1"] and PORTUGUESE in stages["pydantic_ai 1"]  # → pydantic-ai
    for fact in (PORTUGUESE, GYM, PASSPORT, DOG):  # all four → crewai and llamaindex
        assert fact in stages["crewai 2"] and fact in stages["llamaindex 2"]

    with Memory(db_path, embedder=embedder) as memory:
        writers = {item.agent_id for item in memory.get_all(user_id="alice")}
    assert writers == {
        "langchain-assistant", "trip-crew", "llamaindex-concierge", "autogen-concierge",
        "agent-framework-concierge", "travel-app", "openai-agents-concierge", "pydantic-ai-concierge",
    }  # ADK files what an app learned under the app's name


def test_an_agent_scoped_langchain_run_recalls_the_other_frameworks(
    example: tuple[dict[str, str], Path],
) -> None:
    from memspan.integrations.langchain import MemspanMiddleware

    if "recall_within" not in inspect.signature(MemspanMiddleware.__init__).parameters:
        pytest.skip("LangChain's whole-user recall for agent-scoped runs comes with the langgraph branch")
    stages, _ = example
    for fact in (BOOKING, PENS, PEANUTS, PORTUGUESE, GYM, PASSPORT, DOG):  # every later framework → langchain
        assert fact in stages["langchain 2"]
