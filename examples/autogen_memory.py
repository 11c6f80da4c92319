"""An AutoGen assistant that saves what it learns with a tool and recalls it in a later conversation.

In the first conversation the model calls ``save_to_memory``; in the second, a fresh agent loaded
from the first one's component config recalls the fact before answering. Runs offline with AutoGen's
replay model client and memspan's bundled embedder.

    python examples/autogen_memory.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.messages import MemoryQueryEvent, ToolCallExecutionEvent
from autogen_core import FunctionCall
from autogen_core.models import CreateResult, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

from memspan.integrations.autogen import MemspanMemory, memory_tools

TOOLS_OK = ModelInfo(
    vision=False, function_calling=True, json_output=False, family="unknown", structured_output=False
)


def save_call(fact: str) -> CreateResult:
    call = FunctionCall(id="1", name="save_to_memory", arguments=json.dumps({"fact": fact}))
    return CreateResult(
        finish_reason="function_calls", content=[call], usage=RequestUsage(0, 0), cached=False
    )


async def main(store: str) -> None:
    memory = MemspanMemory(store, user_id="alice", agent_id="concierge")
    first = AssistantAgent(
        "concierge",
        model_client=ReplayChatCompletionClient(
            [save_call("Alice is vegetarian"), "Noted!"], model_info=TOOLS_OK
        ),
        memory=[memory],
        tools=memory_tools(memory),
        reflect_on_tool_use=True,
    )
    result = await first.run(task="By the way, I'm vegetarian.")
    saved = next(m for m in result.messages if isinstance(m, ToolCallExecutionEvent))
    print("conversation 1, the model saved:", saved.content[0].content)

    config = first.dump_component()  # memory and tools are components: the agent round-trips
    config.config["model_client"] = ReplayChatCompletionClient(["A vegetarian meal."]).dump_component()
    second = AssistantAgent.load_component(config)
    result = await second.run(task="What meal should I pre-order for my flight?")
    recalled = [c.content for m in result.messages if isinstance(m, MemoryQueryEvent) for c in m.content]
    print("conversation 2, recalled before answering:", recalled)
    print("conversation 2, answer:", result.messages[-1].to_text())
    await memory.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(main(args.db or str(Path(scratch) / "autogen.db")))
