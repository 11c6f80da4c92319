"""Race trials: several writers act on one memory (or scope) at the same instant, then the outcome
is checked against what was acknowledged.

Each race is one of the promises a memory layer makes about concurrent writes:

``update_delete``
    two ``update(id)`` racing ``delete(id)``: an acknowledged delete must stay done (an update
    that comes second loses with NotFoundError). Counted: memories live after an acknowledged delete (*resurrected*).
``update_delete_all``
    updates of two memories racing ``delete_all`` of their scope. Counted: scopes that still hold
    a live memory after an acknowledged delete_all.
``update_purge``
    updates of two memories racing ``delete_all(purge=True)``. Counted: scopes where a memory or a
    history event is left after an acknowledged purge.
``update_update``
    three updates of one memory at once. Counted: memories whose history is not one chain (each
    event's old text the previous event's new text, one event per acknowledged update, the last
    event's text the memory's text).
``identical_adds``
    the same message added three times at once (``infer=True``). Counted: scopes holding a text
    twice.

Writers are threads (each with its own :class:`~memspan.Memory`, as separate connections) or
processes (each opening the store itself), released together by a barrier. The same code drives
the CI tests (a hundred trials) and ``benchmarks/races.py`` (thousands).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

from ..embedders import HashingEmbedder
from ..memory import Memory
from ..stores.sqlite import SQLiteStore

RACES = ("update_delete", "update_delete_all", "update_purge", "update_update", "identical_adds")
Mode = Literal["threads", "processes"]
#: one writer's step: (operation, memory id or user id, text)
Step = tuple[str, str, str]
#: outcomes a writer may get without anything being wrong: it lost the race and was told so
EXPECTED_LOSSES = ("NotFoundError", "ConflictError")
SENTENCE = "My sister Ana lives in Lisbon and works there as a nurse."


@dataclass
class RaceCounts:
    """What one race measured over its trials."""

    race: str
    mode: Mode
    trials: int
    #: resurrected / non-empty scopes / broken chains / duplicates, per the race
    violations: int = 0
    #: writers' outcomes: "ok", or the name of the exception they got
    outcomes: Counter[str] = field(default_factory=Counter)
    #: the store's own consistency check after the race: "ok", or what it reported
    integrity: str = "ok"

    @property
    def unexpected_errors(self) -> int:
        return sum(n for name, n in self.outcomes.items() if name != "ok" and name not in EXPECTED_LOSSES)


def open_memory(location: str) -> Memory:
    """The Memory every writer uses: the store at ``location``, a fast deterministic embedder."""
    return Memory(location, embedder=HashingEmbedder(64))


def _perform(memory: Memory, step: Step) -> str:
    operation, target, text = step
    try:
        if operation == "update":
            memory.update(target, text)
        elif operation == "delete":
            memory.delete(target)
        elif operation == "delete_all":
            memory.delete_all(user_id=target)
        elif operation == "purge":
            memory.delete_all(user_id=target, purge=True)
        elif operation == "add":
            memory.add(text, user_id=target)
        else:
            raise ValueError(f"unknown step {operation!r}")
    except Exception as exc:  # the outcome is what is measured: every exception is reported back
        return type(exc).__name__
    return "ok"


def _setup(memory: Memory, race: str, trial: int, tag: str) -> tuple[str, list[Step]]:
    """Create what trial ``trial`` races on; return its user id and each writer's step."""
    user = f"race-{tag}-{race}-{trial}"
    if race == "identical_adds":
        return user, [("add", user, SENTENCE)] * 3
    texts = [f"note {k} of trial {trial}: the meeting moved to room {k}{trial}" for k in range(2)]
    ids = [c.item.id for c in memory.add(texts, user_id=user, infer=False).changes]
    if race == "update_delete":
        return user, [("update", ids[0], f"changed {trial}"), ("delete", ids[0], ""), ("update", ids[0], "x")]
    if race == "update_delete_all":
        return user, [
            ("update", ids[0], f"a {trial}"),
            ("update", ids[1], f"b {trial}"),
            ("delete_all", user, ""),
        ]
    if race == "update_purge":
        return user, [("update", ids[0], f"a {trial}"), ("update", ids[1], f"b {trial}"), ("purge", user, "")]
    if race == "update_update":
        return user, [("update", ids[0], f"version {k} of {trial}") for k in range(3)]
    raise ValueError(f"unknown race {race!r}; choose from {', '.join(RACES)}")


