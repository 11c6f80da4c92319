"""Every adapter writes with memspan's expiry when given ``ttl=``: what it wrote carries an
``expires_at``, and once that passes the framework sees it no more (memspan.expiry)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from memspan import Memory
from memspan.filters import format_timestamp


def _later(seconds: float) -> str:
    return format_timestamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def _expire_everything(memory: Memory) -> None:
    memory.store.clock = lambda: _later(7200)  # type: ignore[method-assign]


def test_crewai_memory_saves_with_a_ttl(memory: Memory) -> None:
    from memspan.integrations.crewai import MemspanMemory

    crew = MemspanMemory(backend=memory, user_id="alice", agent_id="crew", infer=False, ttl=3600)
    record = crew.remember("Alice likes night trains")
    assert memory.get(record.id).expires_at is not None
    assert crew.scoped(run_id="k1").ttl == 3600  # a scoped view keeps it
    assert [r.record.content for r in crew.recall("night trains", depth="shallow")] == [
        "Alice likes night trains"
    ]
    _expire_everything(memory)
    assert crew.recall("night trains", depth="shallow") == []


async def test_autogen_memory_adds_with_a_ttl_and_dumps_it(tmp_path: Path) -> None:
    from autogen_core.memory import MemoryContent, MemoryMimeType

    from memspan.integrations.autogen import MemspanMemory

    agent_memory = MemspanMemory(tmp_path / "a.db", user_id="alice", infer=False, ttl=3600)
    await agent_memory.add(MemoryContent(content="Alice likes night trains", mime_type=MemoryMimeType.TEXT))
    assert agent_memory.dump_component().config["ttl"] == 3600
    [stored] = await agent_memory.memory.get_all(user_id="alice")
    assert stored.expires_at is not None
    agent_memory.memory.store.clock = lambda: _later(7200)  # type: ignore[attr-defined]
    assert (await agent_memory.query("night trains")).results == []
    await agent_memory.close()


async def test_llamaindex_chat_stores_take_a_ttl_like_redis(memory: Memory) -> None:
    from llama_index.core.llms import ChatMessage

    from memspan.integrations.llamaindex import MemspanChatStore, MemspanDBChatStore

    buffer_store = MemspanChatStore(memory=memory, user_id="ivy", ttl=3600)
    buffer_store.add_message("s1", ChatMessage(role="user", content="I travel to Kyoto"))
    assert buffer_store.to_dict()["ttl"] == 3600  # serialised with the store
    db_store = MemspanDBChatStore(memory=memory, user_id="ivy", ttl=3600)
    await db_store.add_message("s2", ChatMessage(role="user", content="I travel to Lima"))
    assert all(m.expires_at for m in memory.get_all(run_id=buffer_store.run_id("s1")))
    _expire_everything(memory)
    assert buffer_store.get_messages("s1") == []
    assert await db_store.get_messages("s2") == []


def test_langchain_history_takes_a_ttl_like_redis(memory: Memory) -> None:
    from langchain_core.messages import HumanMessage

    from memspan.integrations.langchain import MemspanChatMessageHistory

    history = MemspanChatMessageHistory(memory, "chat-1", user_id="alice", ttl=3600)
    history.add_messages([HumanMessage("I live in Lisbon")])
    assert [m.content for m in history.messages] == ["I live in Lisbon"]
    _expire_everything(memory)
    assert history.messages == []
