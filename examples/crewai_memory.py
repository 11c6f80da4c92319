"""A crew that remembers a traveller from one kickoff to the next, with memspan as its memory.

The first crew takes note of Alice's request; memspan stores the finished task. A second crew, built
from scratch on the same store, books her flight: crewai recalls her request before the task and puts
it in the prompt. Runs offline with a scripted model (set ``--model gpt-4o-mini`` and an API key to use
a real one) and the bundled embedder: crewai needs no OpenAI key for memory.

    python examples/crewai_memory.py [--db memspan.db] [--model NAME]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")

from crewai import Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM

from memspan.integrations.crewai import MemspanMemory


class ScriptedLLM(BaseLLM):
    """Stands in for a model: notes requests, and books from the memories crewai shows it."""

    def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
        prompt = "\n".join(m["content"] for m in messages if m["role"] == "user")
        if "Current Task: Take note" in prompt:
            return "Thought: noted.\nFinal Answer: Noted: vegetarian meals, window seats."
        recalled = [line[2:] for line in prompt.splitlines() if line.startswith("- (score=")]
        print("  memories crewai put in the prompt:", *recalled, sep="\n    ")
        meal = "vegetarian" if "vegetarian" in prompt else "standard"
        return f"Thought: I know her preferences.\nFinal Answer: Lisbon, window seat, {meal} meal."


def kickoff(store: str, task: str, model: str | None, inputs: dict[str, str] | None = None) -> str:
    llm: Any = model or ScriptedLLM(model="scripted")
    memory = MemspanMemory(backend=store, user_id="alice", agent_id="travel-crew")
    agent = Agent(role="Travel agent", goal="Look after Alice's trips", backstory="Attentive.", llm=llm)
    crew = Crew(
        agents=[agent], tasks=[Task(description=task, expected_output="one line", agent=agent)], memory=memory
    )
    try:
        return crew.kickoff(inputs=inputs).raw
    finally:
        memory.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--model", help="a real crewai model name instead of the scripted one")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        store = args.db or str(Path(scratch) / "crew.db")
        request = "I'm vegetarian and I always want a window seat."
        print(
            "kickoff 1:",
            kickoff(
                store, "Take note of the traveller's request: {request}", args.model, {"request": request}
            ),
        )
        print("kickoff 2 (a new crew, same store):")
        print(
            "  answer:",
            kickoff(store, "Book the traveller's flight to Lisbon, seat and meal included.", args.model),
        )


if __name__ == "__main__":
    main()
