"""A Microsoft Agent Framework agent that remembers a user across processes, and keeps its session.

Run 1: ``MemspanContextProvider`` hands the turn to memspan's extractor after the run, and
``MemspanHistoryProvider`` keeps the session's messages. Run 2, in a fresh process: a new agent
recalls the preference into its instructions before the model answers, and the same session id
brings the first conversation back. Runs offline: a scripted chat client stands in for a model
service, memspan's embedder is bundled.

    python examples/agent_framework_memory.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from agent_framework import Agent, BaseChatClient, ChatResponse, Message
from agent_framework._tools import FunctionInvocationLayer

from memspan.integrations.agent_framework import MemspanContextProvider, MemspanHistoryProvider


class ScriptedClient(FunctionInvocationLayer[Any], BaseChatClient[Any]):
    """A chat client whose answer is ``reply(what the model was shown)``."""

    def __init__(self, reply: Callable[[str], str]) -> None:
        super().__init__()
        self.reply = reply

    async def _respond(self, messages: Sequence[Message], options: Mapping[str, Any]) -> ChatResponse:
        shown = "\n".join([str(options.get("instructions") or ""), *(m.text for m in messages)])
        return ChatResponse(messages=[Message(role="assistant", contents=[self.reply(shown)])])

    def _inner_get_response(self, *, messages: Sequence[Message], stream: bool, options: Mapping[str, Any], **kwargs: Any) -> Any:
        return self._respond(messages, options)


def agent(store: str, reply: Callable[[str], str], user_id: str, agent_id: str) -> Agent[Any]:
    return Agent(
        client=ScriptedClient(reply),
        instructions="You book trips.",
        context_providers=[
            MemspanHistoryProvider(store, user_id=user_id),  # the conversation, per session
            MemspanContextProvider(store, user_id=user_id, agent_id=agent_id),  # long-term memory
        ],
    )


async def learn(store: str) -> None:
    concierge = agent(store, lambda shown: "Noted: aisle seats.", "maya", "concierge")
    await concierge.run("I always want an aisle seat.", session=concierge.create_session(session_id="booking-1"))
    print("run 1: told the agent about aisle seats")


async def recall_with_agent_framework(store: str, user_id: str = "maya", question: str = "Which seat should I book?") -> str:
    """A fresh agent answers from what memspan recalls for ``user_id`` (the shared-store example's part)."""

    def answer(shown: str) -> str:
        recalled = shown.partition("Relevant long-term memories:\n")[2].split("\n\n")[0]
        print("[agent-framework] memories in the instructions:")
        for line in filter(None, recalled.splitlines()):
            if line.startswith("- "):
                print(f"    {line}")
        return "Booked an aisle seat." if "aisle seat" in recalled else "Booked any seat."

    concierge = agent(store, answer, user_id, "agent-framework-concierge")
    response = await concierge.run(question, session=concierge.create_session(session_id="booking-2"))
    return response.text


async def history(store: str) -> list[str]:
    return [f"{m.role}: {m.text}" for m in await MemspanHistoryProvider(store, user_id="maya").get_messages("booking-1")]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)  # the second process
    args = parser.parse_args()
    if args.recall:
        print("run 2, a fresh process, answered:", asyncio.run(recall_with_agent_framework(args.db)))
        print("session booking-1, as kept in memspan:", asyncio.run(history(args.db)))
        sys.exit()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or str(Path(scratch) / "agent-framework.db")
        asyncio.run(learn(db))
        subprocess.run([sys.executable, __file__, "--db", db, "--recall"], check=True)
