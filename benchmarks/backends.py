"""SQLite vs PostgreSQL side by side: add throughput, scoped search latency, recall@10.

    .venv/bin/python benchmarks/backends.py                     # 100k memories, 100 users, 384-d
    .venv/bin/python benchmarks/backends.py --memories 20000 --hnsw

Vectors are precomputed random unit vectors drawn around per-user topic centres (so neighbours are
meaningful and the benchmark measures storage, not an embedding model). "add" is the store's own
batched insert (memory row + vector + history event, atomically) in batches of 500, plus single
``Memory.add`` calls with the HashingEmbedder. "search" is ``search_vector`` scoped to one user
(p50/p95 over the queries) and the full ``Memory.search`` (embed + dense + keyword + fusion).
recall@10 compares the scoped top 10 with exact brute force in numpy over that user's rows.
PostgreSQL runs on a throwaway local server (memspan.testing.start_postgres).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from memspan import Memory
from memspan._inputs import text_hash
from memspan.embedders import HashingEmbedder
from memspan.filters import parse_filter
from memspan.ports import MemoryStore
from memspan.scope import Scope
from memspan.stores.postgres import PostgresStore
from memspan.stores.sqlite import SQLiteStore
from memspan.testing import start_postgres
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType

#: a Zipf-distributed vocabulary, so keyword search sees rare and common words as in real text
VOCABULARY = np.array([f"w{k}" for k in range(5000)])
WORD_WEIGHTS = 1.0 / np.arange(1, 5001) ** 1.1
WORD_WEIGHTS /= WORD_WEIGHTS.sum()


def words(rng: np.random.Generator, count: int) -> str:
    return " ".join(rng.choice(VOCABULARY, size=count, p=WORD_WEIGHTS))


def make_data(n: int, users: int, dim: int, seed: int = 0) -> tuple[list[MemoryItem], np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(users * 8, dim)).astype(np.float32)
    topic = rng.integers(0, users * 8, size=n)
    vectors = centres[topic] + 0.8 * rng.normal(size=(n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    items = []
    for i in range(n):
        text = f"memory {i}: " + words(rng, 8)
        stamp = "2025-01-01T00:00:00.000000Z"
        items.append(
            MemoryItem(
                id=str(uuid.uuid4()), text=text, user_id=f"user-{i % users}", agent_id=None, run_id=None,
                memory_type=MemoryType.SEMANTIC, metadata={"n": i % 7}, created_at=stamp, updated_at=stamp,
                hash=text_hash(text),
            )
        )  # fmt: skip
    return items, vectors


def load(
    store: MemoryStore, items: list[MemoryItem], vectors: np.ndarray, model: str, batch: int = 500
) -> float:
    store.bind_embedder(model, vectors.shape[1])
    start = time.perf_counter()
    for i in range(0, len(items), batch):
        chunk = items[i : i + batch]
        events = [HistoryEvent(m.id, Event.ADD, None, m.text, m.created_at, m.user_id) for m in chunk]
        store.insert(chunk, vectors[i : i + batch], events)
    return len(items) / (time.perf_counter() - start)


def percentiles(samples: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(np.asarray(samples) * 1000, [50, 95])
    return float(p50), float(p95)


def measure(
    name: str, store: MemoryStore, items: list[MemoryItem], vectors: np.ndarray, args: Any
) -> dict[str, Any]:
    rate = load(store, items, vectors, "bench-random", args.batch)
    rng = np.random.default_rng(1)
    owners = np.array([int(m.user_id.split("-")[1]) for m in items])  # type: ignore[union-attr]
    latencies, recalls = [], []
    for _ in range(args.queries):
        user = int(rng.integers(args.users))
        query = vectors[int(rng.integers(len(items)))] + 0.3 * rng.normal(size=vectors.shape[1]).astype(
            np.float32
        )
        query /= np.linalg.norm(query)
        rows = np.flatnonzero(owners == user)
        exact = {items[r].id for r in rows[np.argsort(-(vectors[rows] @ query))[:10]]}
        start = time.perf_counter()
        hits = store.search_vector(Scope(user_id=f"user-{user}"), query, None, 10)
        latencies.append(time.perf_counter() - start)
        recalls.append(len(exact & {m.id for m, _ in hits}) / 10)
    filtered = []
    only = parse_filter({"n": {"gte": 3}})
    for _ in range(args.queries // 2):
        user, query = int(rng.integers(args.users)), vectors[int(rng.integers(len(items)))]
        start = time.perf_counter()
        store.search_vector(Scope(user_id=f"user-{user}"), query, only, 10)
        filtered.append(time.perf_counter() - start)
    # end to end through the facade, on the loaded store (the hashing embedder stands in for the
    # random vectors' model: same dimension, so only latency is meaningful here, not relevance)
    embedder = HashingEmbedder(vectors.shape[1])
    embedder.model_id = "bench-random"
    memory = Memory(store=store, embedder=embedder)
    texts = [f"fact {i} about " + words(rng, 8) for i in range(args.adds)]
    start = time.perf_counter()
    for i, text in enumerate(texts):
        memory.add(text, user_id=f"user-{i % 10}", infer=False)
    add_single = args.adds / (time.perf_counter() - start)
    e2e = []
    for i in range(args.queries):
        start = time.perf_counter()
        memory.search(words(rng, 3), user_id=f"user-{i % 10}", limit=10)
        e2e.append(time.perf_counter() - start)
    return {
        "backend": name,
        "bulk add (memories/s)": rate,
        "Memory.add (calls/s)": add_single,
        "search_vector p50/p95 ms": percentiles(latencies),
        "filtered p50/p95 ms": percentiles(filtered),
        "Memory.search p50/p95 ms": percentiles(e2e),
        "recall@10": float(np.mean(recalls)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--adds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--hnsw", action="store_true", help="also PostgreSQL with an HNSW index used for every scope"
    )
    args = parser.parse_args()
    items, vectors = make_data(args.memories, args.users, args.dim)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        args.workdir = workdir
        results.append(measure("sqlite", SQLiteStore(Path(workdir) / "bench.db"), items, vectors, args))
        server = start_postgres()
        try:
            results.append(
                measure("postgres (exact)", PostgresStore(server.url, schema="bench"), items, vectors, args)
            )
            if args.hnsw:
                store = PostgresStore(server.url, schema="bench_hnsw", hnsw=True, hnsw_min_scope=0)
                results.append(measure("postgres (hnsw)", store, items, vectors, args))
        finally:
            server.stop()
    print(f"{args.memories:,} memories, {args.users} users, {args.dim}-d, {args.queries} queries")
    for row in results:
        cells = [
            f"{k}: {v[0]:.2f}/{v[1]:.2f}"
            if isinstance(v, tuple)
            else f"{k}: {v:,.2f}"
            if isinstance(v, float)
            else f"{v}"
            for k, v in row.items()
        ]
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
