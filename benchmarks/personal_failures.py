"""Why personal-set questions are missed: which half had the answer, and what outranked it.

Every question of ``benchmarks/personal`` is searched once with the default retrieval and
``explain=True``, deep enough to see every fact of its user (a user has at most 40, the dense pool
holds them all), so each result carries its dense and keyword parts. From them:

* **dense rank** — the answer's rank by the dense part alone, **keyword rank** its rank among the
  facts that share a query term (0: it shares none: no lexical overlap);
* **best of halves** — the better of the two: an oracle that picks the right half per question,
  the ceiling of any fusion of these two candidate lists;
* a cause for every question whose answer is not first (and, separately, not in the top 5):

  - ``fusion lost the dense answer`` — the dense half alone had it first; the keyword half (or a
    refinement) put something above it;
  - ``keyword had it, fusion did not`` — the dense half missed, the keyword half ranked it first;
  - ``near-distractor`` — both halves missed and what came first is one of the answer's three
    nearest facts (by the stored vectors): the same topic, another detail (the sister and the
    brother, the wedding and the birthday);
  - ``keyword lure`` — both missed; what came first shares a query word that counted and is not
    near the answer;
  - ``other fact`` — both missed, for no reason above (the embedding ranks an unrelated fact first).

Beside them: the **reach** at @5 — misses where the dense rank is beyond 5 and the answer shares
no word with the question (no keyword half could bring it: out of reach for these two retrievers),
and how many misses were asked in a form the first-person rewrite changed.

    python benchmarks/personal_failures.py [--langs ko,ja] [--embedders multilingual-e5-small]
                                           [--dump OUT.json]

Vectors come from ``personal.py --cache``'s files in ``--workdir`` (made if missing).
``--dump`` writes every miss with its question as embedded, the answer and the five best facts with
their score parts, for reading by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from embed_cache import CachedDocumentEmbedder
from personal import LANGUAGES, User, embedders, ingest, load, source_id
from scale import remove_db

from memspan import Memory
from memspan.embedders.perspective import first_person
from memspan.ports import Embedder
from memspan.retrieval import embedder_languages
from memspan.text import names
from memspan.types import MemoryItem

HERE = Path(__file__).resolve().parent
#: results read per question: more than any user's facts, so every fact has its parts
DEPTH = 50
CAUSES = (
    "fusion lost the dense answer",
    "keyword had it, fusion did not",
    "near-distractor",
    "keyword lure",
    "other fact",
)
#: how many of the answer's nearest facts count as its topic
NEAREST = 3


def _rank(items: Sequence[MemoryItem], wanted: str, part: str) -> int:
    """The 1-based rank of ``wanted`` when ``items`` are ordered by one score part (0: not there)."""
    having = [m for m in items if (m.score_details or {}).get(part, 0.0) > 0]
    having.sort(key=lambda m: -(m.score_details or {}).get(part, 0.0))  # ties: as ranked
    for rank, item in enumerate(having, 1):
        if wanted in item.source_ids:
            return rank
    return 0


def _nearest(embedder: Embedder, answer: MemoryItem, others: Sequence[MemoryItem]) -> set[str]:
    """The ids of the ``NEAREST`` facts closest to ``answer`` by their stored vectors."""
    vec = embedder.embed([answer.text])[0]
    others = [m for m in others if m.id != answer.id]
    if not others:
        return set()
    sims = embedder.embed([m.text for m in others]) @ vec
    return {others[i].id for i in np.argsort(-sims)[:NEAREST]}


def cause(row: dict[str, Any], winner: MemoryItem, near: set[str]) -> str:
    """Why ``winner`` and not the answer came first (see the module's docstring)."""
    if row["dense_rank"] == 1:
        return CAUSES[0]
    if row["keyword_rank"] == 1:
        return CAUSES[1]
    if winner.id in near:
        return CAUSES[2]
    parts = winner.score_details or {}
    if parts.get("keyword", 0.0) > 0 and "keyword_words" not in parts:
        return CAUSES[3]
    return CAUSES[4]


def _parts(item: MemoryItem) -> dict[str, float]:
    return {k: round(v, 3) for k, v in (item.score_details or {}).items() if isinstance(v, float)}


def analyse(memory: Memory, embedder: Embedder, users: Sequence[User]) -> list[dict[str, Any]]:
    """One row per question: the ranks, and for a miss its cause and what came first."""
    rows: list[dict[str, Any]] = []
    languages = embedder_languages(embedder)
    for user in users:
        for q in user.questions:
            wanted = source_id(user, q.answer)
            results = memory.search(q.text, user_id=user.user_id, limit=DEPTH, explain=True).results
            rank = next((i for i, m in enumerate(results, 1) if wanted in m.source_ids), 0)
            row: dict[str, Any] = {
                "user": user.user_id,
                "question": q.text,
                "embedded": q.text if names(q.text) else first_person(q.text, languages=languages),
                "answer": user.facts[q.answer],
                "shares_keyword": q.shares_keyword,
                "rank": rank,
                "dense_rank": _rank(results, wanted, "dense"),
                "keyword_rank": _rank(results, wanted, "keyword"),
            }
            if rank != 1 and results:
                answer = next((m for m in results if wanted in m.source_ids), None)
                near = _nearest(embedder, answer, results) if answer is not None else set()
                row["cause"] = cause(row, results[0], near)
                row["answer_parts"] = _parts(answer) if answer is not None else {}
                row["above"] = [
                    {"text": m.text, "parts": _parts(m)} for m in results[: min(5, (rank or 6) - 1)]
                ]
            rows.append(row)
    return rows


def _within(rank: int, k: int) -> bool:
    return 0 < rank <= k


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Recall, the oracle of the better half, and the causes of the misses at @1 and @5."""
    n = len(rows) or 1

    def share(pred: Any) -> float:
        return round(100 * sum(1 for r in rows if pred(r)) / n, 1)

    def best(r: dict[str, Any]) -> int:
        found = [x for x in (r["dense_rank"], r["keyword_rank"]) if x]
        return min(found) if found else 0

    miss1 = [r for r in rows if r["rank"] != 1]
    miss5 = [r for r in rows if not _within(r["rank"], 5)]
    return {
        "questions": len(rows),
        "recall_at_1": share(lambda r: r["rank"] == 1),
        "recall_at_5": share(lambda r: _within(r["rank"], 5)),
        "dense_at_1": share(lambda r: r["dense_rank"] == 1),
        "dense_at_5": share(lambda r: _within(r["dense_rank"], 5)),
        "keyword_at_1": share(lambda r: r["keyword_rank"] == 1),
        "best_of_halves_at_1": share(lambda r: best(r) == 1),
        "best_of_halves_at_5": share(lambda r: _within(best(r), 5)),
        "misses_at_1": len(miss1),
        "causes_at_1": dict(Counter(r["cause"] for r in miss1 if "cause" in r)),
        "misses_at_5": len(miss5),
        "causes_at_5": dict(Counter(r["cause"] for r in miss5 if "cause" in r)),
        # out of reach of both retrievers: the embedding puts it below 5, and no word is shared
        "out_of_reach_at_5": sum(1 for r in miss5 if r["dense_rank"] > 5 and not r["keyword_rank"]),
        "misses_at_1_no_overlap": sum(1 for r in miss1 if not r["keyword_rank"]),
        "misses_at_1_rewritten": sum(1 for r in miss1 if r["embedded"] != r["question"]),
        "misses_at_1_paraphrased": sum(1 for r in miss1 if not r["shares_keyword"]),
    }


def run(workdir: Path, langs: Sequence[str], embedder_names: Sequence[str] | None) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    found = embedders()
    report: dict[str, Any] = {}
    for name, make in found.items():
        if embedder_names is not None and name not in embedder_names:
            continue
        inner = make()
        embedder = CachedDocumentEmbedder(
            workdir / f"personal-vectors-{inner.model_id}.npz", inner, queries=True
        )
        report[name] = {}
        for lang in langs:
            users = load(lang)
            path = workdir / f"personal-failures-{lang}-{name}.db"
            remove_db(path)
            with Memory(str(path), embedder=embedder) as memory:
                ingest(memory, users)
                rows = analyse(memory, embedder, users)
            remove_db(path)
            report[name][lang] = {"summary": summary(rows), "misses": [r for r in rows if r["rank"] != 1]}
        embedder.save()
    return report


def print_table(report: dict[str, Any]) -> None:
    short = ("fusion lost", "kw had it", "near-distr.", "kw lure", "other")
    head = (
        f"{'embedder':22s} {'lang':4s} {'R@1':>5s} {'R@5':>5s} {'dense@1':>7s} {'best½@1':>7s} "
        f"{'best½@5':>7s} {'miss@1':>6s} "
        + " ".join(f"{s:>11s}" for s in short)
        + f" {'miss@5':>6s} {'unreach@5':>9s} {'noOverl@1':>9s}"
    )
    print(head)
    for name, per_lang in report.items():
        for lang, entry in per_lang.items():
            s = entry["summary"]
            causes = " ".join(f"{s['causes_at_1'].get(c, 0):11d}" for c in CAUSES)
            print(
                f"{name:22s} {lang:4s} {s['recall_at_1']:5.1f} {s['recall_at_5']:5.1f} {s['dense_at_1']:7.1f} "
                f"{s['best_of_halves_at_1']:7.1f} {s['best_of_halves_at_5']:7.1f} {s['misses_at_1']:6d} "
                f"{causes} {s['misses_at_5']:6d} {s['out_of_reach_at_5']:9d} {s['misses_at_1_no_overlap']:9d}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=HERE / "results" / "raw")
    parser.add_argument("--langs", default=",".join(LANGUAGES))
    parser.add_argument("--embedders", default=None, help="comma-separated; default: every one installed")
    parser.add_argument("--dump", type=Path, default=None, help="write every miss here (JSON)")
    args = parser.parse_args(argv)
    report = run(args.workdir, args.langs.split(","), args.embedders.split(",") if args.embedders else None)
    print_table(report)
    if args.dump:
        args.dump.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"misses written to {args.dump}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
