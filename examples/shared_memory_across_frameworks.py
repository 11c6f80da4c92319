"""One memspan store, eight frameworks, one process each: what any of them learns, all of them recall.

Round 1, each framework in its own process, recalls what the earlier ones learned about Alice and
then learns something itself:

1. LangChain (``create_agent`` + ``MemspanMiddleware``) learns her meal and seat preferences.
2. A CrewAI crew recalls them before its task and remembers the booking it made.
3. A LlamaIndex agent (``memspan_memory``) recalls both and learns that she collects fountain pens.
4. An AutoGen ``AssistantAgent`` recalls all three and learns that she is allergic to peanuts.
5. A Microsoft Agent Framework agent (``MemspanContextProvider``) recalls the allergy into its
   instructions and learns, after the run, that she is learning Portuguese.
6. A Google ADK agent (``MemspanMemoryService`` + ``preload_memory``) gets that preloaded and, once
   its session is added to memory, knows that she prefers hotels with a gym.
7. An OpenAI Agents SDK agent (``MemspanAgentMemory.input_filter``) recalls the hotel preference
   and remembers the run: her passport expires in March.
8. A pydantic-ai agent (the ``MemspanMemory`` capability) recalls the passport and learns that she
   travels with her dog Biscuit.

The last four are each host's own example (``examples/<host>_memory.py``), asked as Alice.
Round 2 closes every direction: LangChain (an *agent-scoped* run, ``agent_id`` set), CrewAI and
LlamaIndex each recall what the frameworks after them learned. Every adapter follows one scope rule:
it writes to the user *and* its agent id, and recalls the whole user unless ``recall_within``
narrows it.

Everything runs offline: each framework is driven by a scripted model, embeddings come from the
bundled MiniLM. Each process prints what its framework recalled.

    python examples/shared_memory_across_frameworks.py [STORE.db]
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

USER = "alice"
PREFERENCE = "I'm vegetarian, and on flights I always want a window seat."
PENS = "I collect vintage fountain pens."
PEANUTS = "I am allergic to peanuts."
PORTUGUESE = "I am learning Portuguese for the Lisbon trip."
GYM = "I prefer hotels with a gym."
PASSPORT = "My passport expires in March."
DOG = "I travel with my dog Biscuit."

#: the hosts added last: each one's example module, its recall function, and what Alice tells it
#: (a new fact and a question about what an earlier framework learned)
HOSTS = {
    "agent_framework": ("agent_framework_memory", "recall_with_agent_framework", f"{PORTUGUESE} Which snacks are safe for me?"),
    "adk": ("adk_memory", "recall_with_adk", f"{GYM} What should I practise before Lisbon?"),
    "openai_agents": ("openai_agents_memory", "recall_with_openai_agents", f"{PASSPORT} Which hotel suits me?"),
    "pydantic_ai": ("pydantic_ai_memory", "recall_with_pydantic_ai", f"{DOG} When does my passport expire?"),
}


def show(framework: str, texts: Sequence[str]) -> None:
    print(f"[{framework}] recalled:")
    for text in texts:
        print(f"    - {' '.join(text.split())}")


def langchain(store: str, round_: int) -> None:
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, SystemMessage

    from memspan import Memory
    from memspan.integrations.langchain import MemoryContext, MemspanMiddleware

    question = PREFERENCE if round_ == 1 else "Plan a birthday gift and a dinner for me."
    reply = "Noted: vegetarian meals and window seats." if round_ == 1 else "A pen and a peanut-free dinner."
    model = GenericFakeChatModel(messages=iter([AIMessage(content=reply)]))
    seen: list[str] = []
    invoke = model._generate

    def recording(messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        seen.extend(str(m.content) for m in messages if isinstance(m, SystemMessage))
        return invoke(messages, *args, **kwargs)

    object.__setattr__(model, "_generate", recording)
    with Memory(store) as memory:
        # round 2 asks for more than Alice has, so it shows everything the seven others learned
        middleware = MemspanMiddleware(memory, limit=10 if round_ == 1 else 30, remember=round_ == 1)
        agent = create_agent(model, middleware=[middleware], context_schema=MemoryContext)
        agent.invoke(  # an agent-scoped run: its writes carry the agent id, recall spans the user
            {"messages": [{"role": "user", "content": question}]},
            context=MemoryContext(user_id=USER, agent_id="langchain-assistant"),
        )
    show(
        f"langchain round {round_}",
        [line[2:] for text in seen for line in text.splitlines() if line.startswith("- ")],
    )


def crewai(store: str, round_: int) -> None:
    os.environ.update(
        CREWAI_DISABLE_TELEMETRY="true",
        CREWAI_DISABLE_TRACKING="true",
        CREWAI_TRACING_ENABLED="false",
    )
    from crewai import Agent, Crew, Task
    from crewai.llms.base_llm import BaseLLM

    from memspan.integrations.crewai import MemspanMemory

    memory = MemspanMemory(backend=store, user_id=USER, agent_id="trip-crew")
    if round_ == 2:  # what the crew's agents would find with their "Search memory" tool
        show(
            "crewai round 2", [m.record.content for m in memory.recall("gift ideas and allergies", limit=30)]
        )
        memory.close()
        return

    class ScriptedLLM(BaseLLM):
        """Answers from the memories crewai put into its prompt, as a real model would."""

        def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
            prompt = "\n".join(m["content"] for m in messages if m["role"] == "user")
            show(
                "crewai round 1",
                [line.split(") ", 1)[-1] for line in prompt.splitlines() if line.startswith("- (score=")],
            )
            meal = "vegetarian meal" if "vegetarian" in prompt else "standard meal"
            seat = "window seat" if "window seat" in prompt else "any seat"
            return (
                f"Thought: I know her preferences.\nFinal Answer: Booked Lisbon with a {seat} and a {meal}."
            )

    planner = Agent(
        role="Trip planner", goal="Book trips", backstory="Careful.", llm=ScriptedLLM(model="scripted")
    )
    task = Task(
        description="Book Alice's flight to Lisbon, seat and meal included.",
        expected_output="a booking",
        agent=planner,
    )
    result = Crew(agents=[planner], tasks=[task], memory=memory).kickoff()  # the crew saves its result
    print(f"[crewai] crew answered: {result.raw}")
    memory.close()


async def llamaindex(store: str, round_: int) -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.llms import ChatMessage, MessageRole
    from llama_index.core.llms.mock import MockFunctionCallingLLM

    from memspan import AsyncMemory
    from memspan.integrations.llamaindex import MemspanMemoryBlock, memspan_memory

    async with AsyncMemory(store) as memory:
        if round_ == 2:  # what the memory block puts in front of the model for this question
            block = MemspanMemoryBlock(memory=memory, user_id=USER, agent_id="llamaindex-concierge", limit=30)
            shown = await block.aget(
                [ChatMessage(role="user", content="What should I avoid eating at dinner?")]
            )
            show("llamaindex round 2", [line[2:] for line in shown.splitlines() if line.startswith("- ")])
            return
        seen: list[str] = []

        def respond(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
            if not seen:  # what the model was shown for the first question
                seen.extend(str(m.content or "") for m in messages if m.role == MessageRole.SYSTEM)
            return ChatMessage(role=MessageRole.ASSISTANT, content="Lisbon is booked; I will note the pens.")

        agent = FunctionAgent(
            llm=MockFunctionCallingLLM(response_generator=respond), system_prompt="A concierge."
        )
        chat = memspan_memory(
            memory, user_id=USER, agent_id="llamaindex-concierge", session_id="trip-chat", limit=10
        )
        await agent.run(f"{PENS} Which trip did you book for me?", memory=chat)
        await agent.run("Thanks!", memory=chat)  # the block remembers the finished exchange
        show(
            "llamaindex round 1",
            [line[2:] for text in seen for line in text.splitlines() if line.startswith("- ")],
        )


async def autogen(store: str, round_: int) -> None:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.messages import MemoryQueryEvent
    from autogen_core.memory import MemoryContent, MemoryMimeType
    from autogen_ext.models.replay import ReplayChatCompletionClient

    from memspan.integrations.autogen import MemspanMemory

    memory = MemspanMemory(store, user_id=USER, agent_id="autogen-concierge", limit=10)
    client = ReplayChatCompletionClient(["I have pre-ordered a vegetarian meal for you."])
    agent = AssistantAgent("concierge", model_client=client, memory=[memory])
    result = await agent.run(task="Which meal should I pre-order for my Lisbon flight? Any gift ideas?")
    recalled = [str(c.content) for e in result.messages if isinstance(e, MemoryQueryEvent) for c in e.content]
    show("autogen round 1", recalled)
    await memory.add(MemoryContent(content=PEANUTS, mime_type=MemoryMimeType.TEXT))  # what the app learned
    await memory.close()


async def host(framework: str, store: str) -> None:
    """One of the last four hosts, through its own example (this script's folder is on ``sys.path``)."""
    logging.getLogger("google_adk").setLevel(logging.ERROR)  # ADK warns that scripted replies count no tokens
    module, function, said = HOSTS[framework]
    answer = await getattr(importlib.import_module(module), function)(store, user_id=USER, question=said)
    print(f"[{framework}] answered: {answer}")


def stage(framework: str, store: str, round_: int) -> None:
    if framework in HOSTS:
        asyncio.run(host(framework, store))
    elif framework == "langchain":
        langchain(store, round_)
    elif framework == "crewai":
        crewai(store, round_)
    elif framework == "llamaindex":
        asyncio.run(llamaindex(store, round_))
    else:
        asyncio.run(autogen(store, round_))


def main() -> None:
    if len(sys.argv) == 4:
        stage(sys.argv[1], sys.argv[2], int(sys.argv[3]))
        return
    with tempfile.TemporaryDirectory() as scratch:
        store = sys.argv[1] if len(sys.argv) > 1 else str(Path(scratch) / "shared.db")
        plan = [(f, 1) for f in ("langchain", "crewai", "llamaindex", "autogen", *HOSTS)]
        plan += [(f, 2) for f in ("langchain", "crewai", "llamaindex")]
        for framework, round_ in plan:
            print(f"--- {framework}, round {round_}, in its own process on {store}", flush=True)
            subprocess.run([sys.executable, __file__, framework, store, str(round_)], check=True)


if __name__ == "__main__":
    main()
