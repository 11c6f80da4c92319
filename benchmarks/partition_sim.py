"""100 million memories on many PostgreSQL nodes, on paper: a simulation of partitioning schemes.

Nothing here runs PostgreSQL. A node's cost of one search comes from what ``benchmarks/scale_pg.py``
measured on one server (the store's own time: keyword search, dense search, counts, neighbour
look-ups; the query embedding runs on the application servers, not on the database): a curve of
latency against the size of the scope searched (the default, exact search). The simulation draws users with skewed sizes (a Zipf law: a few users with hundreds of
thousands of memories, most with a few hundred), places them on nodes by each scheme, sends
Poisson-distributed searches (a user's share of searches grows with her size), queues them on each
node's cores (first come, first served) and prints each scheme's p50 / p95 / p99 and its busiest
node's load.

Schemes:
  hash-by-user   every user on one node (Citus ``distributed by user_id``, or PostgreSQL declarative
                 ``PARTITION BY HASH (user_id)`` with a partition per node through postgres_fdw): a
                 search touches one node.
  isolate-large  hash-by-user, with users past ``--isolate`` memories on a quarter of the nodes
                 (Citus tenant isolation): the heavy users stop queueing with the many small ones.
  by-memory      memories spread round robin, whatever their user: every search fans out to all
                 nodes and waits for the slowest (the tail-at-scale effect).
  agent-wide     hash-by-user, but ``--agent-share`` of the searches are an agent's recall across
                 all its users (a scope with only ``agent_id``, ``--agent-memories`` large): those
                 fan out to every node, on 1/N of the agent's memories each.

    python benchmarks/partition_sim.py [--measured scale_pg.json] [--nodes 8,16,32] [--qps 2000]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: store time of one search (ms) by scope size, p50 and p95, measured by benchmarks/scale_pg.py on
#: one PostgreSQL 18 + pgvector 0.8.2 server (see docs/scale-out.md for the run); ``--measured``
#: replaces them with another run's figures. A shared, loaded 2-core machine: noisy.
MEASURED: dict[str, list[tuple[int, float, float]]] = {
    # (scope size, p50 ms, p95 ms): benchmarks/results/scale_pg.json, exact search, load average ~14
    "curve": [(1_000, 107.9, 225.2), (10_000, 228.3, 314.4), (100_000, 2132.7, 3110.7)],
}


def curve_from(report: dict[str, Any], variant: str = "exact") -> list[tuple[int, float, float]]:
    """(scope size, p50, p95) of the store's own time in one scale_pg.py report."""
    store_stages = ("search_keyword", "search_vector", "term_counts", "neighbours")
    points = []
    for point in report["points"]:
        line = point[variant]
        stages = line["stages_ms_p50"]
        p50 = sum(stages.get(s, 0.0) for s in store_stages)
        # the p95 / p50 ratio of the whole search carries over to the store's part
        ratio = line["search_ms"]["p95"] / line["search_ms"]["p50"]
        points.append((point["memories"] // point["users"], p50, p50 * ratio))
    return sorted(points)


class Latency:
    """Service time of one search on a node, interpolated in log-log between measured scope sizes
    and drawn from a lognormal whose p50 and p95 are the measured ones."""

    def __init__(self, curve: Sequence[tuple[int, float, float]]):
        self.sizes = np.log([c[0] for c in curve])
        self.p50 = np.log([c[1] for c in curve])
        self.p95 = np.log([c[2] for c in curve])

    def draw(self, rng: np.random.Generator, scope: np.ndarray) -> np.ndarray:
        x = np.log(np.maximum(scope, 1.0))
        mu = np.interp(x, self.sizes, self.p50)
        sigma = np.maximum((np.interp(x, self.sizes, self.p95) - mu) / 1.645, 1e-3)
        # past the largest measured scope (an HNSW search): 10% more per doubling, HNSW's log(n)
        beyond = np.maximum(x - self.sizes[-1], 0.0) / math.log(2)
        return np.exp(mu + sigma * rng.standard_normal(len(scope))) * (1 + 0.1 * beyond)


def users(rng: np.random.Generator, total: int, count: int, exponent: float) -> np.ndarray:
    """Memories per user: Zipf-skewed sizes scaled to ``total``, at least one each."""
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(np.int64)
    return rng.permutation(sizes)


def queue(arrivals: np.ndarray, service: np.ndarray, cores: int) -> np.ndarray:
    """Finish minus arrival time of each search on a node with ``cores`` FIFO servers."""
    free = [0.0] * cores
    waits = np.empty(len(arrivals))
    for i in np.argsort(arrivals, kind="stable"):
        start = max(arrivals[i], heapq.heappop(free))
        heapq.heappush(free, start + service[i])
        waits[i] = start + service[i] - arrivals[i]
    return waits


def simulate(
    scheme: str, sizes: np.ndarray, nodes: int, args: argparse.Namespace, latency: Latency, seed: int
) -> dict[str, float]:
    """Every search becomes one piece of work per node it touches; a search is done when its
    slowest piece is (plus 1 ms to merge the top-k lists of a fan-out)."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(args.qps * args.seconds)
    arrivals = rng.uniform(0, args.seconds * 1000, n)  # ms
    # a user's share of searches grows with the square root of her size (bigger users are more active)
    share = np.sqrt(sizes) / np.sqrt(sizes).sum()
    who = rng.choice(len(sizes), size=n, p=share)
    place = (np.arange(len(sizes)) * 2654435761 % 2**32) % nodes  # a hash of the user
    if scheme == "isolate-large":  # a quarter of the nodes for the users past --isolate memories
        own = max(1, nodes // 4)
        large = sizes > args.isolate
        place = np.where(large, nodes - own + place % own, place % (nodes - own))
    fan_out = np.zeros(n, dtype=bool)
    if scheme == "by-memory":
        fan_out[:] = True
    elif scheme == "agent-wide":
        fan_out = rng.random(n) < args.agent_share
    pieces_search = [np.flatnonzero(~fan_out)]
    pieces_node = [place[who[~fan_out]]]
    pieces_scope = [sizes[who[~fan_out]].astype(float)]
    wide = np.flatnonzero(fan_out)
    scope_wide = args.agent_memories if scheme == "agent-wide" else sizes[who[wide]]
    for node in range(nodes):
        pieces_search.append(wide)
        pieces_node.append(np.full(len(wide), node))
        pieces_scope.append(np.broadcast_to(np.asarray(scope_wide, dtype=float) / nodes, len(wide)))
    search, node_of, scope = (np.concatenate(x) for x in (pieces_search, pieces_node, pieces_scope))
    service = latency.draw(rng, scope)
    finish = np.empty(len(search))
    load = []
    for node in range(nodes):
        mine = node_of == node
        finish[mine] = queue(arrivals[search[mine]], service[mine], args.cores)
        load.append(float(service[mine].sum() / (args.seconds * 1000 * args.cores)))
    done = np.zeros(n)
    np.maximum.at(done, search, finish)
    done[fan_out] += 1.0
    out = summary(done, load)
    heavy = sizes[who] > args.isolate
    out["p95_large_users"] = float(np.percentile(done[heavy], 95)) if heavy.any() else float("nan")
    return out


def summary(done: np.ndarray, load: Sequence[float]) -> dict[str, float]:
    return {
        "p50": float(np.percentile(done, 50)),
        "p95": float(np.percentile(done, 95)),
        "p99": float(np.percentile(done, 99)),
        "busiest_node_load": float(max(load)),
        "mean_node_load": float(np.mean(load)),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--measured", type=Path, help="a scale_pg.py --json report (default: built-in figures)"
    )
    parser.add_argument("--memories", type=int, default=100_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--zipf", type=float, default=0.8, help="skew of user sizes")
    parser.add_argument("--nodes", default="8,16,32")
    parser.add_argument("--cores", type=int, default=8, help="cores per node searching at once")
    parser.add_argument("--qps", type=float, default=2000.0, help="searches per second, all users")
    parser.add_argument("--isolate", type=int, default=200_000, help="isolate-large: own node past this")
    parser.add_argument("--agent-share", type=float, default=0.05, help="agent-wide: share of searches")
    parser.add_argument("--agent-memories", type=int, default=1_000_000, help="agent-wide: the agent's scope")
    parser.add_argument("--seconds", type=float, default=30.0, help="simulated time")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    curve = curve_from(json.loads(args.measured.read_text())) if args.measured else MEASURED["curve"]
    latency = Latency(curve)
    rng = np.random.default_rng(0)
    sizes = users(rng, args.memories, args.users, args.zipf)
    print(
        f"{args.memories:,} memories, {args.users:,} users (largest {sizes.max():,}, median "
        f"{int(np.median(sizes)):,}), {args.qps:,.0f} searches/s, {args.cores} cores per node; "
        f"node cost per scope size (p50/p95 ms): {[(s, round(a, 1), round(b, 1)) for s, a, b in curve]}"
    )
    results = []
    for nodes in (int(x) for x in args.nodes.split(",")):
        for scheme in ("hash-by-user", "isolate-large", "by-memory", "agent-wide"):
            out = simulate(scheme, sizes, nodes, args, latency, seed=1)
            results.append({"nodes": nodes, "scheme": scheme, **out})
            print(
                f"{nodes:3d} nodes ({math.ceil(args.memories / nodes):>11,} memories each)  {scheme:13s} "
                f"p50 {out['p50']:7.1f}  p95 {out['p95']:7.1f}  p99 {out['p99']:7.1f} ms  "
                f"large users' p95 {out['p95_large_users']:7.1f} ms  "
                f"busiest node {out['busiest_node_load']:.0%} busy (mean {out['mean_node_load']:.0%})"
                + ("  OVERLOADED" if out["busiest_node_load"] >= 1 else "")
            )
    if args.json:
        args.json.write_text(json.dumps({"curve": curve, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
