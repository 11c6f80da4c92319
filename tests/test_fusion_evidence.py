"""Keywords are trusted as far as the evidence goes (memspan.retrieval.fuse, memspan.keyword).

A paraphrased question shares its topic word with every memory on that topic; one word in common
must not reorder what an embedder that understands the language ranked by meaning. Two words do,
and where the embedder does not know the language (MiniLM reading Japanese) every match counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders.onnx_minilm import OnnxMiniLMEmbedder
from memspan.keyword import KeywordScore, coverage, query_terms, words_matched
from memspan.pipeline import Settings
from memspan.ports import Embedder
from memspan.retrieval import FusionWeights, embedder_languages, fuse
from memspan.types import MemoryItem, MemoryType


def _item(name: str) -> MemoryItem:
    at = "2026-01-01T00:00:00Z"
    return MemoryItem(name, name, "u", None, None, MemoryType.SEMANTIC, {}, at, at, name)


class _MiniLM:
    model_id = "all-MiniLM-L6-v2-int8"


class _Multilingual:
    model_id = "multilingual-e5-small-q4"


ANSWER, OTHER = _item("answer"), _item("other")
DENSE = [(ANSWER, 0.50), (OTHER, 0.46), *[(_item(f"r{i}"), 0.30) for i in range(5)]]


def _top(query: str, words: list[int], embedder: object, weights: FusionWeights | None = None) -> str:
    keyword = [(OTHER, KeywordScore(0.45, words))]
    return fuse(DENSE, keyword, weights or FusionWeights(), query=query, embedder=embedder)[0].id


def test_one_shared_word_does_not_reorder_a_language_the_embedder_knows() -> None:
    query = "Which dish does she love most?"  # terms: dish, love, most
    assert _top(query, [1], _MiniLM()) == "answer"  # "love" alone: chance
    assert _top(query, [0, 1], _MiniLM()) == "other"  # "dish" and "love": evidence
    assert _top(query, [1], _Multilingual()) == "answer"
    # the old behaviour, kept as a setting: every match counts
    assert _top(query, [1], _MiniLM(), FusionWeights(corroboration=1)) == "other"


def test_where_the_embedder_does_not_know_the_language_every_match_counts() -> None:
    query = "好物は何？"
    assert embedder_languages(_MiniLM()) == frozenset({"en"})
    assert embedder_languages(_Multilingual()) is None
    assert _top(query, [0], _MiniLM()) == "other"  # MiniLM's Japanese similarities are noise
    assert _top(query, [0], _Multilingual()) == "answer"


def test_a_backend_that_does_not_say_which_words_matched_is_trusted_as_before() -> None:
    keyword = [(OTHER, 0.45)]  # a plain float: Weaviate's own BM25
    details = fuse(DENSE, keyword, FusionWeights(), query="Which dish does she love most?", embedder=_MiniLM())
    assert details[0].id == "other"


def test_the_words_a_match_shares_are_counted_once_per_cjk_stretch() -> None:
    terms = query_terms("今年の夏の旅行先は？")
    assert terms[:2] == ["今年", "年の"]
    stretch = [terms.index("の旅"), terms.index("旅行"), terms.index("行先")]
    assert words_matched(KeywordScore(0.4, stretch), terms) == 1  # one run of overlapping pieces
    assert words_matched(KeywordScore(0.4, [0, terms.index("旅行")]), terms) == 2
    # "年の" is the end of 今年 and its particle: it matches "去年の秋に…旅行" but is no word of its own
    assert words_matched(KeywordScore(0.4, [terms.index("年の"), terms.index("旅行")]), terms) == 1
    assert words_matched(KeywordScore(0.4, [terms.index("年の")]), terms) == 0
    assert words_matched(0.4, terms) is None
    scores = coverage(30, [1, 2], {"a": [0, 1], "b": [1]})
    assert scores["a"].terms == frozenset({0, 1}) and float(scores["b"]) > 0


def test_explain_says_why_a_keyword_match_did_not_count(tmp_path: Path, embedder: Embedder) -> None:
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        memory.add("My brother lives in Toronto.", user_id="u", infer=False)
        memory.add("My sister is a nurse in Leeds.", user_id="u", infer=False)
        hits = memory.search("What does her sibling do for a living?", user_id="u", explain=True).results
    brother = next(h for h in hits if "brother" in h.text)
    assert brother.score_details is not None and brother.score_details["keyword_words"] == 1.0


FACTS = [
    "I work as a physiotherapist at a sports clinic.",
    "My brother lives in Toronto.",
    "I'm allergic to cats.",
    "We spent our honeymoon in Portugal.",
    "My daughter takes cello lessons on Tuesdays.",
    "I love hiking in the Dolomites every summer.",
    "I drink my coffee black, no sugar.",
    "My car is a red Volvo estate.",
    "My favourite meal is my grandmother's lasagne.",
    "My sister is a nurse in Leeds.",
    "I'm training for a half marathon in October.",
]


@pytest.fixture(scope="module")
def as_written() -> Embedder:
    """MiniLM embedding questions as written: this fusion case was built on the dense scores of "her
    sibling", whose "her" leans to the sister; rewritten to "my sibling" (the default,
    memspan.embedders.perspective) the dense half itself puts the brother first."""
    return OnnxMiniLMEmbedder(first_person_queries=False)


@pytest.mark.parametrize("corroboration, expected", [(2, "nurse"), (1, "Toronto")])
def test_a_word_shared_by_chance_no_longer_outranks_the_answer(
    tmp_path: Path, as_written: Embedder, corroboration: int, expected: str
) -> None:
    # "living" is in the question and (stemmed) in "lives": the only word the wrong fact shares
    embedder = as_written
    settings = Settings(fusion=FusionWeights(corroboration=corroboration))
    with Memory(tmp_path / "m.db", embedder=embedder, settings=settings) as memory:
        memory.add([{"role": "user", "content": f} for f in FACTS], user_id="u", infer=False)
        top = memory.search("What does her sibling do for a living?", user_id="u", limit=1).results[0]
    assert expected in top.text


def test_corroboration_is_a_number_of_words() -> None:
    with pytest.raises(ValueError, match="corroboration"):
        FusionWeights(corroboration=0)


def test_scores_that_tie_after_scaling_keep_the_order_of_their_cosines() -> None:
    # multilingual-e5's scale puts every cosine under its floor at 0: the three fuse to one score,
    # and their age or ids must not decide their order; the raw cosine does
    low = [(_item("a"), 0.61), (_item("c"), 0.74), (_item("b"), 0.70)]
    ranked = fuse([(ANSWER, 0.90), *low], [], FusionWeights(), (0.75, 0.935), embedder=_Multilingual())
    assert [m.id for m in ranked] == ["answer", "c", "b", "a"]
    assert {m.score for m in ranked[1:]} == {0.0}
    # equal cosines too: the keyword score, then the older memory, then the id
    same = [(_item("y"), 0.5), (_item("x"), 0.5), (_item("z"), 0.5)]
    keyword = [(_item("z"), KeywordScore(0.1, [0]))]
    ranked = fuse(same, keyword, FusionWeights(keyword=0.0001), embedder=_MiniLM())
    assert [m.id for m in ranked] == ["z", "x", "y"]
