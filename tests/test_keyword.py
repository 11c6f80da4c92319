"""Keyword scores from a scope's own statistics (memspan.keyword) and how fusion weighs them."""

from __future__ import annotations

import pytest

from memspan.keyword import best, coverage, idf, query_terms
from memspan.retrieval import FusionWeights, dense_scale, fuse
from memspan.types import MemoryItem, MemoryType


def test_coverage_is_the_share_of_the_query_s_rare_words() -> None:
    # scope of 100: "zeppelin" in 1 memory, "desk" in 20; memory a has both, b only desk, c only zeppelin
    scores = coverage(100, [1, 20], {"a": [0, 1], "b": [1], "c": [0]})
    assert scores["b"] < scores["c"] < scores["a"] <= 1
    assert scores["c"] / scores["a"] == pytest.approx(idf(100, 1) / (idf(100, 1) + idf(100, 20)))
    assert coverage(100, [1, 2, 3], {"a": [0, 1, 2]})["a"] == pytest.approx(1.0)


def test_one_word_queries_are_not_full_matches() -> None:
    # "What does she do for a living?" has one content word: containing it is not the whole answer
    one = coverage(40, [1], {"a": [0]})["a"]
    assert one == pytest.approx(0.5)
    assert coverage(40, [1, 1], {"a": [0, 1]})["a"] == pytest.approx(1.0)


def test_best_breaks_ties_by_order_and_drops_zero_scores() -> None:
    assert best({"x": 0.5, "y": 0.5, "z": 0.0}, 5, {"x": 2, "y": 1, "z": 0}) == [("y", 0.5), ("x", 0.5)]
    assert query_terms("What is the") == ["what", "is", "the"]


def _item(name: str) -> MemoryItem:
    at = "2026-01-01T00:00:00Z"
    return MemoryItem(name, name, "u", None, None, MemoryType.SEMANTIC, {}, at, at, name)


def test_a_sharp_dense_ranking_needs_fewer_keyword_votes() -> None:
    answer, other, rest = _item("answer"), _item("other"), [_item(f"r{i}") for i in range(5)]
    dense = [(answer, 0.45), (other, 0.35), *[(r, 0.05) for r in rest]]  # spread 0.40: sure of itself
    keyword = [(other, 0.3)]
    fixed = fuse(dense, keyword, FusionWeights())
    assert fixed[0].id == "other"  # a fixed half for keywords: one shared word wins
    following = fuse(dense, keyword, FusionWeights(dense_spread=0.1))
    assert following[0].id == "answer"
    flat = [(answer, 0.40), (other, 0.38), *[(r, 0.36) for r in rest]]  # spread 0.04: unsure
    assert fuse(flat, keyword, FusionWeights(dense_spread=0.1))[0].id == "other"


def test_compressed_embedders_are_put_on_one_scale() -> None:
    class E5:
        model_id = "multilingual-e5-small-q4"

    class Own:
        similarity_range = (0.2, 0.8)

    assert dense_scale(E5()) == (0.75, 0.935)
    assert dense_scale(Own()) == (0.2, 0.8)
    assert dense_scale(object()) == (0.0, 1.0)
    hits = fuse([(_item("a"), 0.84), (_item("b"), 0.78)], [], FusionWeights(), dense_scale(E5()))
    assert hits[0].score_details is not None and hits[0].score_details["dense_scaled"] == pytest.approx(
        0.486, abs=1e-3
    )
    assert all(0 <= (h.score or 0) <= 1 for h in hits)
