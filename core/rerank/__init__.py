"""Rerankers: a second, stronger look at the best search candidates (optional).

Providers are imported on first use, so the search pipeline can depend on the port alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Reranker, RerankError, RerankScores, rerank_flow

if TYPE_CHECKING:
    from .llm import LLMReranker
    from .voyage import VoyageReranker

_PROVIDERS = {"LLMReranker": ".llm", "VoyageReranker": ".voyage"}


def __getattr__(name: str) -> Any:
    if name in _PROVIDERS:
        from importlib import import_module

        return getattr(import_module(_PROVIDERS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["LLMReranker", "RerankError", "RerankScores", "Reranker", "VoyageReranker", "rerank_flow"]
