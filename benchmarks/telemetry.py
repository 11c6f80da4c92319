"""What tracing costs a search: memspan's spans and metrics on, off, and taken out altogether.

A SQLite store is filled through the store port with generated texts and seeded random unit vectors
(embedding 10,000 documents would only measure the model); every timed search goes through
``Memory.search`` and embeds its query for real. Four modes, interleaved round by round in one
process so that a noisy machine slows them all alike:

- ``bare``: the instrumentation taken out (the undecorated method; no span lookups per port call)
- ``none``: telemetry off, the state memspan is in when the otel extra is not installed
- ``noop``: the OpenTelemetry API with its no-op tracer and meter (API installed, no SDK)
- ``sdk``: the SDK configured, every span exported to an in-memory exporter through a
  ``SimpleSpanProcessor`` (synchronous: the dearest processor) and metrics into an in-memory reader

Two layouts: 10,000 memories in one user's scope, and 10,000 spread over 100 users (a search
then reads 100 rows: the fixed cost of the spans weighs most). Latencies on a shared machine are
noisy; re-measure on a quiet one before quoting them.

Beside the latencies it counts the garbage collections during each mode's searches (``gc/100``:
per 100 searches; ``gc us``: their pauses per search). A bare search frees what it allocates and
starts none; the spans an exporter holds until it exports (here until the end of a round) do,
which is part of why a traced search costs more than the instrumentation timed alone.

    python benchmarks/telemetry.py [--memories 10000] [--rounds 8] [--per-round 60] [--json OUT]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scale import _WORDS

from memspan import Memory, effects, telemetry
from memspan._inputs import text_hash
from memspan.config import default_embedder
from memspan.stores.sqlite import SQLiteStore
from memspan.types import Event, HistoryEvent, MemoryItem, MemoryType

WORDS = _WORDS  # the same texts as the scale benchmark
MODES = ("bare", "none", "noop", "sdk")


def fill(path: Path, n: int, users: int) -> None:
    """``n`` memories over ``users`` users, through the store port, with random unit vectors."""
    rng, words = np.random.default_rng(5), random.Random(5)
    store = SQLiteStore(path)
    embedder = default_embedder()
    store.bind_embedder(embedder.model_id, embedder.dimension)
    now = "2026-01-01T00:00:00.000000Z"
    for start in range(0, n, 5000):
        size = min(5000, n - start)
        texts = [" ".join(words.choice(WORDS) for _ in range(12)) + f" (#{start + i})" for i in range(size)]
        items = [
            MemoryItem(
                id=str(uuid.uuid4()),
                text=text,
                user_id=f"user-{(start + i) % users}",
                agent_id=None,
                run_id=None,
                memory_type=MemoryType.SEMANTIC,
                metadata={},
                created_at=now,
                updated_at=now,
                hash=text_hash(text),
            )
            for i, text in enumerate(texts)
        ]
        vectors = rng.standard_normal((size, embedder.dimension), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        events = [HistoryEvent(m.id, Event.ADD, None, m.text, now, m.user_id) for m in items]
        store.insert(items, vectors, events)
    store.close()


class Modes:
    """Switch memspan between the four modes within one process."""

    def __init__(self) -> None:
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.trace import NoOpTracerProvider

        self.exporter = InMemorySpanExporter()
        self.sdk_tracer = TracerProvider()
        self.sdk_tracer.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.sdk_meter = MeterProvider(metric_readers=[self.reader])
        self.noop = (NoOpTracerProvider(), NoOpMeterProvider())
        self.call_span = effects.call_span

    def enter(self, mode: str) -> None:
        effects.call_span = self.call_span  # type: ignore[attr-defined]
        if mode == "bare":
            telemetry.configure(enabled=False)
            effects.call_span = lambda request: None  # type: ignore[attr-defined]
        elif mode == "none":
            telemetry.configure(enabled=False)
        elif mode == "noop":
            telemetry.configure(enabled=True, tracer_provider=self.noop[0], meter_provider=self.noop[1])
        else:
            telemetry.configure(enabled=True, tracer_provider=self.sdk_tracer, meter_provider=self.sdk_meter)

    def spans_per_search(self, memory: Memory) -> int:
        self.enter("sdk")
        self.exporter.clear()
        memory.search("what about the garden?", user_id="user-0")
        return len(self.exporter.get_finished_spans())


class Collections:
    """Garbage collections and their pauses while it is switched on (``gc.callbacks``): the spans an
    exporter holds make the collector run, where a bare search frees all it allocates."""

    def __init__(self) -> None:
        self.on, self.count, self.seconds, self._began = False, 0, 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if not self.on:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._began


def time_modes(
    memory: Memory, modes: Modes, users: int, rounds: int, per_round: int, queries: Sequence[str]
) -> tuple[dict[str, list[float]], dict[str, dict[str, float]]]:
    search: dict[str, Callable[..., Any]] = {m: memory.search for m in MODES}
    bare = Memory.search.__wrapped__  # type: ignore[attr-defined]
    search["bare"] = lambda *a, **k: bare(memory, *a, **k)
    timings: dict[str, list[float]] = {m: [] for m in MODES}
    collected = {m: Collections() for m in MODES}
    rng = random.Random(11)
    for _ in range(rounds):
        order = list(MODES)
        rng.shuffle(order)  # no mode always runs first (warm caches) or last
        for mode in order:
            modes.enter(mode)
            collected[mode].on = True
            for i in range(per_round):
                query, user = queries[i % len(queries)], f"user-{rng.randrange(users)}"
                began = time.perf_counter()
                search[mode](query, user_id=user, limit=10)
                timings[mode].append((time.perf_counter() - began) * 1000)
            collected[mode].on = False
            modes.exporter.clear()  # outside the timed part: the exporter only grows
    for c in collected.values():
        gc.callbacks.remove(c._callback)
    searches = rounds * per_round
    gc_per_search = {
        m: {
            "gc_collections_per_100_searches": round(100 * c.count / searches, 1),
            "gc_us_per_search": round(c.seconds / searches * 1e6, 1),
        }
        for m, c in collected.items()
    }
    return timings, gc_per_search


def instrumentation_us(modes: Modes, memory: Memory, repeat: int = 3000) -> dict[str, float]:
    """The instrumentation of one search alone, in microseconds: the same wrapper, port-call spans
    and fusion span a search opens, around no work. Short and CPU-bound, so far steadier on a busy
    machine than the difference of two search latencies."""
    from memspan.effects import call
    from memspan.scope import Scope
    from memspan.types import SearchResult

    scope, vector = Scope(user_id="user-0"), np.zeros((1, 384), dtype=np.float32)
    calls = [
        (call(memory.embedder, "embed", ["q"], kind="query"), vector),
        (call(memory.store, "search_keyword", scope, "q", None, 40), []),
        (call(memory.store, "search_vector", scope, vector[0], None, 40), []),
    ]

    @telemetry.traced("search")
    def search(query: str, *, user_id: str) -> SearchResult:
        for request, result in calls:
            traced = effects.call_span(request)
            if traced is not None:
                with traced as done:
                    done(result)
        with telemetry.span("memspan.fusion"):
            pass
        return SearchResult([])

    bare = search.__wrapped__  # type: ignore[attr-defined]
    out: dict[str, float] = {}
    for mode in MODES:
        modes.enter(mode)
        run = bare if mode == "bare" else search
        best = float("inf")
        for _ in range(5):  # the best of five: the least disturbed by other processes
            began = time.perf_counter()
            for _ in range(repeat):
                run("q", user_id="user-0")
            best = min(best, (time.perf_counter() - began) / repeat * 1e6)
            modes.exporter.clear()
        out[mode] = round(best, 2)
    return out


def summary(timings: dict[str, list[float]]) -> dict[str, Any]:
    base = statistics.median(timings["bare"])
    out: dict[str, Any] = {}
    for mode, values in timings.items():
        median = statistics.median(values)
        out[mode] = {
            "median_ms": round(median, 3),
            "mean_ms": round(statistics.fmean(values), 3),
            "overhead_vs_bare_pct": round(100 * (median / base - 1), 2),
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=60, help="searches per mode per round")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    queries = [f"what about the {w}?" for w in WORDS]
    modes = Modes()
    results: dict[str, Any] = {"memories": args.memories, "rounds": args.rounds, "per_round": args.per_round}
    with tempfile.TemporaryDirectory() as tmp:
        for users in (1, 100):
            path = Path(tmp) / f"telemetry-{users}.db"
            fill(path, args.memories, users)
            with Memory(path) as memory:
                for mode in MODES:  # warm up every path (the first call resolves the API, loads the model)
                    modes.enter(mode)
                    memory.search("warm up", user_id="user-0")
                spans = modes.spans_per_search(memory)
                timings, collections = time_modes(memory, modes, users, args.rounds, args.per_round, queries)
                alone = instrumentation_us(modes, memory)
            layout = f"{args.memories // users} per scope ({users} user{'s' if users > 1 else ''})"
            results[layout] = {"spans_per_search": spans, **summary(timings)}
            for mode in MODES:
                results[layout][mode].update(collections[mode])
            print(f"\n{args.memories:,} memories, {layout}; {spans} spans per search")
            print(
                f"{'mode':6} {'median ms':>10} {'mean ms':>9} {'vs bare':>8} {'instr. us':>10} {'= % of bare':>12}"
                f" {'gc/100':>7} {'gc us':>6}"
            )
            base = results[layout]["bare"]["median_ms"] * 1000
            for mode in MODES:
                row = results[layout][mode]
                row["instrumentation_us"] = alone[mode] - alone["bare"]
                row["instrumentation_pct_of_bare_search"] = round(100 * row["instrumentation_us"] / base, 3)
                print(
                    f"{mode:6} {row['median_ms']:>10.3f} {row['mean_ms']:>9.3f} {row['overhead_vs_bare_pct']:>7.2f}%"
                    f" {row['instrumentation_us']:>10.2f} {row['instrumentation_pct_of_bare_search']:>11.3f}%"
                    f" {row['gc_collections_per_100_searches']:>7.1f} {row['gc_us_per_search']:>6.1f}"
                )
    telemetry.configure()
    print("\nTimings on a shared machine are noisy: re-measure on a quiet one before quoting them.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
