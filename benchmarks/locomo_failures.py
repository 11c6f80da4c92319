"""Where LOCOMO recall is lost: reachable evidence, the rank it gets, and the questions that miss.

For one ingest mode (``observation`` by default), every question is searched as in ``locomo.py``
(default retrieval, top 50) and each of its evidence turns is put in one bucket:

* **unreachable** — no memory of the conversation carries that turn in its provenance (in
  observation mode LOCOMO's facts cite other turns than its questions do: no ranking can find it);
* **not in the top 50** — some memory carries it, but none ranks in the top 50;
* **ranks 11–50** — found, below the cut of recall@10;
* **top 10** — counted by recall@10.

The buckets are shares of recall units (each question weighs 1, split over its evidence turns), so
"top 10" is R@10 and "top 10" + "ranks 11–50" is R@50. ``--dump`` writes every question that
loses reachable evidence with the ten memories ranked above its first hit and their score parts
(``explain=True``), for reading by hand.

    python benchmarks/locomo_failures.py [--mode observation] [--embedder minilm] [--dump OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import locomo_data as ld
from embed_cache import CachedDocumentEmbedder
from locomo import MODES, ingest, provenance
from scale import remove_db

from memspan import Memory
from memspan.config import named_embedder

BUCKETS = ("top 10", "ranks 11-50", "not in the top 50", "unreachable")
DEPTH = 50


def bucket(rank: int | None, reachable: bool) -> str:
    if not reachable:
        return BUCKETS[3]
    if rank is None:
        return BUCKETS[2]
    return BUCKETS[0] if rank <= 10 else BUCKETS[1]


def analyse(memory: Memory, conversations: Sequence[ld.Conversation]) -> tuple[dict[str, Any], list[Any]]:
    """Recall units per bucket, overall and per category, and the questions that lose reachable evidence."""
    units: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0.0))
    counts: dict[str, int] = defaultdict(int)
    failures: list[dict[str, Any]] = []
    for conv in conversations:
        stored = memory.get_all(user_id=conv.sample_id, limit=1000)
        reachable = set().union(*(provenance(m) for m in stored)) if stored else set()
        for q in conv.questions:
            results = memory.search(q.text, user_id=conv.sample_id, limit=DEPTH, explain=True).results
            first: dict[str, int] = {}
            for rank, item in enumerate(results, 1):
                for turn in provenance(item) & q.evidence:
                    first.setdefault(turn, rank)
            category = ld.CATEGORIES[q.category]
            counts[category] += 1
            lost = False
            for turn in q.evidence:
                where = bucket(first.get(turn), turn in reachable)
                for key in ("overall", category):
                    units[key][where] += 1 / len(q.evidence)
                lost |= where in BUCKETS[1:3]
            if lost:
                best = min(first.values(), default=DEPTH + 1)
                failures.append(
                    {
                        "conversation": conv.sample_id,
                        "category": category,
                        "question": q.text,
                        "evidence": sorted(q.evidence),
                        "found_at": dict(sorted(first.items())),
                        "above_first_hit": [
                            {"text": m.text, "provenance": sorted(provenance(m)), "parts": m.score_details}
                            for m in results[: min(best - 1, 10)]
                        ],
                    }
                )
    counts["overall"] = sum(counts.values())
    table = {
        key: {b: round(100 * v / counts[key], 1) for b, v in row.items()} | {"questions": counts[key]}
        for key, row in units.items()
    }
    return table, failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / "results" / "raw")
    parser.add_argument("--mode", default="observation", choices=MODES)
    parser.add_argument("--embedder", default="minilm", help="minilm (default) or multilingual-e5-small")
    parser.add_argument("--dump", type=Path, default=None, help="write the failing questions here")
    args = parser.parse_args(argv)
    conversations = ld.load(args.data)
    inner = named_embedder(args.embedder)
    cache = "locomo-vectors.npz" if args.embedder == "minilm" else f"locomo-vectors-{inner.model_id}.npz"
    embedder = CachedDocumentEmbedder(args.workdir / cache, inner, queries=True)
    path = args.workdir / f"locomo-failures-{args.mode}.db"
    remove_db(path)
    with Memory(str(path), embedder=embedder) as memory:
        ingest(memory, conversations, args.mode)
        table, failures = analyse(memory, conversations)
    embedder.save()
    remove_db(path)
    print(f"{'':14s}" + "".join(f"{b:>20s}" for b in BUCKETS) + "  questions")
    for key, row in table.items():
        print(f"{key:14s}" + "".join(f"{row[b]:20.1f}" for b in BUCKETS) + f"  {row['questions']:9d}")
    if args.dump:
        args.dump.write_text(json.dumps(failures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(failures)} questions lose reachable evidence: {args.dump}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
