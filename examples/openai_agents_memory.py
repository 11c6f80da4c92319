"""An OpenAI Agents SDK agent that saves what it learns with a tool and recalls it in a later run.

Run 1: the model calls ``save_memory``; the conversation is kept in a memspan ``Session``. Run 2, in
a fresh process: memspan's ``call_model_input_filter`` puts what it remembers about Maya into the
instructions before the model answers. Runs offline: a scripted model stands in for OpenAI's (the SDK
ships none), memspan's embedder is bundled.

    python examples/openai_agents_memory.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from agents import Agent, ModelResponse, RunConfig, Runner, Usage
from agents.models.interface import Model
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from memspan.integrations.openai_agents import MemspanAgentMemory


class ScriptedModel(Model):
    """Replies in turn: a ``(tool, arguments)`` pair is a tool call, a string the final answer.

    A callable reply is given the instructions the model received, as a real model reads them.
    """

    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies

    async def get_response(self, system_instructions: str | None, *args: Any, **kwargs: Any) -> ModelResponse:
        reply = self.replies.pop(0)
        if callable(reply):
            reply = reply(system_instructions or "")
        if isinstance(reply, tuple):
            name, arguments = reply
            call = ResponseFunctionToolCall(
                id="fc-1", call_id="call-1", name=name, arguments=json.dumps(arguments), type="function_call"
            )
            return ModelResponse(output=[call], usage=Usage(), response_id=None)
        text = ResponseOutputText(text=reply, type="output_text", annotations=[])
        message = ResponseOutputMessage(
            id="msg-1", role="assistant", status="completed", type="message", content=[text]
        )
        return ModelResponse(output=[message], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError


def agent(replies: list[Any], memory: MemspanAgentMemory) -> Agent[Any]:
    return Agent(name="concierge", instructions="You book trips.", model=ScriptedModel(replies), tools=memory.tools())


async def learn(store: str) -> None:
    memory = MemspanAgentMemory(store, user_id="maya", agent_id="concierge")
    replies = [("save_memory", {"fact": "Maya always wants an aisle seat"}), "Noted: aisle seats."]
    result = await Runner.run(
        agent(replies, memory),
        "Please remember: I always want an aisle seat.",
        session=memory.session("booking-1"),
        run_config=RunConfig(call_model_input_filter=memory.input_filter, tracing_disabled=True),
    )
    print("run 1, the model saved:", result.new_items[1].raw_item["output"])  # type: ignore[index]
    memory.close()


async def recall_with_openai_agents(store: str, user_id: str = "maya", question: str = "Which seat should I book?") -> str:
    """A fresh agent answers from what memspan recalls for ``user_id`` (the shared-store example's part)."""
    memory = MemspanAgentMemory(store, user_id=user_id, agent_id="openai-agents-concierge")

    def answer(instructions: str) -> str:
        recalled = [line[2:] for line in instructions.splitlines() if line.startswith("- ")]
        print("[openai-agents] memories in the instructions:")
        for line in recalled:
            print(f"    - {line}")
        return "Booked an aisle seat." if "aisle seat" in instructions else "Booked any seat."

    result = await Runner.run(
        agent([answer], memory),
        question,
        run_config=RunConfig(call_model_input_filter=memory.input_filter, tracing_disabled=True),
    )
    await memory.remember_run(result)  # the conversation becomes memory for the next framework
    memory.close()
    return str(result.final_output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    if args.recall:
        print("run 2, a fresh process, answered:", asyncio.run(recall_with_openai_agents(args.db)))
        sys.exit()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or str(Path(scratch) / "openai-agents.db")
        asyncio.run(learn(db))
        subprocess.run([sys.executable, __file__, "--db", db, "--recall"], check=True)
