"""The LOCOMO loss breakdown (benchmarks/locomo_failures.py) on a tiny conversation of our own."""

from __future__ import annotations

import sys
from pathlib import Path

from memspan import Memory
from memspan.ports import Embedder

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import locomo_data as ld  # noqa: E402
from locomo import ingest  # noqa: E402
from locomo_failures import BUCKETS, analyse  # noqa: E402


def _conversation() -> ld.Conversation:
    turns = [
        ld.Turn("D1:1", "Ana", "I adopted a grey cat called Pepper."),
        ld.Turn("D1:2", "Bo", "I am training for the Berlin marathon."),
        ld.Turn("D1:3", "Ana", "My sister moved to Lisbon last spring."),
    ]
    observations = [  # D1:3 is cited by no fact: the question about it cannot be answered
        ld.Observation(1, "Ana adopted a grey cat called Pepper.", ("D1:1",)),
        ld.Observation(1, "Bo is training for the Berlin marathon.", ("D1:2",)),
    ]
    questions = [
        ld.Question("What is the name of Ana's cat?", 4, frozenset({"D1:1"})),
        ld.Question("Where does Ana's sister live?", 4, frozenset({"D1:3"})),
        ld.Question("What are Ana and Bo busy with?", 1, frozenset({"D1:1", "D1:3"})),
    ]
    session = ld.Session(1, "2023-05-08T13:56:00+00:00", turns)
    return ld.Conversation("conv-x", ("Ana", "Bo"), [session], questions, observations)


def test_evidence_no_memory_cites_is_unreachable_not_a_ranking_loss(
    tmp_path: Path, embedder: Embedder
) -> None:
    conv = _conversation()
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        ingest(memory, [conv], "observation")
        table, failures = analyse(memory, [conv])
    overall = table["overall"]
    assert overall["questions"] == 3
    # the cat: found (two facts in the scope, so in the top 10); the sister: unreachable;
    # the last question: half of each
    assert overall["top 10"] == 50.0 and overall["unreachable"] == 50.0
    assert sum(overall[b] for b in BUCKETS) == 100.0
    assert table["multi-hop"]["questions"] == 1 and table["single-hop"]["questions"] == 2
    assert failures == []  # nothing reachable was ranked out of the top 10
