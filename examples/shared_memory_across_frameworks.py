"""One memspan store, three frameworks, three processes.

1. A LangChain agent (``create_agent`` + ``MemspanMiddleware``) talks with Alice and learns her
   travel preferences.
2. A separate process runs a CrewAI crew whose memory is ``memspan.integrations.crewai.MemspanMemory``
   over the same SQLite file: crewai recalls Alice's preferences before its task.
3. Another process runs an AutoGen ``AssistantAgent`` with ``memspan.integrations.autogen.MemspanMemory``:
   it recalls them before answering.

Everything runs offline: each framework is driven by a scripted model, embeddings come from the
bundled MiniLM. Each process prints what its framework recalled.

    python examples/shared_memory_across_frameworks.py [STORE.db]
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

USER = "alice"
PREFERENCE = "I'm vegetarian, and on flights I always want a window seat."


def learn_with_langchain(store: str) -> None:
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from memspan import Memory
    from memspan.integrations.langchain import MemoryContext, MemspanMiddleware

    model = GenericFakeChatModel(
        messages=iter([AIMessage(content="Noted: vegetarian meals and window seats.")])
    )
    with Memory(store) as memory:
        agent = create_agent(model, middleware=[MemspanMiddleware(memory)], context_schema=MemoryContext)
        agent.invoke(
            {"messages": [{"role": "user", "content": PREFERENCE}]},
            context=MemoryContext(user_id=USER, agent_id="langchain-assistant"),
        )
        print("[langchain] remembered:")
        for item in memory.get_all(user_id=USER, agent_id="langchain-assistant"):
            print(f"    - {item.text}")


def recall_with_crewai(store: str) -> None:
    os.environ.update(
        OTEL_SDK_DISABLED="true",
        CREWAI_DISABLE_TELEMETRY="true",
        CREWAI_DISABLE_TRACKING="true",
        CREWAI_TRACING_ENABLED="false",
    )
    from crewai import Agent, Crew, Task
    from crewai.llms.base_llm import BaseLLM

    from memspan.integrations.crewai import MemspanMemory

    class ScriptedLLM(BaseLLM):
        """Answers from the memories crewai put into its prompt, as a real model would."""

        def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
            prompt = "\n".join(m["content"] for m in messages if m["role"] == "user")
            recalled = [line[2:] for line in prompt.splitlines() if line.startswith("- (score=")]
            print("[crewai] memories in the task prompt:")
            for line in recalled:
                print(f"    - {line}")
            meal = "vegetarian meal" if "vegetarian" in prompt else "standard meal"
            seat = "window seat" if "window seat" in prompt else "any seat"
            return (
                f"Thought: I know her preferences.\nFinal Answer: Booked Lisbon with a {seat} and a {meal}."
            )

    memory = MemspanMemory(backend=store, user_id=USER, agent_id="trip-crew")
    planner = Agent(
        role="Trip planner", goal="Book trips", backstory="Careful.", llm=ScriptedLLM(model="scripted")
    )
    task = Task(
        description="Book Alice's flight to Lisbon, seat and meal included.",
        expected_output="a booking",
        agent=planner,
    )
    result = Crew(agents=[planner], tasks=[task], memory=memory).kickoff()
    print(f"[crewai] crew answered: {result.raw}")
    memory.close()


async def recall_with_autogen(store: str) -> None:
    from autogen_agentchat.agents import AssistantAgent
    from autogen_agentchat.messages import MemoryQueryEvent
    from autogen_ext.models.replay import ReplayChatCompletionClient

    from memspan.integrations.autogen import MemspanMemory

    memory = MemspanMemory(store, user_id=USER, agent_id="autogen-concierge")
    client = ReplayChatCompletionClient(["I have pre-ordered a vegetarian meal for you."])
    agent = AssistantAgent("concierge", model_client=client, memory=[memory])
    result = await agent.run(task="Which meal should I pre-order for my flight?")
    print("[autogen] memories added to the model context:")
    for event in result.messages:
        if isinstance(event, MemoryQueryEvent):
            for content in event.content:
                print(f"    - {' '.join(str(content.content).split())}")
    await memory.add_task_result(result)  # the conversation becomes memory for the next framework
    await memory.close()


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in ("crewai", "autogen"):
        framework, store = sys.argv[1], sys.argv[2]
        if framework == "crewai":
            recall_with_crewai(store)
        else:
            asyncio.run(recall_with_autogen(store))
        return
    with tempfile.TemporaryDirectory() as scratch:
        store = sys.argv[1] if len(sys.argv) > 1 else str(Path(scratch) / "shared.db")
        learn_with_langchain(store)
        for framework in ("crewai", "autogen"):
            print(f"--- starting a separate {framework} process on {store}", flush=True)
            subprocess.run([sys.executable, __file__, framework, store], check=True)


if __name__ == "__main__":
    main()
