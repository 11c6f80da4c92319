"""Where a search's time goes: a per-stage timer the scale benchmark switches on for one Memory.

memspan itself carries no timing code (OpenTelemetry spans are a separate, optional layer): this
module wraps the methods and module functions that make up a search *on one Memory's own objects*
while it is enabled, and unwraps them afterwards, so a search outside the benchmark costs nothing.

Each stage records its *self* time (nested stages are subtracted), per thread, because the keyword
search runs in a worker thread while the query is embedded: the stages of one search can add up to
more than its wall time.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import memspan.pipeline as pipeline_module
import memspan.stores.sqlite as sqlite_module

# (where, attribute, stage): instance attributes of the store / embedder, or module functions
STORE_STAGES = {
    "_sync": "cache sync",
    "term_counts": "term counts",
    "search_keyword": "keyword search",
    "_vector_search": "vector scoring",
    "_items_by_pk": "gathering rows",
    "_rescore": "exact rescoring",
    "neighbours": "neighbour lookups",
}
CACHE_STAGES = {"search": "vector scoring"}
MODULE_STAGES = [
    (sqlite_module, "_row_item", "object construction"),
    (pipeline_module, "fuse", "fusion"),
]


class StageTimer:
    """Accumulates self time per stage over the searches run while it is enabled."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append(0.0)  # time spent in stages nested inside this one
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - began
                nested = stack.pop()
                if stack:
                    stack[-1] += spent
                with self._lock:
                    self.totals[stage] += spent - nested

        return timed

    @contextmanager
    def enabled(self, memory: Any) -> Iterator[StageTimer]:
        """Time ``memory``'s searches while the block runs; restore everything after."""
        undo: list[Callable[[], None]] = []

        def patch_instance(obj: Any, name: str, stage: str) -> None:
            if obj is None or not hasattr(obj, name):
                return
            try:
                setattr(obj, name, self.wrap(stage, getattr(obj, name)))
                undo.append(lambda: delattr(obj, name))
            except AttributeError:  # a class with __slots__: wrap the method on the class
                cls, original = type(obj), getattr(type(obj), name)
                setattr(cls, name, self.wrap(stage, original))
                undo.append(lambda: setattr(cls, name, original))

        store = memory.store
        for name, stage in STORE_STAGES.items():
            patch_instance(store, name, stage)
        for name, stage in CACHE_STAGES.items():
            patch_instance(getattr(store, "_cache", None), name, stage)
        embedder = memory.embedder
        patch_instance(embedder, "embed", "query embedding")
        for module, name, stage in MODULE_STAGES:
            original = getattr(module, name, None)
            if original is None:
                continue
            setattr(module, name, self.wrap(stage, original))
            undo.append(lambda module=module, name=name, original=original: setattr(module, name, original))
        try:
            yield self
        finally:
            for step in reversed(undo):
                step()

    def per_search(self, searches: int, total_ms: float) -> dict[str, float]:
        """Mean milliseconds per search for each stage, plus what no stage accounts for."""
        out = {stage: 1000 * seconds / searches for stage, seconds in sorted(self.totals.items())}
        out["other (validation, refinements, item copies)"] = total_ms / searches - sum(out.values())
        return out
