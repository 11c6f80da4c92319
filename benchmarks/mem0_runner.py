"""The reference side by side: mem0 (``mem0ai`` from PyPI) on the same LOCOMO ingest and scale points.

Runs INSIDE mem0's own virtual environment (``benchmarks/.mem0-venv``, made by ``mem0_env.py``), so
its pins never touch memspan's. What had to change for mem0 to run offline, and nothing else:

* embedder: mem0's ``langchain`` embedder provider, handed a LangChain ``Embeddings`` object that
  calls memspan's bundled all-MiniLM-L6-v2 (int8 ONNX): the same model, the same vectors, no torch
  and no hub download (mem0's ``huggingface`` provider would need sentence-transformers + torch);
* ``OPENAI_API_KEY`` is set to a placeholder because mem0 builds its default LLM client at start-up;
  with ``infer=False`` no LLM is ever called;
* ``MEM0_TELEMETRY=False`` (telemetry would try the network);
* vector store: mem0's default (Qdrant local mode) in a temporary path; history in a temporary file.

mem0's keyword (BM25) path needs fastembed and a model download, and its entity boost needs spaCy
models that are not on PyPI, so on a plain offline install its search is dense only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("MEM0_TELEMETRY", "False")
os.environ.setdefault("OPENAI_API_KEY", "sk-placeholder-never-used")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from langchain_core.embeddings import Embeddings
from mem0 import Memory

sys.path.insert(0, str(Path(__file__).parent))
import locomo_data as ld
from embed_cache import CachedDocumentEmbedder
from scale import corpus, unit_vectors

KS = (1, 5, 10, 25, 50)
_DIA_ID = re.compile(r"D\d+:\d+")


class MiniLM(Embeddings):  # type: ignore[misc]
    """LangChain face of memspan's embedder, for mem0's ``langchain`` provider."""

    def __init__(self, inner: CachedDocumentEmbedder, cache_documents: bool):
        self.inner = inner
        self.cache_documents = cache_documents

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        embedder = self.inner if self.cache_documents else self.inner.inner
        return embedder.embed(texts, kind="document").tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        # mem0 embeds stored texts through embed_query too ("add" vs "search" is not passed on)
        return self.embed_documents([text])[0]


class QueryAware(MiniLM):
    """Distinguishes mem0's search embeddings (never cached) from its document ones."""

    searching = False

    def embed_query(self, text: str) -> list[float]:
        if self.searching:
            return self.inner.inner.embed([text], kind="query")[0].tolist()  # type: ignore[no-any-return]
        return super().embed_query(text)


def make_memory(workdir: Path, name: str, embeddings: Embeddings) -> Memory:
    path = workdir / f"mem0-{name}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    config = {
        "embedder": {"provider": "langchain", "config": {"model": embeddings, "embedding_dims": 384}},
        "vector_store": {
            "provider": "qdrant",
            "config": {"path": str(path / "qdrant"), "collection_name": name, "embedding_model_dims": 384},
        },
        "history_db_path": str(path / "history.db"),
    }
    return Memory.from_config(config)


