"""One writer process of the concurrency suite: M threads share one Memory on one SQLite file.

Run as ``python load_worker.py DB PROCESS THREADS SECONDS JOURNAL``. Each thread adds, updates its
own memories and searches for a bounded time, and journals only what the API acknowledged; the
test then checks the file against the journals of every process.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from typing import Any

from memspan import Memory, MemspanError
from memspan.embedders import HashingEmbedder

USERS = ("user0", "user1", "user2")


def run_thread(memory: Memory, process: int, thread: int, deadline: float, out: list[dict[str, Any]]) -> None:
    rng = random.Random(process * 1000 + thread)
    mine: list[str] = []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        roll = rng.random()
        try:
            if roll < 0.55 or not mine:
                user = rng.choice(USERS)
                text = f"p{process} t{thread} n{n} remembers item {n} for {user}"
                (item,) = memory.add(text, user_id=user, infer=False).added
                mine.append(item.id)
                out.append({"op": "add", "id": item.id, "text": text, "user": user})
            elif roll < 0.8:
                memory_id = rng.choice(mine)
                text = f"p{process} t{thread} n{n} changed its mind"
                memory.update(memory_id, text)
                out.append({"op": "update", "id": memory_id, "text": text})
            else:
                user = rng.choice(USERS)
                found = memory.search(f"item {rng.randint(1, n)}", user_id=user, limit=5)
                strangers = [m.id for m in found if m.user_id != user]
                out.append({"op": "search", "user": user, "strangers": strangers})
        except MemspanError as exc:  # refused or timed out: not acknowledged, so not expected
            out.append({"op": "error", "error": f"{type(exc).__name__}: {exc}"})


def main() -> None:
    path, process, threads, seconds, journal = sys.argv[1:6]
    deadline = time.monotonic() + float(seconds)
    outs: list[list[dict[str, Any]]] = [[] for _ in range(int(threads))]
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        workers = [
            threading.Thread(target=run_thread, args=(memory, int(process), t, deadline, outs[t]))
            for t in range(int(threads))
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    with open(journal, "w", encoding="utf-8") as handle:
        json.dump(outs, handle)


if __name__ == "__main__":
    main()
