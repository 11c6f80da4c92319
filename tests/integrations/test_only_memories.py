"""Only memories are stored through each framework's automatic write path.

The same realistic conversation, in English, German and Japanese, is played through the real
framework objects (LangChain ``create_agent`` with the middleware, a LlamaIndex ``FunctionAgent``
with memspan's memory and with its memory block, crewai crews, AutoGen ``AssistantAgent`` runs),
each driven by the framework's own fake or scripted model. Afterwards the scope must hold every
fact the user told, and no greeting, question, request or acknowledgement of either speaker.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

import pytest

from memspan import AsyncMemory, Memory

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("CREWAI_DISABLE_TRACKING", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")


@dataclass(frozen=True)
class Conversation:
    turns: list[tuple[str, str]]  # (what the user says, what the assistant answers)
    facts: set[str]  # what must be remembered, exactly as the extractor keeps it


CONVERSATIONS = {
    "en": Conversation(
        [
            ("Hi there!", "Hello! How can I help you today?"),
            (
                "I'm vegetarian and I hate olives. What should I cook tonight?",
                "Noted! How about a mushroom risotto?",
            ),
            ("Sounds good, thanks!", "You're welcome!"),
            ("Can you remind me to buy rice tomorrow?", "Will do!"),
            ("My sister Anna is visiting from Brno next week.", "How nice! Is she vegetarian too?"),
            ("No, she eats fish.", "Got it."),
        ],
        {
            "I'm vegetarian and I hate olives.",
            "My sister Anna is visiting from Brno next week.",
            "she eats fish.",
        },
    ),
    "de": Conversation(
        [
            ("Hallo!", "Hallo! Wie kann ich dir helfen?"),
            (
                "Ich bin Veganerin und trinke keinen Kaffee. Was kann ich zum Frühstück essen?",
                "Notiert! Wie wäre es mit Haferbrei?",
            ),
            ("Super, danke!", "Gern geschehen!"),
            ("Kannst du mir bitte ein Rezept schicken?", "Klar, mache ich."),
            ("Mein Bruder wohnt in Graz und kommt am Samstag zu Besuch.", "Wie schön! Isst er auch vegan?"),
            ("Nein, er isst alles.", "Alles klar."),
        ],
        {
            "Ich bin Veganerin und trinke keinen Kaffee.",
            "Mein Bruder wohnt in Graz und kommt am Samstag zu Besuch.",
            "er isst alles.",
        },
    ),
    "ja": Conversation(
        [
            ("こんにちは！", "こんにちは！何かお手伝いできますか？"),
            (
                "私はベジタリアンで、オリーブが苦手です。今夜は何を作ればいいですか？",
                "了解しました！きのこのリゾットはいかがですか？",
            ),
            ("いいですね、ありがとう！", "どういたしまして！"),
            ("明日お米を買うようにリマインドしてください。", "かしこまりました。"),
            ("妹のアンナが来週ブルノから遊びに来ます。", "素敵ですね！妹さんもベジタリアンですか？"),
            ("いいえ、魚は食べます。", "わかりました。"),
        ],
        {
            "私はベジタリアンで、オリーブが苦手です。",
            "妹のアンナが来週ブルノから遊びに来ます。",
            "魚は食べます。",
        },
    ),
}
LANGUAGES = sorted(CONVERSATIONS)


def remembered(memory: Memory, **scope: str) -> set[str]:
    """The scope's remembered facts (transcript messages, which adapters keep verbatim, left out)."""
    return {m.text for m in memory.get_all(**scope, filters={"memspan_transcript": {"ne": True}})}


async def aremembered(memory: AsyncMemory, **scope: str) -> set[str]:
    return {m.text for m in await memory.get_all(**scope, filters={"memspan_transcript": {"ne": True}})}


# -- LangChain / LangGraph ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_langchain_middleware(memory: Memory, lang: str) -> None:
    pytest.importorskip("langchain")
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from memspan.integrations.langchain import MemoryContext, MemspanMiddleware

    conversation = CONVERSATIONS[lang]
    model = GenericFakeChatModel(messages=iter([answer for _, answer in conversation.turns]))
    agent = create_agent(model, middleware=[MemspanMiddleware(memory)], context_schema=MemoryContext)
    for said, _ in conversation.turns:  # the assistant's answers are candidates too: an agent is named
        context = MemoryContext(user_id="maya", agent_id="concierge", run_id="chat-1")
        agent.invoke({"messages": [{"role": "user", "content": said}]}, context=context)
    assert remembered(memory, user_id="maya") == conversation.facts


