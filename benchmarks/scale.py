"""How memspan's cost grows with the store: search latency, add throughput, memory and disk.

The store is filled through the store port (``SQLiteStore.insert``) with realistic texts (LOCOMO
turns when the data file is there, else generated sentences) and seeded random unit vectors, because
embedding 100,000 texts would only measure the embedding model. Every timed search goes through
``Memory.search`` and embeds its query for real. Add throughput is measured through
``Memory.add(..., infer=False)`` in batches of 100, with real embedding: into the filled store at every
point (fact-length texts), and on an empty store for three text lengths (the model's cost grows with it).

Each point also reports where a search's time goes (``stages_ms``: mean self time per search of
query embedding, keyword search, vector scoring, gathering rows, object construction, fusion,
neighbour lookups; see ``stages.py``) and the dense search's recall@10 against an exact float32
scan of the scope (``vector_recall_at_10``), and the keyword search's overlap@10 with an exhaustive
scoring of every in-scope match in Python (``keyword_overlap_at_10``; 1.000 means the same ten).

    python benchmarks/scale.py [--points 1000,10000,100000] [--single-user 100000] [--json OUT]
                               [--keep]   # keep the filled stores in --workdir and reuse them
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import locomo_data as ld
import numpy as np
from stages import StageTimer

from memspan import Memory
from memspan._inputs import text_hash
from memspan.config import default_embedder
from memspan.keyword import best, coverage, query_terms
from memspan.scope import Scope
from memspan.stores._sqlite_keyword import every_match
from memspan.stores.sqlite import SQLiteStore, scope_match
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType

DIMENSION = 384
QUERIES = 200
_WORDS = [
    "garden",
    "trip",
    "sister",
    "coffee",
    "painting",
    "guitar",
    "marathon",
    "recipe",
    "puppy",
    "museum",
    "beach",
    "novel",
    "camping",
]


def corpus(data: Path | None) -> tuple[list[str], list[str]]:
    """Texts to store and questions to ask: LOCOMO's when available, generated otherwise."""
    if data is not None and data.exists():
        convs = ld.load(data)
        texts = [f"{t.speaker}: {t.text}" for c in convs for s in c.sessions for t in s.turns]
        questions = [q.text for c in convs for q in c.questions]
        return texts, questions
    rng = random.Random(7)
    texts = [" ".join(rng.choice(_WORDS) for _ in range(12)) for _ in range(2000)]
    return texts, [f"what about the {rng.choice(_WORDS)}?" for _ in range(QUERIES)]


def unit_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIMENSION), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def items(texts: Sequence[str], start: int, n: int, users: int) -> Iterator[MemoryItem]:
    now = "2026-01-01T00:00:00.000000Z"
    for i in range(start, start + n):
        text = f"{texts[i % len(texts)]} (#{i})"
        yield MemoryItem(
            id=str(uuid.uuid4()),
            text=text,
            user_id=f"user-{i % users}",
            agent_id=None,
            run_id=f"run-{i // 50}",
            memory_type=MemoryType.SEMANTIC,
            metadata={},
            created_at=now,
            updated_at=now,
            hash=text_hash(text),
        )


