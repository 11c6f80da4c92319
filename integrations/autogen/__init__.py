"""memspan for AutoGen 0.7 (``pip install 'memspan[autogen]'``): ``AssistantAgent(memory=[MemspanMemory(...)])``.

Importing this package imports autogen-agentchat.
"""

from .memory import MemspanMemory, MemspanMemoryConfig
from .tools import SaveToMemoryTool, SearchMemoryTool, memory_tools

__all__ = ["MemspanMemory", "MemspanMemoryConfig", "SaveToMemoryTool", "SearchMemoryTool", "memory_tools"]
