"""Does graph memory help retrieval? LOCOMO recall@k with and without graph expansion, no LLM.

Each conversation's turns are added verbatim (``"Speaker: text"``, provenance = the turn's
``dia_id``, ``created_at`` = the session's date) to one SQLite store with an embedded kuzu graph
built by the offline rule extractor. Every question is then searched in its conversation's scope
twice over the same memories: plain (the graph is detached from the engine) and with graph
expansion at several weights. Recall@k is LOCOMO's: the share of a question's evidence ``dia_id``s
covered by the provenance of the top-k memories.

    python benchmarks/graph_locomo.py [--data PATH] [--conversations N] [--json OUT] [--workdir DIR]
        [--variants "weight=0.2;weight=0.2,hop_weight=0"]

``--workdir`` keeps the embedded memories between runs (embedding 2,760 turns is the slow part);
the graph is always rebuilt from the stored memories, so extractor changes are measured too.

Query vectors are cached across runs (every run asks the same questions), so the runs differ only
in retrieval; search latency is reported for the non-embedding part on the first plain run too.

LOCOMO is CC BY-NC 4.0: it is read from ``--data`` and never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from memspan import Memory
from memspan.config import default_embedder
from memspan.effects import run_sync
from memspan.graph import EntityGraph, GraphSettings, open_graph_store
from memspan.ports import Embedder, EmbedKind, Vector
from memspan.scope import Scope
from memspan.types import Event, MemoryChange, MemoryItem

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
KS = (5, 10, 25)
_DIA_ID = re.compile(r"D\d+:\d+")
_SESSION = re.compile(r"^session_(\d+)$")
DEFAULT_DATA = Path("/work/shared/data/locomo/locomo_dev5.json")


@dataclass(frozen=True)
class Question:
    conversation: str
    text: str
    category: int
    evidence: frozenset[str]


class CachedQueries(Embedder):
    """The bundled embedder, remembering query vectors: each run asks the same 999 questions."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.model_id = inner.model_id
        self._queries: dict[str, Vector] = {}

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if kind != "query":
            return self.inner.embed(texts, kind=kind)
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            self._queries.update(zip(missing, self.inner.embed(missing, kind="query"), strict=True))
        return np.stack([self._queries[t] for t in texts])


def variant(spec: str) -> GraphSettings:
    """``"weight=0.2,hop_weight=0"`` -> GraphSettings(weight=0.2, hop_weight=0.0)."""
    fields: dict[str, Any] = {}
    for part in filter(None, spec.split(",")):
        name, _, value = part.partition("=")
        fields[name.strip()] = type(getattr(GraphSettings(), name.strip()))(float(value))
    return GraphSettings(**fields)


def load(path: Path, limit: int | None) -> tuple[list[tuple[str, list[dict[str, Any]]]], list[Question]]:
    """(conversation id, sessions as ``add`` messages) and the questions that name evidence."""
    data = json.loads(path.read_text(encoding="utf-8"))[:limit]
    conversations: list[tuple[str, list[dict[str, Any]]]] = []
    questions: list[Question] = []
    for sample in data:
        conv, sid = sample["conversation"], str(sample["sample_id"])
        sessions = []
        for key in sorted((k for k in conv if _SESSION.match(k)), key=lambda k: int(k.split("_")[1])):
            if not conv[key]:
                continue
            start = datetime.strptime(conv[f"{key}_date_time"], "%I:%M %p on %d %B, %Y").replace(
                tzinfo=timezone.utc
            )
            messages = [
                {
                    "role": "user",
                    "content": f"{turn['speaker']}: {turn['text']}",
                    "id": turn["dia_id"],
                    "created_at": (start + timedelta(seconds=i)).isoformat(),
                }
                for i, turn in enumerate(conv[key])
                if str(turn.get("text", "")).strip()
            ]
            sessions.append({"run_id": key, "messages": messages})
        conversations.append((sid, sessions))
        for q in sample["qa"]:
            evidence = frozenset(
                _DIA_ID.findall(" ".join(str(e).replace("D:", "D") for e in q.get("evidence", [])))
            )
            if evidence:
                questions.append(Question(sid, str(q["question"]), int(q["category"]), evidence))
    return conversations, questions


def recall(results: Sequence[MemoryItem], evidence: frozenset[str], k: int) -> float:
    covered: set[str] = set()
    for item in results[:k]:
        for source in item.source_ids:
            covered.update(_DIA_ID.findall(source))
    return len(covered & evidence) / len(evidence)


