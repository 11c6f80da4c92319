"""Moving from AutoGen to Microsoft Agent Framework with the memories intact: same store, same ids.

Before: an AutoGen ``AssistantAgent`` with memspan's ``MemspanMemory`` learns what Alice told it
(``add_task_result``). After, in a fresh process: an Agent Framework ``Agent`` with
``MemspanContextProvider`` over the same store file and the same ``user_id`` / ``agent_id`` finds
it in its instructions; nothing is copied or converted. Runs offline: AutoGen's
``ReplayChatCompletionClient`` and a scripted Agent Framework chat client stand in for models.

    python examples/autogen_to_agent_framework.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

USER, AGENT = "alice", "concierge"


async def before_with_autogen(store: str) -> None:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_ext.models.replay import ReplayChatCompletionClient

    from memspan.integrations.autogen import MemspanMemory

    memory = MemspanMemory(store, user_id=USER, agent_id=AGENT)
    client = ReplayChatCompletionClient(["Noted: a vegetarian meal on every flight."])
    agent = AssistantAgent("concierge", model_client=client, memory=[memory])
    result = await agent.run(task="I am vegetarian, so book vegetarian meals on my flights.")
    await memory.add_task_result(result)  # AutoGen: the application stores what the task taught
    await memory.close()
    print("before (AutoGen): the task is in memspan")


async def after_with_agent_framework(store: str) -> str:
    from agent_framework import Agent
    from agent_framework_memory import ScriptedClient  # the scripted chat client of this folder's example

    from memspan.integrations.agent_framework import MemspanContextProvider

    def answer(shown: str) -> str:
        block = shown.partition("Relevant long-term memories:\n")[2]
        recalled = [line for line in block.splitlines() if line.startswith("- ")]
        print("after (Agent Framework), memories in the instructions:")
        for line in recalled:
            print(f"    {line}")
        return "A vegetarian meal is booked." if any("vegetarian" in r for r in recalled) else "A standard meal is booked."

    provider = MemspanContextProvider(store, user_id=USER, agent_id=AGENT, tools=True)  # same file, same ids
    agent = Agent(client=ScriptedClient(answer), instructions="You book trips.", context_providers=[provider])
    response = await agent.run("Which meal should I get on my flight to Lisbon?")  # after_run stores the turn
    provider.close()
    return response.text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--after", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    if args.after:
        print("after (Agent Framework), a fresh process, answered:", asyncio.run(after_with_agent_framework(args.db)))
        sys.exit()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or str(Path(scratch) / "migration.db")
        asyncio.run(before_with_autogen(db))
        subprocess.run([sys.executable, __file__, "--db", db, "--after"], check=True)