def _violated(memory: Memory, race: str, user: str, steps: Sequence[Step], outcomes: Sequence[str]) -> bool:
    """Whether the trial's outcome breaks the promise its race is about."""
    acked = [step for step, outcome in zip(steps, outcomes, strict=True) if outcome == "ok"]
    if race == "update_delete":
        if not any(op == "delete" for op, _, _ in acked):
            return False
        return memory.get(steps[0][1], include_deleted=True).deleted_at is None
    if race == "update_delete_all":
        if not any(op == "delete_all" for op, _, _ in acked):
            return False
        return bool(memory.get_all(user_id=user))
    if race == "update_purge":
        if not any(op == "purge" for op, _, _ in acked):
            return False
        left = bool(memory.get_all(user_id=user, include_deleted=True))
        return left or any(_has_history(memory, memory_id) for _, memory_id, _ in steps[:2])
    if race == "update_update":
        memory_id = steps[0][1]
        events = memory.history(memory_id)
        updates = [e for e in events if e.event.value == "UPDATE"]
        chained = all(b.old_text == a.new_text for a, b in pairwise(events))
        current = memory.get(memory_id).text
        return not chained or len(updates) != len(acked) or events[-1].new_text != current
    texts = Counter(m.text for m in memory.get_all(user_id=user))
    return any(n > 1 for n in texts.values())


def store_integrity(memory: Memory) -> str:
    """ "ok", or what the store's own checks report. On SQLite: ``PRAGMA integrity_check`` and
    FTS5's ``integrity-check`` of the keyword index (its structure and segments; the index holds
    live memories only, so it is not compared row by row with the table)."""
    store = memory.store
    if not isinstance(store, SQLiteStore):
        return "ok"
    conn = sqlite3.connect(store.path)
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if found != ["ok"]:
            return "; ".join(found[:5])
        conn.execute("INSERT INTO memories_fts(memories_fts, rank) VALUES ('integrity-check', 0)")
        return "ok"
    except sqlite3.Error as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def _has_history(memory: Memory, memory_id: str) -> bool:
    try:
        return bool(memory.history(memory_id))
    except Exception as exc:  # NotFoundError: no event is left, as a purge promises
        if type(exc).__name__ != "NotFoundError":
            raise
        return False


def _thread_writer(memory: Memory, step: Step, barrier: threading.Barrier, out: list[str], k: int) -> None:
    barrier.wait()
    out[k] = _perform(memory, step)


def _process_writer(location: str, k: int, tasks: Any, results: Any, barrier: Any) -> None:
    """A writer process: opens the store itself, then performs each step it is sent at the barrier."""
    memory = open_memory(location)
    try:
        while (step := tasks.get()) is not None:
            barrier.wait()
            results.put((k, _perform(memory, tuple(step))))
    finally:
        memory.close()


#: every race has this many writers
WRITERS = 3


def run_races(
    location: str, trials: int, *, mode: Mode = "threads", races: Sequence[str] = RACES, tag: str = "t"
) -> list[RaceCounts]:
    """Run ``trials`` trials of each race against the store at ``location``; count violations.

    One set of writers (threads or processes) serves every race, so processes start once.
    """
    unknown = [race for race in races if race not in RACES]
    if unknown:
        raise ValueError(f"unknown race {unknown[0]!r}; choose from {', '.join(RACES)}")
    checker = open_memory(location)
    writers = _threads(location, WRITERS) if mode == "threads" else _processes(location, WRITERS)
    results: list[RaceCounts] = []
    try:
        with writers as run:
            for race in races:
                counts = RaceCounts(race, mode, trials)
                for trial in range(trials):
                    user, steps = _setup(checker, race, trial, tag)
                    outcomes = run(steps)
                    counts.outcomes.update(outcomes)
                    counts.violations += _violated(checker, race, user, steps, outcomes)
                counts.integrity = store_integrity(checker)
                results.append(counts)
    finally:
        checker.close()
    return results


class _threads:
    """Writers as threads, each with its own Memory (its own connection)."""

    def __init__(self, location: str, width: int):
        self.memories = [open_memory(location) for _ in range(width)]

    def __enter__(self) -> Callable[[Sequence[Step]], list[str]]:
        return self.run

    def run(self, steps: Sequence[Step]) -> list[str]:
        out = [""] * len(steps)
        barrier = threading.Barrier(len(steps))
        threads = [
            threading.Thread(target=_thread_writer, args=(self.memories[k], step, barrier, out, k))
            for k, step in enumerate(steps)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return out

    def __exit__(self, *exc: object) -> None:
        for memory in self.memories:
            memory.close()


class _processes:
    """Writers as processes (spawned: each imports memspan and opens the store on its own)."""

    def __init__(self, location: str, width: int):
        context = mp.get_context("spawn")
        self.results: Any = context.Queue()
        self.barrier = context.Barrier(width)
        self.tasks: list[Any] = [context.Queue() for _ in range(width)]
        self.procs = [
            context.Process(
                target=_process_writer,
                args=(location, k, self.tasks[k], self.results, self.barrier),
                daemon=True,
            )
            for k in range(width)
        ]
        for proc in self.procs:
            proc.start()

    def __enter__(self) -> Callable[[Sequence[Step]], list[str]]:
        return self.run

    def run(self, steps: Sequence[Step]) -> list[str]:
        for k, step in enumerate(steps):
            self.tasks[k].put(step)
        out = [""] * len(steps)
        for _ in steps:
            try:
                k, outcome = self.results.get(timeout=120)
            except queue.Empty:
                raise RuntimeError("a writer process stopped answering") from None
            out[k] = outcome
        return out

    def __exit__(self, *exc: object) -> None:
        for task in self.tasks:
            task.put(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