def percentiles(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"p50": values[len(values) // 2], "p95": values[int(0.95 * (len(values) - 1))]}


def ingest(memory: Memory, convs: Sequence[ld.Conversation]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Turns verbatim, one ``add`` per session; provenance from the order of mem0's results."""
    provenance: dict[str, set[str]] = {}
    owner: dict[str, str] = {}
    for conv in convs:
        for session in conv.sessions:
            messages = [{"role": "user", "content": f"{t.speaker}: {t.text}"} for t in session.turns]
            result = memory.add(
                messages,
                user_id=conv.sample_id,
                run_id=f"session_{session.number}",
                metadata={"session": session.number},
                infer=False,
            )
            for turn, added in zip(session.turns, result["results"], strict=True):
                provenance[added["id"]] = {turn.dia_id}
                owner[added["id"]] = conv.sample_id
    return provenance, owner


def locomo(workdir: Path, data: Path, quick: bool) -> dict[str, Any]:
    convs = ld.load(data)[: 1 if quick else None]
    cache = CachedDocumentEmbedder(workdir / "locomo-vectors.npz")
    embeddings = QueryAware(cache, cache_documents=True)
    memory = make_memory(workdir, "locomo", embeddings)
    provenance, owner = ingest(memory, convs)
    cache.save()
    embeddings.searching = True
    rows, latencies, leaks = [], [], 0
    for conv in convs:
        for q in conv.questions:
            began = time.perf_counter()
            hits = memory.search(q.text, filters={"user_id": conv.sample_id}, top_k=max(KS), threshold=0.0)
            latencies.append((time.perf_counter() - began) * 1000)
            results = hits["results"]
            leaks += sum(1 for r in results if owner.get(r["id"]) != conv.sample_id)
            covered: set[str] = set()
            recall, first = {}, 0
            for rank, r in enumerate(results, 1):
                found = provenance.get(r["id"], set()) & q.evidence
                if found and not first:
                    first = rank
                covered |= found
                if rank in KS:
                    recall[rank] = len(covered) / len(q.evidence)
            for k in KS:
                recall.setdefault(k, len(covered) / len(q.evidence))
            rows.append({"category": q.category, "recall": recall, "mrr": 1 / first if first else 0.0})
    return {"rows": rows, "search_ms": percentiles(latencies), "leaks": leaks, "memories": len(provenance)}


def add_rate(workdir: Path, data: Path, cache: CachedDocumentEmbedder, sessions: int = 4) -> dict[str, float]:
    """Turns per second through ``add(infer=False)`` with real embedding, one call per session."""
    conv = ld.load(data)[0]
    memory = make_memory(workdir, "add-rate", MiniLM(cache, cache_documents=False))
    memory.add([{"role": "user", "content": "warm up"}], user_id="warm-up", infer=False)
    added, seconds = 0, 0.0
    for session in conv.sessions[:sessions]:
        messages = [{"role": "user", "content": f"{t.speaker}: {t.text}"} for t in session.turns]
        began = time.perf_counter()
        memory.add(messages, user_id=conv.sample_id, run_id=f"session_{session.number}", infer=False)
        seconds += time.perf_counter() - began
        added += len(messages)
    return {"memories": added, "seconds": seconds, "per_s": added / seconds}


def scale(
    workdir: Path, data: Path | None, points: Sequence[int], queries: Sequence[int]
) -> list[dict[str, Any]]:
    """The same texts, vectors, users and questions as memspan's scale run, through mem0."""
    texts, questions = corpus(data)
    cache = CachedDocumentEmbedder(workdir / "unused-vectors.npz")
    embeddings = QueryAware(cache, cache_documents=False)
    embeddings.searching = True
    memory = make_memory(workdir, "scale", embeddings)
    rng = np.random.default_rng(100)
    users, filled, out = 100, 0, []
    for size, n_queries in zip(points, queries, strict=True):
        began = time.perf_counter()
        for start in range(filled, size, 1000):
            n = min(1000, size - start)
            vectors = unit_vectors(rng, n)
            payloads = [
                {
                    "data": f"{texts[i % len(texts)]} (#{i})",
                    "user_id": f"user-{i % users}",
                    "run_id": f"run-{i // 50}",
                    "created_at": "2026-01-01T00:00:00+00:00",
                }
                for i in range(start, start + n)
            ]
            ids = [str(uuid.uuid4()) for _ in range(n)]
            memory.vector_store.insert(vectors=vectors.tolist(), payloads=payloads, ids=ids)
        insert_rate = (size - filled) / (time.perf_counter() - began)
        filled = size
        pick = random.Random(11)
        memory.search("warm up", filters={"user_id": "user-0"}, top_k=10)
        timings = []
        for i in range(n_queries):
            began = time.perf_counter()
            memory.search(
                questions[i % len(questions)], filters={"user_id": f"user-{pick.randrange(users)}"}, top_k=10
            )
            timings.append((time.perf_counter() - began) * 1000)
        point = {
            "memories": size,
            "search_ms": percentiles(timings),
            "bulk_insert_per_s": insert_rate,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "queries": n_queries,
        }
        print(f"mem0 scale {size:>8,}: p50 {point['search_ms']['p50']:.0f} ms", file=sys.stderr)
        out.append(point)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--points", default="1000,10000,100000")
    parser.add_argument("--queries", default="200,100,20", help="searches timed at each scale point")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    import importlib.metadata

    report: dict[str, Any] = {"version": importlib.metadata.version("mem0ai")}
    cache = CachedDocumentEmbedder(args.workdir / "unused-vectors.npz")
    report["add_rate"] = add_rate(args.workdir, args.data, cache)
    report["locomo"] = locomo(args.workdir, args.data, args.quick)
    args.json.write_text(json.dumps(report, indent=2))  # kept even if the scale part is cut short
    if not args.quick:
        points = [int(p) for p in args.points.split(",")]
        queries = [int(q) for q in args.queries.split(",")]
        report["scale"] = scale(args.workdir, args.data, points, queries)
    args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
