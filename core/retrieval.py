"""Hybrid retrieval: dense and keyword candidates fused into one similarity in [0, 1].

Keyword (BM25) scores are unbounded; each is divided by the best keyword score of the query, so the
strongest lexical match counts 1 and the rest count in proportion. Dense scores are cosine
similarities clipped to [0, 1]. The fused score is the weighted mean of the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ports import ScoredItems
from .types import MemoryItem


@dataclass(frozen=True, slots=True)
class FusionWeights:
    dense: float = 0.5
    keyword: float = 0.5

    def __post_init__(self) -> None:
        if self.dense < 0 or self.keyword < 0 or self.dense + self.keyword <= 0:
            raise ValueError("fusion weights must be non-negative and not both zero")


def fuse(dense: ScoredItems, keyword: ScoredItems, weights: FusionWeights) -> list[MemoryItem]:
    """Merge both candidate lists; each item carries its score and the parts it came from."""
    total = weights.dense + weights.keyword
    best_keyword = max((score for _, score in keyword), default=0.0)
    parts: dict[str, dict[str, float]] = {}
    items: dict[str, MemoryItem] = {}
    for item, score in dense:
        items[item.id] = item
        parts.setdefault(item.id, {})["dense"] = min(max(score, 0.0), 1.0)
    for item, score in keyword:
        items.setdefault(item.id, item)
        parts.setdefault(item.id, {})["keyword"] = score / best_keyword if best_keyword > 0 else 0.0
    scored: list[MemoryItem] = []
    for memory_id, item in items.items():
        p = parts[memory_id]
        fused = (weights.dense * p.get("dense", 0.0) + weights.keyword * p.get("keyword", 0.0)) / total
        scored.append(item.with_score(min(max(fused, 0.0), 1.0), p))
    scored.sort(key=lambda m: (-(m.score or 0.0), m.id))
    return scored
