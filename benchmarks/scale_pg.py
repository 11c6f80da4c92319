"""PostgreSQL at scale: exact scan, HNSW (pgvector 0.8 iterative scans) and halfvec HNSW side by side.

The same points as ``benchmarks/scale.py`` (100,000 memories over 100 users, one user with 100,000,
1,000,000 over 100 users), each a schema of one database filled once with ``COPY`` (realistic texts:
LOCOMO turns when the data file is there; seeded random unit vectors, because embedding a million
texts would only measure the embedding model) and kept, with its indexes, in ``--pgdata`` for the
next run. Every timed search is ``Memory.search`` with the bundled model embedding the query.

For each point and each way of searching:

- ``search_ms`` p50 / p95 of ``Memory.search`` (limit 10), and its split by stage: the query
  embedding, keyword search (which runs while the query is embedded), dense search, scope counts,
  neighbour look-ups, and what is left (Python: fusion, refinements, building objects);
- ``dense_sql_ms``: the server's own execution time of the dense query (``EXPLAIN ANALYZE``), so
  the dense stage splits into SQL and client (transfer, row mapping);
- ``recall@10`` of the dense search against the exact scan with the same query vectors, and how
  many of ``Memory.search``'s top 10 are the exact configuration's;
- the index's build time and size, and ``Memory.add(infer=False)`` throughput into the filled
  store with whatever indexes it carries.

The variant ``exact`` is the store's default; ``auto`` is ``hnsw=True`` as shipped (exact up to
``hnsw_min_scope``, halfvec HNSW above); the others force HNSW on every scope.

    python benchmarks/scale_pg.py [--points 100k,1user,1m] [--variants exact,auto] [--queries 200] [--json OUT]
    python benchmarks/scale_pg.py --drop          # delete the kept database
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import locomo_data as ld
import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from scale import DIMENSION, add_throughput, corpus, short_facts, unit_vectors

from memspan import Memory
from memspan._inputs import text_hash
from memspan.config import default_embedder
from memspan.scope import Scope
from memspan.stores._postgres_sql import scope_sql
from memspan.stores.postgres import PostgresStore
from memspan.testing import start_postgres
from memspan.types import MemoryType

#: label -> (memories, users)
POINTS = {"100k": (100_000, 100), "1user": (100_000, 1), "1m": (1_000_000, 100), "smoke": (5_000, 10)}
#: the ways of searching compared at every point: store options
VARIANTS: dict[str, dict[str, Any]] = {
    "exact": {"hnsw": False},
    "hnsw": {"hnsw": True, "halfvec": False, "hnsw_min_scope": 0},
    "halfvec": {"hnsw": True, "halfvec": True, "hnsw_min_scope": 0},
    "halfvec_ef200": {"hnsw": True, "halfvec": True, "hnsw_min_scope": 0, "hnsw_ef_search": 200},
    # hnsw=True as shipped: exact up to hnsw_min_scope live rows in the scope, halfvec HNSW above
    "auto": {"hnsw": True},
}
#: a server sized for a million 384-d vectors on a small shared machine
SETTINGS = {
    "shared_buffers": "1GB",
    "maintenance_work_mem": "3GB",
    "max_parallel_maintenance_workers": "1",
    "work_mem": "16MB",
    "jit": "off",
}
STAGES = ("embed", "search_keyword", "search_vector", "term_counts", "neighbours")


def fill(url: str, schema: str, texts: Sequence[str], n: int, users: int) -> float:
    """COPY ``n`` memories into an empty store schema; return memories per second (tsv included)."""
    rng = np.random.default_rng(users)
    now = "2026-01-01T00:00:00.000000Z"
    began = time.perf_counter()
    with psycopg.connect(url) as conn:
        register_vector(conn)
        columns = "id, text, user_id, run_id, memory_type, created_at, updated_at, hash, embedding"
        with (
            conn.cursor() as cur,
            cur.copy(f'COPY "{schema}".memories ({columns}) FROM STDIN (FORMAT BINARY)') as copy,
        ):
            copy.set_types(["text"] * 8 + ["vector"])
            for start in range(0, n, 10_000):
                size = min(10_000, n - start)
                for i, vector in zip(range(start, start + size), unit_vectors(rng, size), strict=True):
                    text = f"{texts[i % len(texts)]} (#{i})"
                    copy.write_row(
                        (str(uuid.uuid4()), text, f"user-{i % users}", f"run-{i // 50}", MemoryType.SEMANTIC.value,
                         now, now, text_hash(text), vector)
                    )  # fmt: skip
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{schema}".memories')
    return n / (time.perf_counter() - began)


def prepare(
    url: str, label: str, texts: Sequence[str], model_id: str, variants: Sequence[str]
) -> dict[str, Any]:
    """The point's schema, filled and indexed (reused when an earlier run left it complete)."""
    n, users = POINTS[label]
    schema = f"scale_{label}"
    info: dict[str, Any] = {"memories": n, "users": users, "schema": schema}
    store = PostgresStore(url, schema=schema, hnsw=False)  # bulk load first, index after
    store.bind_embedder(model_id, DIMENSION)
    if store.count() != n:
        store.reset()
        store.bind_embedder(model_id, DIMENSION)
        info["copy_per_s"] = fill(url, schema, texts, n, users)
    store.close()
    wanted = {bool(VARIANTS[v].get("halfvec", True)) for v in variants if VARIANTS[v].get("hnsw", True)}
    for halfvec in sorted(wanted):
        indexed = PostgresStore(url, schema=schema, hnsw=True, halfvec=halfvec)
        name = "halfvec" if halfvec else "hnsw"
        began = time.perf_counter()
        indexed.build_index(concurrently=False)  # IF NOT EXISTS: free when already built
        built = time.perf_counter() - began
        if built > 1:
            info[f"{name}_build_s"] = built
        index = "memories_hnsw_half" if halfvec else "memories_hnsw"
        info[f"{name}_index_mb"] = size_mb(url, f'"{schema}".{index}')
        indexed.close()
    info["table_mb"] = size_mb(url, f'"{schema}".memories', total=True)
    return info


