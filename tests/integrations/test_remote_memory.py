"""The four framework integrations over ``memspan serve``: RemoteMemory in place of Memory.

One real server (uvicorn on 127.0.0.1, the service's SQLite store) serves the whole module. Each
framework writes through its adapter with a client holding Alice's key; the server's own store then
shows the memories in Alice's scope, and a client holding Bob's key is refused Alice's memories.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.update(
    CREWAI_DISABLE_TELEMETRY="true",
    CREWAI_DISABLE_TRACKING="true",
    CREWAI_TRACING_ENABLED="false",
)
pytest.importorskip("langchain")
pytest.importorskip("llama_index.core")
pytest.importorskip("crewai")
pytest.importorskip("autogen_agentchat")
pytest.importorskip("uvicorn")

from autogen_agentchat.agents import AssistantAgent
from autogen_core.memory import MemoryContent, MemoryMimeType
from autogen_core.models import SystemMessage as AutogenSystemMessage
from autogen_ext.models.replay import ReplayChatCompletionClient
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.outputs import ChatResult
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM
from pydantic import Field

from memspan import Memory, ValidationError
from memspan.client import AsyncRemoteMemory, ForbiddenError, RemoteMemory
from memspan.facade import (
    blocking_twin,
    is_async_facade,
    is_blocking_facade,
    require_facade,
)
from memspan.integrations.autogen import MemspanMemory as AutogenMemory
from memspan.integrations.crewai import MemspanMemory as CrewMemory
from memspan.integrations.langchain import MemoryContext, MemspanMiddleware, MemspanStore
from memspan.integrations.llamaindex import MemspanMemory as LlamaMemory
from memspan.ports import Embedder

from ..service.conftest import Svc, ThreadedServer, make_service


@dataclass
class Server:
    svc: Svc
    url: str

    def key(self, user: str, *runs: str) -> str:
        """A key that may read and write ``user``'s memories and the transcripts of ``runs``."""
        grants = [({"user_id": user}, "write"), *(({"run_id": run}, "write") for run in runs)]
        return self.svc.key(f"{user}-{uuid.uuid4().hex[:6]}", *grants)

    @property
    def store(self) -> Memory:
        """The server's own memory: what the frameworks wrote, seen without any client."""
        return self.svc.memory


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Server]:
    service = make_service(tmp_path_factory.mktemp("remote"), embedder)
    svc = next(service)
    with ThreadedServer(svc.app) as running:
        yield Server(svc, running.url)
    next(service, None)  # closes the store and the service database


@pytest.fixture(autouse=True)
def crewai_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "crewai-data"))


# -- the facade protocol ------------------------------------------------------------------------


async def test_every_memory_class_is_a_facade_and_others_are_refused(server: Server) -> None:
    key = server.key("zoe")
    with RemoteMemory(server.url, key) as remote:
        assert is_blocking_facade(remote) and not is_async_facade(remote)
        assert is_blocking_facade(server.store) and require_facade(remote) is remote
    aremote = AsyncRemoteMemory(server.url, key)
    assert is_async_facade(aremote) and not is_blocking_facade(aremote)
    twin = blocking_twin(aremote)
    assert isinstance(twin, RemoteMemory) and twin.url == aremote.url
    twin.add("Zoe plays the cello.", user_id="zoe", infer=False)
    assert [m.text for m in await aremote.get_all(user_id="zoe")] == ["Zoe plays the cello."]
    twin.close()
    await aremote.aclose()
    for wrong in (42, "not a memory", object()):
        with pytest.raises(ValidationError, match="RemoteMemory"):
            require_facade(wrong)


async def test_every_adapter_takes_both_server_clients(server: Server) -> None:
    """Before, CrewAI refused AsyncRemoteMemory and AutoGen refused RemoteMemory (opposite rules)."""
    from memspan.integrations.llamaindex import MemspanMemory as LlamaMemory

    key = server.key("uni")
    aremote = AsyncRemoteMemory(server.url, key)
    crew = CrewMemory(backend=aremote, user_id="uni", agent_id="crew", infer=False)
    crew.remember("Uni rides a unicycle", scope="/hobbies")
    with RemoteMemory(server.url, key) as remote:
        autogen = AutogenMemory(remote, user_id="uni", agent_id="helper", infer=False)
        await autogen.add(MemoryContent(content="Uni drinks green tea", mime_type=MemoryMimeType.TEXT))
        found = {str(m.content) for m in (await autogen.query("unicycle tea")).results}
        assert found == {"Uni rides a unicycle", "Uni drinks green tea"}
        for facade in (remote, aremote):
            llama = LlamaMemory.from_defaults(facade, user_id="uni", agent_id="concierge")
            shown = (await llama.aget("hobbies and drinks"))[0].content or ""
            assert "unicycle" in shown and "green tea" in shown
    assert crew.list_scopes() == ["/hobbies"]
    await aremote.aclose()


# -- LangChain ----------------------------------------------------------------------------------