def fill(store: SQLiteStore, texts: Sequence[str], start: int, n: int, users: int, seed: int) -> float:
    """Insert ``n`` memories through the store port in batches; return memories per second."""
    rng = np.random.default_rng(seed + start)
    began = time.perf_counter()
    batch = 5_000
    for offset in range(start, start + n, batch):
        size = min(batch, start + n - offset)
        new = list(items(texts, offset, size, users))
        events = [
            HistoryEvent(m.id, Event.ADD, None, m.text, m.created_at, m.user_id, None, m.run_id) for m in new
        ]
        store.insert(new, unit_vectors(rng, size), events)
    return n / (time.perf_counter() - began)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def remove_db(path: Path) -> None:
    """Delete a SQLite store with its WAL and shared-memory files."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def time_searches(memory: Memory, questions: Sequence[str], users: int, n: int) -> dict[str, Any]:
    """p50/p95 of ``n`` searches, then the same searches again with the stage timer on."""
    memory.search("warm up", user_id="user-0")
    asked = _asked(questions, users, n)
    timings = []
    for query, user in asked:
        began = time.perf_counter()
        memory.search(query, user_id=user, limit=10)
        timings.append((time.perf_counter() - began) * 1000)
    total = sum(timings)
    timings.sort()
    timer = StageTimer()
    with timer.enabled(memory):
        began = time.perf_counter()
        for query, user in asked:
            memory.search(query, user_id=user, limit=10)
        timed_total = (time.perf_counter() - began) * 1000
    return {
        "p50": timings[len(timings) // 2],
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "mean": total / n,
        "stages_ms": timer.per_search(n, timed_total),
    }


def _asked(questions: Sequence[str], users: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(11)
    return [(questions[i % len(questions)], f"user-{rng.randrange(users)}") for i in range(n)]


def vector_recall(memory: Memory, questions: Sequence[str], users: int, n: int = 50) -> float:
    """Recall@10 of the store's dense search against an exact float32 scan of the scope's vectors.

    The exact side reads every vector of the scope back from the file (as stored, float32), so it
    checks whatever the cache does in between (compact vectors, shortlists, indexes).
    """
    store = memory.store
    asked = _asked(questions, users, n)
    scope_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    found = 0
    for query, user in asked:
        if user not in scope_vectors:
            rows = store._query(
                "SELECT id, embedding FROM memories WHERE user_id = ? AND deleted_at IS NULL", (user,)
            )
            ids = np.array([r[0] for r in rows], dtype=object)
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)
            scope_vectors = {user: (ids, matrix)}  # one scope at a time: the 1-user point is large
        ids, matrix = scope_vectors[user]
        vector = memory.embedder.embed([query], kind="query")[0]
        exact = set(ids[np.argsort(-(matrix @ vector), kind="stable")[:10]].tolist())
        got = store.search_vector(Scope(user_id=user), vector, None, 10)
        found += len(exact & {item.id for item, _ in got})
    return found / (10 * n)


def keyword_overlap(store: SQLiteStore, questions: Sequence[str], users: int, n: int = 50) -> float:
    """Overlap@10 of the store's keyword search with the exhaustive computation: every in-scope
    (term, memory) match read back one row at a time and scored by :func:`coverage` (what the
    store did before it ranked inside the database)."""
    same = total = 0
    for query, user in _asked(questions, users, n):
        terms = query_terms(query)
        if not terms:
            continue
        scope = Scope(user_id=user)
        in_scope = scope_match(scope)
        with store._lock, store._snapshot():
            size = store._scope_size(scope)
            containing, matched = every_match(store._query, in_scope, terms)
        exact = {pk for pk, _ in best(coverage(size, containing, matched), 10, {pk: pk for pk in matched})}
        got = {item.id for item, _ in store.search_keyword(scope, query, None, 10)}
        ids = {item.id for item in store._items_by_pk(sorted(exact)).values()}
        same += len(ids & got)
        total += max(len(ids), len(got))
    return same / total if total else 1.0


def time_embedding(questions: Sequence[str], n: int = 100) -> dict[str, float]:
    """Query embedding alone, to show how much of a search it is."""
    embedder = default_embedder()
    timings = []
    for i in range(n):
        began = time.perf_counter()
        embedder.embed([questions[i % len(questions)]], kind="query")
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    return {"p50": timings[len(timings) // 2], "p95": timings[int(0.95 * (len(timings) - 1))]}


_PEOPLE = ["Maya", "Leo", "Ana", "Sam", "Ines", "Omar", "Kai", "Noor"]
_FACTS = [
    "prefers window seats",
    "is allergic to peanuts",
    "runs on Sunday mornings",
    "works as a nurse in Porto",
    "has a cat named Miso",
    "is learning Japanese",
    "drinks oat milk lattes",
    "plays the cello",
    "moved to Lisbon in 2022",
    "is vegetarian since 2019",
]


def short_facts(n: int = 300) -> list[str]:
    """Fact-length memories ("Maya prefers window seats", about 30 characters), all different."""
    return [f"{_PEOPLE[i % 8]} {_FACTS[(i // 8) % 10]} (note {i})" for i in range(n)]


def add_rates(
    workdir: Path, turns: Sequence[str], observations: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Memories added per second by text length: the embedding model's cost grows with it."""
    corpora = {"short facts": short_facts(), "LOCOMO observations": observations, "LOCOMO turns": turns}
    rates = {}
    for name, texts in corpora.items():
        if not texts:
            continue
        path = workdir / "scale-add.db"
        with Memory(str(path)) as memory:
            rate = add_throughput(memory, texts, "add-rate")
        remove_db(path)
        rates[name] = {"per_s": rate, "mean_chars": sum(len(t) for t in texts[:300]) / min(300, len(texts))}
    return rates