def size_mb(url: str, relation: str, *, total: bool = False) -> float:
    how = "pg_total_relation_size" if total else "pg_relation_size"
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT {how}(%s::regclass)", (relation,)).fetchone()
    return float(row[0]) / 2**20 if row else 0.0


class StageClock:
    """Wraps a store's and an embedder's methods to add up where each search's time goes."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: object, name: str, stage: str) -> None:
        method: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.spent[stage] += (time.perf_counter() - began) * 1000

        setattr(owner, name, timed)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": ordered[len(ordered) // 2], "p95": ordered[int(0.95 * (len(ordered) - 1))]}


def dense_sql_ms(store: PostgresStore, scope: Scope, vector: np.ndarray) -> tuple[float, bool]:
    """The server's execution time of the dense query this store would send (EXPLAIN ANALYZE), and
    whether its plan scanned an HNSW index (the planner may prefer the scope's btree)."""
    where, params = scope_sql(scope)
    params = {**params, "q": vector, "limit": 40, "shortlist": 80}
    approximate = store._use_hnsw(scope, where, params)
    sql = store._vector_sql(where, "", approximate=approximate)
    with store._pool.connection() as conn, conn.transaction():
        if approximate:
            store._approximate(conn, 40)
        row = conn.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).fetchone()
    assert row is not None
    return float(row[0][0]["Execution Time"]), "memories_hnsw" in json.dumps(row[0])


def measure(
    url: str, schema: str, options: dict[str, Any], questions: Sequence[str], users: int, queries: int,
    exact: tuple[list[list[str]], list[list[str]]] | None,
) -> tuple[dict[str, Any], tuple[list[list[str]], list[list[str]]]]:  # fmt: skip
    store = PostgresStore(url, schema=schema, **options)
    embedder = default_embedder()
    clock = StageClock()
    for name in STAGES[1:]:
        clock.wrap(store, name, name)
    clock.wrap(embedder, "embed", "embed")
    rng = random.Random(11)
    asks = [(questions[i % len(questions)], f"user-{rng.randrange(users)}") for i in range(queries)]
    timings: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    tops: list[list[str]] = []
    with Memory(store=store, embedder=embedder) as memory:
        memory.search("warm up", user_id="user-0")
        for query, user in asks:
            clock.spent.clear()
            began = time.perf_counter()
            hits = memory.search(query, user_id=user, limit=10)
            total = (time.perf_counter() - began) * 1000
            timings.append(total)
            tops.append([h.id for h in hits])
            spent = dict(clock.spent)
            serial = max(spent.get("embed", 0.0), spent.get("search_keyword", 0.0)) + sum(
                spent.get(s, 0.0) for s in STAGES[2:]
            )
            spent["python"] = total - serial
            for stage, ms in spent.items():
                stages[stage].append(ms)
        # recall@10 of the dense search alone, on the same query vectors as the exact scan's
        vectors = default_embedder().embed([q for q, _ in asks], kind="query")
        dense = [
            [m.id for m, _ in store.search_vector(Scope(user_id=user), vectors[i], None, 10)]
            for i, (_, user) in enumerate(asks)
        ]
        plans = [dense_sql_ms(store, Scope(user_id=u), vectors[i]) for i, (_, u) in enumerate(asks[:40])]
    result: dict[str, Any] = {
        "search_ms": percentiles(timings),
        "stages_ms_p50": {stage: percentiles(v)["p50"] for stage, v in stages.items()},
        "dense_sql_ms": percentiles([ms for ms, _ in plans]),
        "hnsw_plans": sum(used for _, used in plans) / len(plans),
    }
    if exact is not None:
        result["recall@10"] = overlap(dense, exact[0])
        result["search_top10_same_as_exact"] = overlap(tops, exact[1])
    return result, (dense, tops)


