"""Personal-memory benchmark: short facts users tell an assistant, asked back in other words.

``benchmarks/personal/<lang>.json`` holds, per language, three users with their facts and the
questions an agent would ask about them (each answered by exactly one fact; see the README there).
For every language and embedder, all users go into ONE store through the public ``Memory`` API
(``infer=False``: the facts are stored as written), a few facts per ``add`` as if told over
several conversations (``run_id`` = that conversation). Every question is then searched in its
user's scope and scored by the rank of its fact: recall@1, recall@5 and MRR (first 10 results),
per retrieval configuration (default, each half alone, each refinement off).

    python benchmarks/personal.py [--langs en,de] [--embedders minilm,multilingual-e5-small]
                                  [--configs default,dense] [--users 3] [--json OUT] [--cache]
                                  [--queries-as-written]

``--cache`` keeps every vector, the questions' too, in ``<workdir>/personal-vectors-<model>.npz``: a
rerun (another retrieval configuration, say) embeds nothing, and its search times mean nothing.
``--queries-as-written`` embeds the questions without the embedders' first-person rewrite
(``memspan.embedders.perspective``), for an A/B.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from embed_cache import CachedDocumentEmbedder
from scale import remove_db

from memspan import Memory
from memspan.pipeline import Settings
from memspan.ports import Embedder
from memspan.retrieval import FusionWeights, Retrieval

HERE = Path(__file__).resolve().parent
SET_DIR = HERE / "personal"
LANGUAGES = ("en", "de", "es", "fr", "ja", "zh", "ko")
#: facts per ``add`` call: one "conversation" in which the user mentioned them
FACTS_PER_RUN = 5
#: results read per question (MRR is MRR@10)
DEPTH = 10


@dataclass(frozen=True)
class Question:
    text: str
    answer: str  # the id of the one fact that answers it
    shares_keyword: bool


@dataclass(frozen=True)
class User:
    user_id: str
    about: str
    facts: dict[str, str]  # fact id -> text, in the order the user told them
    questions: list[Question]


def load(lang: str, directory: Path = SET_DIR) -> list[User]:
    """The users of one language's file."""
    raw = json.loads((directory / f"{lang}.json").read_text(encoding="utf-8"))
    return [
        User(
            user_id=u["user_id"],
            about=u["about"],
            facts={f["id"]: f["text"] for f in u["facts"]},
            questions=[Question(q["text"], q["answer"], bool(q["shares_keyword"])) for q in u["questions"]],
        )
        for u in raw["users"]
    ]


def source_id(user: User, fact_id: str) -> str:
    """A fact's id as stored: user-qualified, so that two users' ``f01`` never meet."""
    return f"{user.user_id}/{fact_id}"


def ingest(memory: Memory, users: Sequence[User]) -> dict[str, Any]:
    """Every user's facts, a few per ``add``; fails loudly if a fact was not stored as one memory."""
    stored = 0
    start = time.perf_counter()
    for user in users:
        items = list(user.facts.items())
        for run, begin in enumerate(range(0, len(items), FACTS_PER_RUN), 1):
            chunk = items[begin : begin + FACTS_PER_RUN]
            messages = [{"role": "user", "content": text, "id": source_id(user, fid)} for fid, text in chunk]
            result = memory.add(messages, user_id=user.user_id, run_id=f"conversation_{run}", infer=False)
            added = [c for c in result.results if c.event.value == "ADD"]
            if len(added) != len(chunk):
                raise RuntimeError(f"{user.user_id}: {len(chunk)} facts gave {len(added)} memories")
            stored += len(added)
    return {"memories": stored, "seconds": time.perf_counter() - start}


def rank_of(results: Sequence[Any], wanted: str) -> int:
    """1-based rank of the memory that came from fact ``wanted``; 0 if it is not in the results."""
    for rank, item in enumerate(results, 1):
        if wanted in item.source_ids:
            return rank
    return 0


def evaluate(memory: Memory, users: Sequence[User]) -> dict[str, Any]:
    """Ask every question in its user's scope; recall@1/@5 and MRR overall and by keyword overlap."""
    rows: list[tuple[bool, int]] = []
    leaks = 0
    latencies: list[float] = []
    for user in users:
        mine = {source_id(user, fid) for fid in user.facts}
        for q in user.questions:
            start = time.perf_counter()
            results = memory.search(q.text, user_id=user.user_id, limit=DEPTH).results
            latencies.append((time.perf_counter() - start) * 1000)
            leaks += sum(1 for item in results if not set(item.source_ids) & mine)
            rows.append((q.shares_keyword, rank_of(results, source_id(user, q.answer))))

    def block(ranks: list[int]) -> dict[str, float]:
        n = len(ranks) or 1
        return {
            "questions": len(ranks),
            "recall_at_1": 100 * sum(r == 1 for r in ranks) / n,
            "recall_at_5": 100 * sum(0 < r <= 5 for r in ranks) / n,
            "mrr": sum(1 / r for r in ranks if r) / n,
        }

    return {
        **block([r for _, r in rows]),
        "shares_keyword": block([r for kw, r in rows if kw]),
        "no_shared_keyword": block([r for kw, r in rows if not kw]),
        "leaks": leaks,
        "search_ms_p50": statistics.median(latencies) if latencies else 0.0,
    }


