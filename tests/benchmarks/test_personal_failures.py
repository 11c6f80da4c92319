"""The personal-set miss breakdown (benchmarks/personal_failures.py) on a few facts of our own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from memspan import Memory
from memspan.ports import Embedder
from memspan.types import MemoryItem, MemoryType

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from personal import Question, User, ingest  # noqa: E402
from personal_failures import CAUSES, analyse, cause, summary  # noqa: E402


def _item(name: str, parts: dict[str, float]) -> MemoryItem:
    at = "2026-01-01T00:00:00Z"
    item = MemoryItem(name, name, "u", None, None, MemoryType.SEMANTIC, {}, at, at, name)
    return item.with_score(0.5, parts)


def _row(rank: int, dense: int, keyword: int, **extra: Any) -> dict[str, Any]:
    return {
        "rank": rank,
        "dense_rank": dense,
        "keyword_rank": keyword,
        "question": "q",
        "embedded": "q",
        "shares_keyword": False,
        **extra,
    }


def test_a_miss_is_blamed_on_the_half_that_had_the_answer_then_on_what_came_first() -> None:
    lure = _item("lure", {"dense": 0.3, "keyword": 0.6})
    weak = _item("weak", {"dense": 0.3, "keyword": 0.2, "keyword_words": 1.0})  # did not count
    assert cause(_row(2, 1, 0), lure, set()) == "fusion lost the dense answer"
    assert cause(_row(3, 4, 1), lure, set()) == "keyword had it, fusion did not"
    assert cause(_row(3, 4, 2), lure, {"lure"}) == "near-distractor"
    assert cause(_row(3, 4, 2), lure, set()) == "keyword lure"
    assert cause(_row(3, 4, 0), weak, set()) == "other fact"


def test_summary_counts_the_oracle_of_the_better_half_and_what_no_half_can_reach() -> None:
    rows = [
        _row(1, 1, 0),
        _row(2, 2, 1, cause=CAUSES[1]),  # the keyword half had it first: the oracle counts it
        _row(7, 7, 0, cause=CAUSES[4]),  # beyond 5 and no word shared: out of reach
        _row(6, 9, 3, cause=CAUSES[3]),  # beyond 5 but shares words (keyword rank 3): reachable
    ]
    s = summary(rows)
    assert (s["recall_at_1"], s["recall_at_5"]) == (25.0, 50.0)
    assert (s["best_of_halves_at_1"], s["best_of_halves_at_5"]) == (50.0, 75.0)
    assert s["misses_at_1"] == 3 and s["misses_at_5"] == 2
    assert s["out_of_reach_at_5"] == 1 and s["misses_at_1_no_overlap"] == 1
    assert s["causes_at_1"] == {CAUSES[1]: 1, CAUSES[4]: 1, CAUSES[3]: 1}


def test_every_question_gets_its_ranks_and_every_miss_a_cause(tmp_path: Path, embedder: Embedder) -> None:
    facts = {
        "f1": "I work night shifts as a nurse at the city hospital.",
        "f2": "My sister Hana lives in Brno.",
        "f3": "My brother Tomas lives in Graz.",
        "f4": "I'm allergic to penicillin.",
        "f5": "I play the cello in an amateur orchestra.",
    }
    questions = [
        Question("Where does Hana live?", "f2", True),
        Question("Which antibiotic must a doctor avoid prescribing her?", "f4", False),
        Question("What instrument does she play?", "f5", False),
    ]
    user = User("u-ana", "Ana, a nurse", facts, questions)
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        ingest(memory, [user])
        rows = analyse(memory, embedder, [user])
    assert [r["question"] for r in rows] == [q.text for q in questions]
    for row in rows:
        assert 1 <= row["rank"] <= len(facts) and 1 <= row["dense_rank"] <= len(facts)
        assert (row["rank"] == 1) == ("cause" not in row)
        if "cause" in row:
            assert row["cause"] in CAUSES and len(row["above"]) == min(5, row["rank"] - 1)
    assert rows[0]["keyword_rank"] >= 1  # "Hana" is in the fact
    assert rows[2]["embedded"] == "What instrument do I play?"  # asked of the user: first person
    s = summary(rows)
    assert s["questions"] == 3 and s["best_of_halves_at_1"] >= s["dense_at_1"]