def overlap(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> float:
    """Mean share of each exact top list that ``found`` has too."""
    return float(np.mean([len(set(f) & set(t)) / max(1, len(t)) for f, t in zip(found, truth, strict=True)]))


def add_rate(url: str, schema: str) -> float:
    """``Memory.add(infer=False)`` of fact-length texts into the filled store, with its indexes; the
    memories are purged again so the point stays reusable."""
    with Memory(store=PostgresStore(url, schema=schema, hnsw=True, halfvec=True)) as memory:
        rate = add_throughput(memory, short_facts(), "add-rate")
        memory.delete_all(user_id="add-rate", purge=True)
    return rate


def run(
    pgdata: Path, data: Path | None, labels: Sequence[str], queries: int, variants: Sequence[str]
) -> dict[str, Any]:
    texts, questions = corpus(data)
    model_id = default_embedder().model_id
    server = start_postgres(data_dir=pgdata, settings=SETTINGS)
    report: dict[str, Any] = {"queries_per_point": queries, "points": []}
    try:
        with psycopg.connect(server.url) as conn:
            report["server"] = {
                "postgres": conn.execute("SHOW server_version").fetchone()[0],  # type: ignore[index]
                "pgvector": conn.execute(
                    "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
                ).fetchone()[0],  # type: ignore[index]
                **SETTINGS,
            }
        for label in labels:
            info = prepare(server.url, label, texts, model_id, variants)
            print(f"{label}: ready {info}", file=sys.stderr)
            info["exact"], exact = measure(
                server.url, info["schema"], VARIANTS["exact"], questions, info["users"], queries, None
            )
            for name, options in VARIANTS.items():
                if name != "exact" and name in variants:
                    info[name], _ = measure(
                        server.url, info["schema"], options, questions, info["users"], queries, exact
                    )
            for name in ["exact", *(v for v in VARIANTS if v in variants and v != "exact")]:
                line = info[name]
                print(
                    f"  {name:13s} p50 {line['search_ms']['p50']:6.1f} p95 {line['search_ms']['p95']:6.1f} ms"
                    f"  sql {line['dense_sql_ms']['p50']:6.2f} hnsw {line['hnsw_plans']:.2f}  recall {line.get('recall@10', 1.0):.3f}"
                    f"  stages {json.dumps({k: round(v, 2) for k, v in line['stages_ms_p50'].items()})}",
                    file=sys.stderr,
                )
            info["add_per_s"] = add_rate(server.url, info["schema"])
            print(
                f"  add (infer=False, 100 per call, indexes kept up): {info['add_per_s']:.0f}/s",
                file=sys.stderr,
            )
            report["points"].append(info)
    finally:
        server.stop(keep=True)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--pgdata", type=Path, default=Path(tempfile.gettempdir()) / "memspan-scale-pg")
    parser.add_argument("--points", default="100k,1user,1m", help=f"any of {', '.join(POINTS)}")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--variants", default=",".join(VARIANTS), help="which ways of searching (exact always)"
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--drop", action="store_true", help="delete the kept database and stop")
    args = parser.parse_args(argv)
    if args.drop:
        shutil.rmtree(args.pgdata, ignore_errors=True)
        return 0
    labels = [p.strip() for p in args.points.split(",") if p.strip()]
    unknown = [p for p in labels if p not in POINTS]
    if unknown:
        parser.error(f"unknown points {unknown}; choose from {list(POINTS)}")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if any(v not in VARIANTS for v in variants):
        parser.error(f"unknown variants in {variants}; choose from {list(VARIANTS)}")
    report = run(args.pgdata, args.data, labels, args.queries, variants)
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
