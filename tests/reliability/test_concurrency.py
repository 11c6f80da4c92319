"""N processes × M threads on one SQLite file: every acknowledged write is there exactly once.

Each writer (``load_worker.py``) journals only what the API acknowledged. Afterwards the file must
hold exactly those memories, each once, with the last acknowledged text, a history that replays
every acknowledged change in order, a vector, and a full-text entry; and no search may ever have
returned another user's memory.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from memspan import Memory
from memspan.embedders import HashingEmbedder

WORKER = Path(__file__).with_name("load_worker.py")


def _run(tmp_path: Path, processes: int, threads: int, seconds: float, figures: Any) -> None:
    path = tmp_path / "shared.db"
    Memory(path, embedder=HashingEmbedder(64)).close()
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(path),
                str(p),
                str(threads),
                str(seconds),
                str(tmp_path / f"j{p}"),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=seconds + 120)
        assert proc.returncode == 0, err
    elapsed = time.perf_counter() - started
    journal = [
        op for p in range(processes) for ops in json.loads((tmp_path / f"j{p}").read_text()) for op in ops
    ]
    kinds = Counter(op["op"] for op in journal)
    texts: dict[str, list[str]] = {}
    owners: dict[str, str] = {}
    for op in journal:  # per thread, in order; a memory is only ever updated by the thread that added it
        if op["op"] == "add":
            texts[op["id"]] = [op["text"]]
            owners[op["id"]] = op["user"]
        elif op["op"] == "update":
            texts[op["id"]].append(op["text"])
    leaks = sum(len(op["strangers"]) for op in journal if op["op"] == "search")
    losses = 0
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        store = memory.store
        assert store.count(include_deleted=True) == len(texts), "memories nobody acknowledged, or lost ones"
        vectors = store.vectors(list(texts))
        for memory_id, versions in texts.items():
            item = store.get(memory_id)
            if item is None or item.text != versions[-1] or item.user_id != owners[memory_id]:
                losses += 1
                continue
            events = store.history(memory_id)
            assert [e.event.value for e in events] == ["ADD"] + ["UPDATE"] * (len(versions) - 1)
            assert [e.new_text for e in events] == versions
            assert [e.old_text for e in events[1:]] == versions[:-1]
            assert memory_id in vectors
        sample = list(texts)[:: max(1, len(texts) // 50)]
        for memory_id in sample:  # the full-text index and the vector cache agree with the rows
            found = memory.search(texts[memory_id][-1], user_id=owners[memory_id], limit=3)
            assert memory_id in [m.id for m in found]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')")
        history_rows = conn.execute("SELECT count(*) FROM history").fetchone()[0]
        text_counts = conn.execute("SELECT max(c) FROM (SELECT count(*) AS c FROM memories GROUP BY text)")
        assert text_counts.fetchone()[0] == 1, "an acknowledged add was written twice"
    assert history_rows == kinds["add"] + kinds["update"]
    assert losses == 0 and leaks == 0
    assert kinds["error"] == 0, [op for op in journal if op["op"] == "error"][:3]
    figures(
        suite="concurrency",
        processes=processes,
        threads=threads,
        seconds=seconds,
        wall_s=round(elapsed, 1),
        adds=kinds["add"],
        updates=kinds["update"],
        searches=kinds["search"],
        refused=kinds["error"],
        ops_per_s=round((kinds["add"] + kinds["update"] + kinds["search"]) / elapsed, 1),
        losses=losses,
        cross_user_results=leaks,
    )


def test_processes_and_threads_lose_nothing(tmp_path: Path, figures: Any) -> None:
    _run(tmp_path, processes=2, threads=3, seconds=6, figures=figures)


@pytest.mark.slow
def test_processes_and_threads_lose_nothing_long(tmp_path: Path, figures: Any) -> None:
    _run(tmp_path, processes=4, threads=4, seconds=60, figures=figures)