class ScriptedModel(GenericFakeChatModel):
    """LangChain's fake chat model, recording the messages of every call."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        return super()._generate(messages, stop, run_manager, **kw)


def system_text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages if isinstance(m, SystemMessage))


def test_langchain_agent_remembers_through_the_server(server: Server) -> None:
    model = ScriptedModel(messages=iter(["Noted.", "Pack the apple slices."]), seen=[])
    with RemoteMemory(server.url, server.key("lc-alice")) as remote:
        agent = create_agent(model, middleware=[MemspanMiddleware(remote)], context_schema=MemoryContext)
        for text in ("I am allergic to peanuts.", "Which snack should I pack?"):
            agent.invoke(
                {"messages": [{"role": "user", "content": text}]}, context=MemoryContext(user_id="lc-alice")
            )
    assert "- I am allergic to peanuts." in system_text(model.seen[1])
    assert "I am allergic to peanuts." in [m.text for m in server.store.get_all(user_id="lc-alice")]
    with RemoteMemory(server.url, server.key("lc-bob")) as bob:
        bobs_agent = create_agent(
            ScriptedModel(messages=iter(["?"]), seen=[]),
            middleware=[MemspanMiddleware(bob)],
            context_schema=MemoryContext,
        )
        with pytest.raises(ForbiddenError):  # Bob's key cannot name Alice's scope
            bobs_agent.invoke(
                {"messages": [{"role": "user", "content": "What am I allergic to?"}]},
                context=MemoryContext(user_id="lc-alice"),
            )


async def test_langchain_store_over_the_async_client_uses_both_paths(server: Server) -> None:
    aremote = AsyncRemoteMemory(server.url, server.key("lc-fred"))
    store = MemspanStore(aremote)
    store.put(("memories", "lc-fred"), "bees", {"text": "Fred keeps bees."})  # the blocking twin
    hits = await store.asearch(("memories", "lc-fred"), query="insects")  # the client's coroutines
    assert [h.value["text"] for h in hits] == ["Fred keeps bees."]
    assert [m.text for m in server.store.get_all(user_id="lc-fred")] == ["Fred keeps bees."]
    with pytest.raises(ForbiddenError):
        await store.asearch(("memories", "lc-alice"), query="peanuts")
    await aremote.aclose()


# -- LlamaIndex ---------------------------------------------------------------------------------


async def test_llamaindex_agent_memory_over_the_server(server: Server) -> None:
    replies = iter(["Noted.", "The lentil curry."])
    seen: list[list[ChatMessage]] = []

    def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        seen.append(list(messages))
        return ChatMessage(role=MessageRole.ASSISTANT, content=next(replies))

    concierge = FunctionAgent(llm=MockFunctionCallingLLM(response_generator=respond), tools=[])
    from memspan.integrations._scopes import conversation_key

    # transcripts are keyed by user and session: the key grants those runs
    runs = [conversation_key(run, "li-alice") for run in ("li-s1", "li-s2")]
    with RemoteMemory(server.url, server.key("li-alice", *runs)) as remote:
        for text, run in (("I am vegetarian.", "li-s1"), ("What should I order tonight?", "li-s2")):
            await concierge.run(
                text, memory=LlamaMemory.from_defaults(remote, user_id="li-alice", run_id=run)
            )
    shown = "\n".join(m.content or "" for m in seen[1] if m.role == MessageRole.SYSTEM)
    assert "- I am vegetarian." in shown
    assert "I am vegetarian." in [m.text for m in server.store.get_all(user_id="li-alice")]
    assert len(server.store.get_all(run_id=runs[0])) == 2  # the session transcript, kept on the server
    with RemoteMemory(server.url, server.key("li-bob")) as bob, pytest.raises(ForbiddenError):
        LlamaMemory.from_defaults(bob, user_id="li-alice").get("What do I eat?")


# -- CrewAI -------------------------------------------------------------------------------------


def test_crewai_memory_saves_and_recalls_through_the_server(server: Server) -> None:
    with RemoteMemory(server.url, server.key("cr-alice")) as remote:
        crew_memory = CrewMemory(backend=remote, user_id="cr-alice", agent_id="travel-crew")
        record = crew_memory.remember("Alice likes night trains", categories=["travel"])
        assert record is not None and record.scope == "/user/cr-alice/agent/travel-crew"
        found = crew_memory.recall("trains", categories=["travel"])
        assert [m.record.content for m in found] == ["Alice likes night trains"]
    stored = server.store.get_all(user_id="cr-alice")
    assert [(m.text, m.agent_id) for m in stored] == [("Alice likes night trains", "travel-crew")]
    with RemoteMemory(server.url, server.key("cr-bob")) as bob:
        intruder = CrewMemory(backend=bob, user_id="cr-alice", agent_id="travel-crew")
        with pytest.raises(ForbiddenError):
            intruder.recall("trains")


# -- AutoGen ------------------------------------------------------------------------------------


async def test_autogen_assistant_recalls_through_the_async_client(server: Server) -> None:
    aremote = AsyncRemoteMemory(server.url, server.key("ag-alice"))
    memory = AutogenMemory(aremote, user_id="ag-alice", agent_id="helper")
    await memory.add(MemoryContent(content="Alice prefers window seats", mime_type=MemoryMimeType.TEXT))
    info = {
        "function_calling": True,
        "vision": False,
        "json_output": False,
        "family": "unknown",
        "structured_output": False,
    }
    client = ReplayChatCompletionClient(["You like window seats."], model_info=info)  # type: ignore[arg-type]
    seen: list[str] = []
    create = client.create

    async def recording(messages: Sequence[Any], **kwargs: Any) -> Any:
        seen.append("\n".join(m.content for m in messages if isinstance(m, AutogenSystemMessage)))
        return await create(messages, **kwargs)

    client.create = recording  # type: ignore[method-assign]
    agent = AssistantAgent("helper", model_client=client, memory=[memory])
    await agent.run(task="Which seat do I like on flights?")
    assert "Alice prefers window seats" in seen[0]
    assert [(m.text, m.agent_id) for m in server.store.get_all(user_id="ag-alice")] == [
        ("Alice prefers window seats", "helper")
    ]
    with pytest.raises(ValidationError, match="does not say where it lives"):
        memory.dump_component()  # a server client is not serialised (it would carry the key)
    bob = AsyncRemoteMemory(server.url, server.key("ag-bob"))
    with pytest.raises(ForbiddenError):
        await AutogenMemory(bob, user_id="ag-alice").query("seats")
    await bob.aclose()
    await aremote.aclose()
