"""One SQLite store shared by LangChain, CrewAI and AutoGen running in separate processes.

Runs ``examples/shared_memory_across_frameworks.py``: LangChain learns a preference in this
test's child process, then a crew and an AutoGen agent, each in its own process, recall it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from memspan import Memory
from memspan.ports import Embedder

for framework in ("langchain", "crewai", "autogen_agentchat"):
    pytest.importorskip(framework)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shared_memory_across_frameworks.py"


def test_three_frameworks_in_three_processes_share_one_store(
    tmp_path: Path, db_path: Path, embedder: Embedder
) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), str(db_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    preference = "I'm vegetarian, and on flights I always want a window seat."
    learned, crew, autogen = (
        out.split("[langchain] remembered:")[1].split("--- starting a separate crewai process")[0],
        out.split("[crewai] memories in the task prompt:")[1].split("--- starting a separate autogen")[0],
        out.split("[autogen] memories added to the model context:")[1],
    )
    assert preference in learned
    assert preference in crew
    assert "[crewai] crew answered: Booked Lisbon with a window seat and a vegetarian meal." in out
    assert preference in autogen
    assert "Result: Booked Lisbon with a window seat and a vegetarian meal." in autogen  # the crew's memory

    with Memory(db_path, embedder=embedder) as memory:
        writers = {
            (item.agent_id, item.metadata.get("framework")) for item in memory.get_all(user_id="alice")
        }
    assert writers == {
        ("langchain-assistant", None),
        ("trip-crew", "crewai"),
        ("autogen-concierge", "autogen"),
    }