def add_throughput(
    memory: Memory, texts: Sequence[str], user: str, total: int = 300, batch: int = 100
) -> float:
    """``Memory.add(infer=False)`` with real embedding, ``batch`` messages per call."""
    memory.add("warm up", user_id=user, infer=False)
    began = time.perf_counter()
    for start in range(0, total, batch):
        messages = [{"role": "user", "content": texts[i % len(texts)]} for i in range(start, start + batch)]
        memory.add(messages, user_id=user, infer=False)
    return total / (time.perf_counter() - began)


def layout(
    workdir: Path,
    data: Path | None,
    label: str,
    users: int,
    sizes: Sequence[int],
    queries: int,
    keep: bool = False,
) -> list[dict[str, Any]]:
    """One store grown through ``sizes``, measured at each (run in a process of its own).

    With ``keep`` the store file stays in ``workdir`` and a later run starts from what it holds
    (filling a million memories takes minutes).
    """
    texts, questions = corpus(data)
    path = workdir / f"scale-{users}.db"
    if not keep:
        remove_db(path)
    store = SQLiteStore(path)
    store.bind_embedder(default_embedder().model_id, DIMENSION)
    filled, points = store.count(), []
    for size in sizes:
        insert_rate = None
        if size > filled:
            insert_rate = fill(store, texts, filled, size - filled, users, seed=users)
            filled = size
        with Memory(store) as memory:
            latency = time_searches(memory, questions, users, queries)
            rss = peak_rss_mb()  # before the recall check, which reads whole scopes as float32
            recall = vector_recall(memory, questions, users)
            overlap = keyword_overlap(store, questions, users)
            # into the filled store itself: does adding slow down as it grows?
            rate = add_throughput(memory, short_facts(), f"user-{size % users}")
            filled += 301
        points.append(
            {
                "layout": label,
                "memories": size,
                "users": users,
                "search_ms": latency,
                "vector_recall_at_10": recall,
                "keyword_overlap_at_10": overlap,
                "bulk_insert_per_s": insert_rate,
                "add_per_s": rate,
                "peak_rss_mb": rss,
                "disk_bytes_per_memory": disk_bytes(path) / size,
            }
        )
        stages = "  ".join(f"{k.split(' (')[0]} {v:.1f}" for k, v in latency["stages_ms"].items())
        print(
            f"scale {label:9s} {size:>8,}: p50 {latency['p50']:.1f} ms  p95 {latency['p95']:.1f} ms  "
            f"recall@10 {recall:.3f}  keyword overlap@10 {overlap:.3f}  rss {rss:.0f} MB  add {rate:.0f}/s\n    {stages}",
            file=sys.stderr,
        )
        store = SQLiteStore(path)  # Memory(store).close() closed the connection
    store.close()
    if not keep:
        remove_db(path)
    return points


def run(
    workdir: Path,
    data: Path | None,
    points: Sequence[int],
    single_user: int,
    queries: int,
    keep: bool = False,
    add_rates_too: bool = True,
) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    texts, questions = corpus(data)
    report: dict[str, Any] = {"points": [], "queries_per_point": queries}
    report["query_embedding_ms"] = time_embedding(questions)
    observations = [o.text for c in ld.load(data) for o in c.observations] if data and data.exists() else []
    if add_rates_too:
        report["add_rates"] = add_rates(workdir, texts, observations)
    # each layout in a fresh process, so that its peak RSS is its own
    spawn = multiprocessing.get_context("spawn")
    for label, users, sizes in (
        ("100 users", 100, points),
        ("1 user", 1, [single_user] if single_user else []),
    ):
        if sizes:
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
                report["points"] += pool.submit(
                    layout, workdir, data, label, users, sizes, queries, keep
                ).result()
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--workdir", type=Path, default=Path(__file__).parent / "results" / "raw")
    parser.add_argument("--points", default="1000,10000,100000")
    parser.add_argument("--single-user", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep and reuse the filled stores")
    parser.add_argument("--no-add-rates", action="store_true", help="skip the empty-store add rates")
    args = parser.parse_args(argv)
    points = [int(p) for p in args.points.split(",") if p.strip() and int(p) > 0]  # "0": no such point
    report = run(
        args.workdir, args.data, points, args.single_user, args.queries, args.keep, not args.no_add_rates
    )
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
