"""memspan: long-term memory for AI agents (user, session and agent scopes), offline by default."""

from .errors import (
    DimensionMismatchError,
    EmbedderError,
    ExtractionError,
    FilterError,
    LLMError,
    MemspanError,
    NotFoundError,
    ReadOnlyStoreError,
    SchemaVersionError,
    ScopeError,
    StoreError,
    ValidationError,
)
from .memory import AsyncMemory, Memory
from .pipeline import Settings
from .retrieval import FusionWeights
from .scope import Scope
from .types import AddResult, Event, HistoryEvent, MemoryChange, MemoryItem, MemoryType, SearchResult, Usage

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "AsyncMemory",
    "DimensionMismatchError",
    "EmbedderError",
    "Event",
    "ExtractionError",
    "FilterError",
    "FusionWeights",
    "HistoryEvent",
    "LLMError",
    "Memory",
    "MemoryChange",
    "MemoryItem",
    "MemoryType",
    "MemspanError",
    "NotFoundError",
    "ReadOnlyStoreError",
    "SchemaVersionError",
    "Scope",
    "ScopeError",
    "SearchResult",
    "Settings",
    "StoreError",
    "Usage",
    "ValidationError",
]
