"""kill -9 a writer of the real PostgreSQL server at random moments; every acknowledged write is there.

The writer runs test_crash's script (adds single and batched, updates, deletes, purges, each
journaled before it starts and once acknowledged) against the server, and is SIGKILLed from outside
after a random delay, mid-transaction or between two. The server sees a connection drop and rolls
back what was in flight. After each kill the schema is checked against the journal: every
acknowledged write present, the operation in flight all or nothing, history one chain per memory,
a vector exactly for each live memory, nothing left of a purged scope.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from pathlib import Path
from typing import Any

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.scope import Scope

from .test_crash import USER, Ledger, _fork, _script


def _check(url: str, ledger: Ledger, pending: dict[str, Any] | None) -> None:
    with Memory(url, embedder=HashingEmbedder(64)) as memory:
        store = memory.store
        rows = {m.id: m for m in store.iter_memories(include_deleted=True)}  # type: ignore[attr-defined]
        vectors = store.vectors(list(rows))  # type: ignore[attr-defined]
        for memory_id, text in ledger.text.items():
            item = rows.get(memory_id)
            assert item is not None, f"acknowledged memory {memory_id} lost"
            in_flight = pending is not None and pending.get("id") == memory_id
            if pending and pending["op"] == "update" and in_flight:
                assert item.text in (text, pending["text"])
                ledger.text[memory_id] = item.text
            else:
                assert item.text == text, f"acknowledged update of {memory_id} lost"
            if memory_id in ledger.deleted:
                assert item.deleted_at is not None
            elif item.deleted_at is not None:
                assert pending is not None and pending["op"] == "delete" and in_flight
                ledger.deleted.add(memory_id)
        batches = Counter(m.metadata.get("batch") for m in rows.values() if m.user_id == USER)
        for tag, count in batches.items():
            size = ledger.batches.get(tag)
            if size is None:  # only the add in flight may have landed, and only whole
                assert pending is not None and pending["op"] == "add" and pending["tag"] == tag
                assert count == pending["size"], f"batch {tag} half written: {count}/{pending['size']}"
                ledger.batches[tag] = count
                ledger.text.update({m.id: m.text for m in rows.values() if m.metadata.get("batch") == tag})
            else:
                assert count == size
        for user in ledger.purged:
            assert store.count(Scope(user_id=user), include_deleted=True) == 0  # type: ignore[attr-defined]
        for memory_id, item in rows.items():
            events = store.history(memory_id)
            assert events and events[0].event.value == "ADD", f"{memory_id} has no ADD in history"
            for before, after in itertools.pairwise(events):
                assert after.old_text == before.new_text, f"history of {memory_id} skips a version"
            last = events[-1]
            assert (last.old_text if last.event.value == "DELETE" else last.new_text) == item.text
            assert (last.event.value == "DELETE") == (item.deleted_at is not None)
            assert (memory_id in vectors) == (item.deleted_at is None), f"vector of {memory_id} out of step"


def test_kill_during_writes_on_postgres(pg_server: Any, tmp_path: Path, figures: Any, long_run: bool) -> None:
    url = f"{pg_server.url}?schema=crash"
    Memory(url, embedder=HashingEmbedder(64)).close()  # the schema exists before the first kill
    journal = tmp_path / "journal"
    ledger = Ledger()
    rng = random.Random(3)
    kills = 60 if long_run else 12
    for round_ in range(kills):

        def timed(seed: int = 20_000 + round_) -> None:
            _script(url, journal, seed, steps=10_000)  # type: ignore[arg-type]

        _fork(timed, kill_after=rng.uniform(0.3, 1.2))
        _check(url, ledger, ledger.replay(journal))
    assert len(ledger.text) > 50 and ledger.deleted, "the writer got little done before its kills"
    figures(suite="crash", backend="postgres", timed_kills=kills, memories_at_end=len(ledger.text), losses=0)
