"""The reranker port and the one place a reranker's scores enter a search.

Retrieval finds candidates cheaply; a reranker looks at the best few again with a stronger (often
remote) model. The port has one required method. Scores must be similarities in [0, 1]; the
pre-rerank score is kept in ``score_details["fused"]`` so ``explain=True`` shows both.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..effects import Flow, call
from ..errors import MemspanError
from ..types import MemoryItem, Usage


class RerankError(MemspanError):
    """A reranker failed or answered with scores that cannot be used."""


@dataclass(frozen=True, slots=True)
class RerankScores:
    """One score in [0, 1] per candidate, in the candidates' order, and what they cost."""

    scores: list[float]
    usage: Usage = field(default_factory=Usage)


class Reranker(ABC):
    """Scores how well each candidate memory answers the query. Implement :meth:`rerank`."""

    model_id: str = "unnamed"

    @abstractmethod
    def rerank(self, query: str, candidates: Sequence[MemoryItem]) -> RerankScores:
        """Return a relevance in [0, 1] for every candidate (a native ``arerank`` is optional)."""

    def close(self) -> None:
        """Release HTTP clients."""


def rerank_flow(
    reranker: Reranker, query: str, ranked: list[MemoryItem], top_n: int
) -> Flow[tuple[list[MemoryItem], Usage]]:
    """Rerank the ``top_n`` best candidates; the rest cannot compete with reranked scores and go."""
    head = ranked[:top_n]
    if not head:
        return [], Usage()
    result: RerankScores = yield call(reranker, "rerank", query, head)
    if len(result.scores) != len(head):
        raise RerankError(
            f"{reranker.model_id} returned {len(result.scores)} scores for {len(head)} candidates"
        )
    rescored: list[MemoryItem] = []
    for item, score in zip(head, result.scores, strict=True):
        if not (isinstance(score, (int, float)) and math.isfinite(score) and 0.0 <= score <= 1.0):
            raise RerankError(f"{reranker.model_id} returned {score!r}, not a similarity in [0, 1]")
        details = {**(item.score_details or {}), "fused": item.score or 0.0, "rerank": float(score)}
        rescored.append(item.with_score(float(score), details))
    rescored.sort(key=lambda m: (-(m.score or 0.0), -(m.score_details or {}).get("fused", 0.0), m.id))
    return rescored, result.usage
