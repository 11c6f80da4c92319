"""Voyage AI's rerank models (``rerank-2.5``, ``rerank-2.5-lite``...) through the ``voyageai`` client."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..errors import ValidationError
from ..types import MemoryItem, Usage
from .base import Reranker, RerankError, RerankScores

DEFAULT_MODEL = "rerank-2.5-lite"


def _sdk() -> Any:
    try:
        import voyageai
    except ImportError as exc:
        raise ValidationError("the Voyage reranker needs its client: pip install 'memspan[voyage]'") from exc
    return voyageai


class VoyageReranker(Reranker):
    """Relevance scores from Voyage's rerank endpoint (already in [0, 1]).

    ``api_key`` defaults to ``VOYAGE_API_KEY``; ``base_url`` to the client's own default (set it, or
    ``VOYAGE_BASE_URL``, for a proxy or a compatible server). The client retries rate limits and
    server errors ``max_retries`` times.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 3,
        timeout: float = 30.0,
    ):
        voyageai = _sdk()
        api_key = api_key or os.environ.get("VOYAGE_API_KEY")
        if not api_key:
            raise ValidationError("no Voyage API key: pass api_key= or set VOYAGE_API_KEY")
        base_url = base_url or os.environ.get("VOYAGE_BASE_URL") or None
        options = {"api_key": api_key, "max_retries": max_retries, "timeout": timeout, "base_url": base_url}
        self._client = voyageai.Client(**options)
        self._async_client = voyageai.AsyncClient(**options)
        self.model = model
        self.model_id = f"voyage:{model}"

    def _scores(self, response: Any, count: int) -> RerankScores:
        scores = [0.0] * count
        seen = set()
        for result in response.results:
            if not 0 <= result.index < count or result.index in seen:
                raise RerankError(f"{self.model_id} answered for candidate {result.index} of {count}")
            seen.add(result.index)
            scores[result.index] = float(result.relevance_score)
        if len(seen) != count:
            raise RerankError(f"{self.model_id} scored {len(seen)} of {count} candidates")
        return RerankScores(scores, Usage(llm_calls=1, prompt_tokens=int(response.total_tokens)))

    def _call_error(self, exc: Exception) -> RerankError:
        return RerankError(f"{self.model_id} failed: {type(exc).__name__}: {exc}")

    def rerank(self, query: str, candidates: Sequence[MemoryItem]) -> RerankScores:
        documents = [c.text for c in candidates]
        try:
            response = self._client.rerank(query, documents, model=self.model, truncation=True)
        except Exception as exc:  # the SDK raises many unrelated types; all become one clear error
            raise self._call_error(exc) from exc
        return self._scores(response, len(documents))

    async def arerank(self, query: str, candidates: Sequence[MemoryItem]) -> RerankScores:
        documents = [c.text for c in candidates]
        try:
            response = await self._async_client.rerank(query, documents, model=self.model, truncation=True)
        except Exception as exc:  # see rerank()
            raise self._call_error(exc) from exc
        return self._scores(response, len(documents))