def evaluate(memory: Memory, questions: Sequence[Question]) -> dict[str, Any]:
    per_category: dict[str, dict[int, list[float]]] = {}
    latencies: list[float] = []
    for q in questions:
        start = time.perf_counter()
        results = memory.search(q.text, user_id=q.conversation, limit=max(KS)).results
        latencies.append((time.perf_counter() - start) * 1000)
        for name in (CATEGORIES[q.category], "overall"):
            bucket = per_category.setdefault(name, {k: [] for k in KS})
            for k in KS:
                bucket[k].append(recall(results, q.evidence, k))
    latencies.sort()
    return {
        "recall": {
            name: {f"R@{k}": round(100 * statistics.mean(v), 1) for k, v in by_k.items()}
            | {"n": len(by_k[KS[0]])}
            for name, by_k in per_category.items()
        },
        "search_ms_p50": round(latencies[len(latencies) // 2], 1),
        "search_ms_p95": round(latencies[int(len(latencies) * 0.95)], 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--conversations", type=int, default=None, help="only the first N conversations")
    parser.add_argument(
        "--variants",
        default="weight=0.1;weight=0.2;weight=0.3;weight=0.2,hop_weight=0;weight=0.2,seed_memories=3",
        help="GraphSettings to measure, ';'-separated",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the embedded memories here")
    args = parser.parse_args(argv)

    conversations, questions = load(args.data, args.conversations)
    report: dict[str, Any] = {"data": str(args.data), "questions": len(questions), "runs": {}}
    with tempfile.TemporaryDirectory(prefix="memspan-graph-locomo-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        reuse = (work / "memspan.db").exists()
        memory = Memory(work / "memspan.db", embedder=CachedQueries(default_embedder()))
        start, turns = time.perf_counter(), 0
        if not reuse:
            for sid, sessions in conversations:
                for session in sessions:
                    memory.add(session["messages"], user_id=sid, run_id=session["run_id"], infer=False)
                    turns += len(session["messages"])
            report["ingest_memories_s"] = round(time.perf_counter() - start, 1)
        for old in work.glob("graph.kuzu*"):
            old.unlink()
        graph = EntityGraph(open_graph_store(work / "graph.kuzu"))
        start = time.perf_counter()
        for sid, sessions in conversations:  # the graph of each session, as add would have built it
            for session in sessions:
                scope = Scope(sid, run_id=session["run_id"])
                items = memory.get_all(user_id=sid, run_id=session["run_id"], limit=1000)
                changes = [
                    MemoryChange(Event.ADD, item) for item in sorted(items, key=lambda m: m.created_at)
                ]
                run_sync(graph.after_add(scope, [], changes, items[0].created_at if items else ""))
        seconds = time.perf_counter() - start
        memory._engine.graph = graph
        snapshot = [memory.graph.get_all(user_id=sid, limit=100_000) for sid, _ in conversations]
        report["ingest"] = {
            "memories": sum(len(memory.get_all(user_id=sid, limit=1000)) for sid, _ in conversations),
            "graph_seconds": round(seconds, 1),
            "entities": sum(len(s.entities) for s in snapshot),
            "relations": sum(len(s.relations) for s in snapshot),
        }
        print(f"graph built in {seconds:.1f} s: {report['ingest']}", file=sys.stderr)

        engine = memory._engine  # same memories, graph detached: the plain search
        engine.graph = None
        evaluate(memory, questions)  # fills the query cache, so latencies below exclude embedding
        report["runs"]["plain"] = evaluate(memory, questions)
        print("plain", report["runs"]["plain"], file=sys.stderr)
        engine.graph = graph
        for spec in args.variants.split(";"):
            graph.settings = variant(spec)
            report["runs"][spec] = evaluate(memory, questions)
            print(spec, report["runs"][spec], file=sys.stderr)
        memory.close()

    columns = ["multi-hop", "temporal", "overall"]
    print(
        f"{'run':<36}" + "".join(f"{c + ' R@' + str(k):>16}" for c in columns for k in (5, 10)) + "  p50 ms"
    )
    for name, run in report["runs"].items():
        cells = "".join(f"{run['recall'][c][f'R@{k}']:>16}" for c in columns for k in (5, 10))
        print(f"{name:<36}{cells}  {run['search_ms_p50']:>6}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
