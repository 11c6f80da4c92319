"""Tools an AutoGen agent calls to save and search its memspan memory.

``AssistantAgent`` reads memory by itself (``update_context``) but never writes it, so an agent that
should learn during a conversation gets these tools: ``save_to_memory`` and ``search_memory``.
Both are Components whose config is the memory's, so an agent holding them still round-trips
through ``dump_component`` / ``load_component``.
"""

from __future__ import annotations

from autogen_core import CancellationToken, Component, ComponentModel
from autogen_core.tools import BaseTool
from pydantic import BaseModel, Field
from typing_extensions import Self

from .memory import MemspanMemory


class SaveArgs(BaseModel):
    fact: str = Field(description="One self-contained fact, preference or decision worth keeping.")


class SearchArgs(BaseModel):
    query: str = Field(description="What to look for, in plain words.")


class MemoryToolConfig(BaseModel):
    memory: ComponentModel


class SaveToMemoryTool(BaseTool[SaveArgs, BaseModel], Component[MemoryToolConfig]):
    """Stores a fact in long-term memory (memspan decides whether it is new, a duplicate or an update)."""

    component_provider_override = "memspan.integrations.autogen.SaveToMemoryTool"
    component_config_schema = MemoryToolConfig

    def __init__(self, memory: MemspanMemory) -> None:
        super().__init__(
            SaveArgs,
            str,  # type: ignore[arg-type]  # autogen's own FunctionTool returns plain strings too
            "save_to_memory",
            "Save a fact about the user or the task to long-term memory so it is known in later conversations.",
        )
        self.memory = memory

    async def run(self, args: SaveArgs, cancellation_token: CancellationToken) -> str:  # type: ignore[override]
        fact = [{"role": "user", "content": args.fact}]
        result = await self.memory.remember(fact)
        if not result.changes:  # the agent asked for exactly this to be kept: store it as given
            result = await self.memory.remember(fact, infer=False)
        return "; ".join(f"{c.event.value}: {c.item.text}" for c in result.changes)

    def _to_config(self) -> MemoryToolConfig:
        return MemoryToolConfig(memory=self.memory.dump_component())

    @classmethod
    def _from_config(cls, config: MemoryToolConfig) -> Self:
        return cls(MemspanMemory.load_component(config.memory))


class SearchMemoryTool(BaseTool[SearchArgs, BaseModel], Component[MemoryToolConfig]):
    """Searches long-term memory; answers one line per memory, best first."""

    component_provider_override = "memspan.integrations.autogen.SearchMemoryTool"
    component_config_schema = MemoryToolConfig

    def __init__(self, memory: MemspanMemory) -> None:
        super().__init__(
            SearchArgs,
            str,  # type: ignore[arg-type]
            "search_memory",
            "Search long-term memory for facts, preferences and past decisions about the user or the task.",
        )
        self.memory = memory

    async def run(self, args: SearchArgs, cancellation_token: CancellationToken) -> str:  # type: ignore[override]
        found = await self.memory.query(args.query)
        if not found.results:
            return "No relevant memories."
        return "\n".join(f"- {m.content!s}" for m in found.results)

    def _to_config(self) -> MemoryToolConfig:
        return MemoryToolConfig(memory=self.memory.dump_component())

    @classmethod
    def _from_config(cls, config: MemoryToolConfig) -> Self:
        return cls(MemspanMemory.load_component(config.memory))


def memory_tools(
    memory: MemspanMemory,
) -> list[BaseTool[SaveArgs, BaseModel] | BaseTool[SearchArgs, BaseModel]]:
    """``[save_to_memory, search_memory]`` for ``AssistantAgent(tools=...)``."""
    return [SaveToMemoryTool(memory), SearchMemoryTool(memory)]
