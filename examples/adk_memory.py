"""A Google ADK agent whose sessions become memspan memories, preloaded into a later session.

Session 1: Maya tells the agent a preference; the application hands the finished session to
``MemspanMemoryService.add_session_to_memory``. Session 2, in a fresh process and a new session:
ADK's ``preload_memory`` tool searches memspan and puts what it found in front of the model. Runs
offline: a scripted ``BaseLlm`` stands in for Gemini, memspan's embedder is bundled.

    python examples/adk_memory.py [--db memspan.db]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import tempfile
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService
from google.adk.tools import preload_memory
from google.genai import types

from memspan.integrations.adk import MemspanMemoryService

APP = "travel-app"


class ScriptedLlm(BaseLlm):
    """Answers by calling ``reply`` with everything it was shown, as a real model reads its prompt."""

    model: str = "scripted"
    reply: Callable[[str], str]

    async def generate_content_async(self, llm_request: LlmRequest, stream: bool = False) -> AsyncGenerator[LlmResponse, None]:
        shown = "\n".join(p.text for c in llm_request.contents for p in (c.parts or []) if p.text)
        text = self.reply(shown)
        yield LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))


async def converse(service: MemspanMemoryService, reply: Callable[[str], str], user_id: str, session_id: str, text: str) -> str:
    agent = LlmAgent(name="concierge", model=ScriptedLlm(reply=reply), instruction="You book trips.", tools=[preload_memory])
    runner = Runner(app_name=APP, agent=agent, session_service=InMemorySessionService(), memory_service=service)
    await runner.session_service.create_session(app_name=APP, user_id=user_id, session_id=session_id)
    message = types.Content(role="user", parts=[types.Part(text=text)])
    answer = ""
    async for event in runner.run_async(user_id=user_id, session_id=session_id, new_message=message):
        if event.content and event.content.parts and event.author != "user":
            answer = "".join(p.text or "" for p in event.content.parts)
    session = await runner.session_service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
    if session is not None:
        await service.add_session_to_memory(session)  # what this session taught joins long-term memory
    return answer


async def learn(store: str) -> None:
    service = MemspanMemoryService(store)
    await converse(service, lambda shown: "Noted: aisle seats.", "maya", "session-1", "I always want an aisle seat.")
    found = await service.search_memory(app_name=APP, user_id="maya", query="Which seat does Maya want?")
    print("session 1, remembered:", found.memories[0].content.parts[0].text)  # type: ignore[index]
    service.close()


async def recall_with_adk(store: str, user_id: str = "maya", question: str = "Which seat should I book?") -> str:
    """A new ADK session answers from what memspan preloads for ``user_id`` (the shared-store example's part)."""
    service = MemspanMemoryService(store)

    def answer(shown: str) -> str:
        past = shown.partition("<PAST_CONVERSATIONS>")[2].partition("</PAST_CONVERSATIONS>")[0]
        print("[adk] memories preloaded for the model:")
        for line in filter(None, (line.strip() for line in past.splitlines())):
            print(f"    - {line}")
        return "Booked an aisle seat." if "aisle seat" in past else "Booked any seat."

    reply = await converse(service, answer, user_id, "session-2", question)
    service.close()
    return reply


def _parse() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="memspan store (default: a temporary file)")
    parser.add_argument("--recall", action="store_true", help=argparse.SUPPRESS)  # the second process
    return parser.parse_args()


if __name__ == "__main__":
    logging.getLogger("google_adk").setLevel(logging.ERROR)  # the scripted model reports no token usage
    args = _parse()
    if args.recall:
        print("session 2, a fresh process, answered:", asyncio.run(recall_with_adk(args.db)))
        sys.exit()
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or str(Path(scratch) / "adk.db")
        asyncio.run(learn(db))
        subprocess.run([sys.executable, __file__, "--db", db, "--recall"], check=True)
