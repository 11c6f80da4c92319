"""Models for the LLM tests: a real HTTP server speaking the providers' protocols with scripted
replies, and, when keys are set, the live providers running the same scenarios.

A scenario calls ``model.script(...)`` with the replies a scripted model gives; against a live model
the script is ignored and the scenario's assertions (about what ends up stored) must hold anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from memspan import AsyncMemory, Memory
from memspan.llm import LLM, AnthropicLLM, OpenAIChatLLM, RetryPolicy
from memspan.llm.anthropic_messages import DEFAULT_ANTHROPIC_MODEL
from memspan.llm.scripted import ChatRequest, Reply, ScriptedChatServer
from memspan.ports import Embedder

FAST_RETRY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)


@dataclass
class Model:
    """An LLM for a scenario, and (when scripted) the server behind it."""

    name: str
    llm: LLM
    server: ScriptedChatServer | None

    @property
    def live(self) -> bool:
        return self.server is None

    def script(self, *replies: Reply | Callable[[ChatRequest], str]) -> None:
        if self.server is not None:
            self.server.add(*replies)


LIVE = {
    "live-openai": "OPENAI_API_KEY",
    "live-anthropic": "ANTHROPIC_API_KEY",
    "live-base-url": "MEMSPAN_LLM_BASE_URL",
}


def _live_llm(name: str) -> LLM:
    """Each live provider explicitly, so that one provider's MEMSPAN_LLM_* settings do not leak into another."""
    if name == "live-openai":
        model = os.environ.get("MEMSPAN_TEST_OPENAI_MODEL", "gpt-4o-mini")
        return OpenAIChatLLM(
            model, base_url="https://api.openai.com/v1", api_key=os.environ["OPENAI_API_KEY"]
        )
    if name == "live-anthropic":
        model = os.environ.get("MEMSPAN_TEST_ANTHROPIC_MODEL", DEFAULT_ANTHROPIC_MODEL)
        return AnthropicLLM(
            model, base_url="https://api.anthropic.com", api_key=os.environ["ANTHROPIC_API_KEY"]
        )
    return OpenAIChatLLM()  # MEMSPAN_LLM_BASE_URL, MEMSPAN_LLM_MODEL, MEMSPAN_LLM_API_KEY


@pytest.fixture
def server() -> Iterator[ScriptedChatServer]:
    with ScriptedChatServer() as s:
        yield s


def scripted(protocol: str, server: ScriptedChatServer, timeout: float = 10.0) -> LLM:
    if protocol == "openai":
        return OpenAIChatLLM("scripted-model", base_url=server.openai_url, timeout=timeout, retry=FAST_RETRY)
    return AnthropicLLM(
        "scripted-claude", base_url=server.url, api_key="test-key", timeout=timeout, retry=FAST_RETRY
    )


@pytest.fixture(params=["openai", "anthropic"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_llm(server: ScriptedChatServer, protocol: str) -> Callable[..., LLM]:
    """A provider of this test's protocol pointed at this test's scripted server."""
    return lambda timeout=10.0: scripted(protocol, server, timeout)


@pytest.fixture(params=["scripted-openai", "scripted-anthropic", *LIVE])
def model(request: pytest.FixtureRequest, server: ScriptedChatServer) -> Model:
    name = str(request.param)
    if name in LIVE:
        if not os.environ.get(LIVE[name]):
            pytest.skip(f"live model: set {LIVE[name]}")
        return Model(name, _live_llm(name), None)
    return Model(name, scripted(name.removeprefix("scripted-"), server), server)


@pytest.fixture
def llm_memory(db_path: Path, embedder: Embedder, model: Model) -> Iterator[Memory]:
    with Memory(db_path, embedder=embedder, llm=model.llm) as m:
        yield m


@pytest.fixture
async def allm_memory(db_path: Path, embedder: Embedder, model: Model) -> AsyncMemory:
    m = AsyncMemory(db_path, embedder=embedder, llm=model.llm)
    yield m  # type: ignore[misc]
    await m.aclose()