def test_langchain_middleware_and_save_tool_write_a_fact_once(memory: Memory) -> None:
    """The model saved the turn's fact in its own words; the middleware does not add the user's."""
    pytest.importorskip("langchain")
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from memspan.integrations.langchain import MemoryContext, MemspanMiddleware, memory_tools

    class ToolModel(GenericFakeChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> ToolModel:  # type: ignore[override]
            return self

    save = AIMessage(
        "", tool_calls=[{"name": "save_memory", "args": {"text": "Maya lives in Lisbon."}, "id": "c1"}]
    )
    model = ToolModel(messages=iter([save, "Saved, I'll remember that.", "Hello again!"]))
    agent = create_agent(
        model, memory_tools(memory), middleware=[MemspanMiddleware(memory)], context_schema=MemoryContext
    )
    context = MemoryContext(user_id="maya")
    agent.invoke(
        {"messages": [{"role": "user", "content": "Remember that I live in Lisbon."}]}, context=context
    )
    assert remembered(memory, user_id="maya") == {"Maya lives in Lisbon."}
    agent.invoke({"messages": [{"role": "user", "content": "I work at a bakery."}]}, context=context)
    assert remembered(memory, user_id="maya") == {"Maya lives in Lisbon.", "I work at a bakery."}


# -- LlamaIndex -----------------------------------------------------------------------------------


def _llama_agent(replies: list[str]) -> Any:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.llms import ChatMessage, MessageRole
    from llama_index.core.llms.mock import MockFunctionCallingLLM

    queue = list(replies)

    def reply(messages: Any, **kwargs: Any) -> ChatMessage:
        return ChatMessage(role=MessageRole.ASSISTANT, content=queue.pop(0))

    llm = MockFunctionCallingLLM(response_generator=reply)
    return FunctionAgent(llm=llm, tools=[], system_prompt="You are a concierge.")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_llamaindex_agent_memory(memory: Memory, lang: str) -> None:
    pytest.importorskip("llama_index.core")
    from memspan.integrations.llamaindex import MemspanMemory

    conversation = CONVERSATIONS[lang]
    concierge = _llama_agent([answer for _, answer in conversation.turns])
    session = MemspanMemory.from_defaults(memory, user_id="maya", agent_id="concierge", run_id="chat-1")
    for said, _ in conversation.turns:
        await concierge.run(said, memory=session)
    assert remembered(memory, user_id="maya") == conversation.facts


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_llamaindex_memory_block(memory: Memory, lang: str) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.memory import Memory as LlamaMemory

    from memspan.integrations.llamaindex import MemspanMemoryBlock

    conversation = CONVERSATIONS[lang]
    block = MemspanMemoryBlock(memory=memory, user_id="maya", agent_id="concierge")
    session = LlamaMemory.from_defaults(  # a tiny buffer: every turn is flushed to the block
        session_id=f"maya-{lang}",
        token_limit=40,
        chat_history_token_ratio=0.1,
        token_flush_size=5,
        memory_blocks=[block],
    )
    concierge = _llama_agent([answer for _, answer in conversation.turns] + ["Bye!"])
    for said, _ in conversation.turns:
        await concierge.run(said, memory=session)
    await concierge.run("OK", memory=session)  # pushes the last exchange out of the buffer
    assert remembered(memory, user_id="maya") == conversation.facts


# -- crewai ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_crewai_task_records(memory: Memory, lang: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each guest message is one kickoff; crewai's record of the finished task is what is saved."""
    pytest.importorskip("crewai")
    from crewai import Agent, Crew, Task
    from crewai.llms.base_llm import BaseLLM
    from pydantic import Field

    from memspan.integrations.crewai import MemspanMemory

    class ScriptedLLM(BaseLLM):
        replies: list[str] = Field(default_factory=list)
        prompts: list[Any] = Field(default_factory=list)

        def call(self, messages: Any, *args: Any, **kwargs: Any) -> str:
            self.prompts.append(copy.deepcopy(messages))
            return self.replies.pop(0)

    conversation = CONVERSATIONS[lang]
    crew_memory = MemspanMemory(backend=memory, user_id="maya", agent_id="concierge")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("crewai-data")))
        for said, answer in conversation.turns:
            llm = ScriptedLLM(model="scripted", replies=[f"Thought: I can answer\nFinal Answer: {answer}"])
            host = Agent(role="Concierge", goal="Help guests", backstory="A hotel concierge.", llm=llm)
            task = Task(
                description=f"Reply to the guest's message: {said}", expected_output="a reply", agent=host
            )
            Crew(agents=[host], tasks=[task], memory=crew_memory).kickoff()
    stored = remembered(memory, user_id="maya")
    for fact in conversation.facts:  # every fact, inside the record of the task that carried it
        assert any(fact.rstrip("。.") in text for text in stored), (fact, stored)
    said_and_answered = [text for pair in conversation.turns for text in pair]
    social = [t for t in said_and_answered if not any(f.rstrip("。.") in t for f in conversation.facts)]
    for text in stored:
        assert not any(other.rstrip("!！?？。.") in text for other in social), text
        assert "?" not in text and "？" not in text


# -- AutoGen --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_autogen_task_results_and_memory_add(amemory: AsyncMemory, lang: str) -> None:
    pytest.importorskip("autogen_agentchat")
    from autogen_agentchat.agents import AssistantAgent
    from autogen_core.memory import MemoryContent, MemoryMimeType
    from autogen_ext.models.replay import ReplayChatCompletionClient

    from memspan.integrations.autogen import MemspanMemory

    conversation = CONVERSATIONS[lang]
    info = {
        "function_calling": True,
        "vision": False,
        "json_output": False,
        "family": "unknown",
        "structured_output": False,
    }
    client = ReplayChatCompletionClient([a for _, a in conversation.turns], model_info=info)  # type: ignore[arg-type]
    memory = MemspanMemory(amemory, user_id="maya", agent_id="concierge")
    concierge = AssistantAgent("concierge", model_client=client, memory=[memory])
    for said, _ in conversation.turns:
        await memory.add_task_result(await concierge.run(task=said))
    assert await aremembered(amemory, user_id="maya") == conversation.facts

    protocol = MemspanMemory(amemory, user_id="maya-protocol")  # the Memory protocol's add, user turns
    for said, _ in conversation.turns:
        await protocol.add(MemoryContent(content=said, mime_type=MemoryMimeType.TEXT))
    assert await aremembered(amemory, user_id="maya-protocol") == conversation.facts