def configurations() -> dict[str, Settings]:
    """Named retrieval configurations; "default" is what ``Memory()`` does, the rest switch one part off."""
    default = Settings()
    retrieval = default.retrieval
    return {
        "default": default,
        "dense only": Settings(fusion=FusionWeights(dense=1.0, keyword=0.0), retrieval=Retrieval.baseline()),
        "keyword only": Settings(
            fusion=FusionWeights(dense=0.0, keyword=1.0), retrieval=Retrieval.baseline()
        ),
        "fusion (plain)": replace(default, retrieval=Retrieval.baseline()),
        "one shared word counts": replace(default, fusion=replace(default.fusion, corroboration=1)),
        "names off": replace(default, retrieval=replace(retrieval, common_names=1.0)),
        "neighbours off": replace(default, retrieval=replace(retrieval, neighbours=0)),
        "time boosts off": replace(default, retrieval=replace(retrieval, temporal=0.0, dated=0.0)),
        "first person off": replace(default, retrieval=replace(retrieval, first_person=False)),
    }


def embedders() -> dict[str, Callable[[], Embedder]]:
    """The embedders measured: the bundled default and, when its extra is installed, multilingual-e5."""
    from memspan.config import default_embedder

    found: dict[str, Callable[[], Embedder]] = {"minilm": default_embedder}
    try:
        from memspan.embedders.e5 import MultilingualE5Embedder, available
    except ImportError:  # pragma: no cover - older checkouts
        return found
    if available():
        found["multilingual-e5-small"] = MultilingualE5Embedder
    return found


def subset(users: list[User], count: int | None, questions: int | None) -> list[User]:
    """The first ``count`` users with their first ``questions`` questions (all facts stay: distractors)."""
    chosen = users[:count] if count else users
    if questions:
        chosen = [replace(u, questions=u.questions[:questions]) for u in chosen]
    return chosen


def run(
    workdir: Path,
    *,
    langs: Sequence[str] = LANGUAGES,
    embedder_names: Sequence[str] | None = None,
    configs: Sequence[str] | None = None,
    users: int | None = None,
    questions: int | None = None,
    partial: Path | None = None,
    cache: bool = False,
    as_written: bool = False,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    settings = configurations()
    names = [n for n in settings if configs is None or n in configs]
    available = embedders()
    chosen = [n for n in available if embedder_names is None or n in embedder_names]
    missing = [n for n in embedder_names or () if n not in available]
    report: dict[str, Any] = {
        "set": "benchmarks/personal",
        "depth": DEPTH,
        "embedders": {},
        "missing": missing,
        "queries": "as written" if as_written else "first person",
    }
    for emb_name in chosen:
        embedder = available[emb_name]()
        if as_written:  # the A of an A/B: questions embedded without the first-person rewrite
            embedder.first_person_queries = False  # type: ignore[attr-defined]
        if cache:
            tag = "-as-written" if as_written else ""
            path = workdir / f"personal-vectors-{embedder.model_id}{tag}.npz"
            embedder = CachedDocumentEmbedder(path, embedder, queries=True)
        per_lang: dict[str, Any] = {}
        for lang in langs:
            people = subset(load(lang), users, questions)
            path = workdir / f"personal-{lang}-{emb_name}.db"
            remove_db(path)
            with Memory(str(path), embedder=embedder) as memory:
                stats = ingest(memory, people)
            entry: dict[str, Any] = {
                "users": len(people),
                "memories": stats["memories"],
                "questions": sum(len(u.questions) for u in people),
                "configs": {},
            }
            for name in names:
                with Memory(str(path), embedder=embedder, settings=settings[name]) as memory:
                    entry["configs"][name] = evaluate(memory, people)
                if cache:  # cached query vectors: the search time leaves out embedding the query
                    entry["configs"][name].pop("search_ms_p50")
                c = entry["configs"][name]
                print(
                    f"{emb_name:22s} {lang} {name:16s} R@1 {c['recall_at_1']:5.1f} R@5 {c['recall_at_5']:5.1f} "
                    f"MRR {c['mrr']:.3f}",
                    file=sys.stderr,
                )
            remove_db(path)
            if isinstance(embedder, CachedDocumentEmbedder):
                embedder.save()
            per_lang[lang] = entry
            report["embedders"][emb_name] = {"model_id": embedder.model_id, "languages": per_lang}
            if partial is not None:  # a long run keeps what it measured so far
                partial.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=HERE / "results" / "raw")
    parser.add_argument("--langs", default=",".join(LANGUAGES))
    parser.add_argument("--embedders", default=None, help="comma-separated; default: every one installed")
    parser.add_argument("--configs", default=None, help="comma-separated subset of configurations")
    parser.add_argument("--users", type=int, default=None, help="only the first N users of each language")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions per user")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cache", action="store_true", help="cache every vector (recall only, no timing)")
    parser.add_argument(
        "--queries-as-written", action="store_true", help="no first-person rewrite of the questions (A/B)"
    )
    args = parser.parse_args(argv)
    report = run(
        args.workdir,
        langs=args.langs.split(","),
        embedder_names=args.embedders.split(",") if args.embedders else None,
        configs=args.configs.split(",") if args.configs else None,
        users=args.users,
        questions=args.questions,
        partial=args.json,
        cache=args.cache,
        as_written=args.queries_as_written,
    )
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
