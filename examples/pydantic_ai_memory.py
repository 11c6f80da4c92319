"""A pydantic-ai agent that saves what it learns with a tool and recalls it in a later run.

Run 1: the model calls ``save_memory``. Run 2, in a fresh process: the ``MemspanMemory``
capability recalls Maya's preference into the instructions before the model answers. One agent
serves every user: the capability comes with each run. Runs offline with pydantic-ai's own
``FunctionModel``; memspan's embedder is bundled.

    python examples/pydantic_ai_memory.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from memspan.integrations.pydantic_ai import MemspanMemory


def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Saves a fact when told to remember one, else answers from the recalled memories."""
    last = messages[-1].parts[-1]
    if isinstance(last, ToolReturnPart):
        return ModelResponse(parts=[TextPart("Noted: aisle seats.")])
    if "remember" in str(getattr(last, "content", "")):
        return ModelResponse(parts=[ToolCallPart("save_memory", {"fact": "Maya always wants an aisle seat"})])
    recalled = (info.instructions or "").partition("Relevant long-term memories:\n")[2]
    print("[pydantic-ai] memories in the instructions:")
    for line in filter(None, recalled.splitlines()):
        print(f"    {line}")
    return ModelResponse(parts=[TextPart("Booked an aisle seat." if "aisle seat" in recalled else "Booked any seat.")])


agent = Agent(FunctionModel(model), instructions="You book trips.")


async def learn(store: str) -> None:
    memory = MemspanMemory(store, user_id="maya", agent_id="concierge", tools=True, store=False)
    result = await agent.run("Please remember: I always want an aisle seat.", capabilities=[memory])
    saved = next(p.content for m in result.all_messages() for p in m.parts if isinstance(p, ToolReturnPart))
    print("run 1, the model saved:", saved.split(" (id")[0])
    memory.close()


async def recall_with_pydantic_ai(store: str, user_id: str = "maya", question: str = "Which seat should I book?") -> str:
    """A run answers from what memspan recalls for ``user_id`` (the shared-store example's part)."""
    memory = MemspanMemory(store, user_id=user_id, agent_id="pydantic-ai-concierge")
    result = await agent.run(question, capabilities=[memory])  # after the run, the turn is remembered
    memory.close()
    return result.output


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    if args.recall:
        print("run 2, a fresh process, answered:", asyncio.run(recall_with_pydantic_ai(args.db)))
        sys.exit()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or str(Path(scratch) / "pydantic-ai.db")
        asyncio.run(learn(db))
        subprocess.run([sys.executable, __file__, "--db", db, "--recall"], check=True)
