"""kill -9 a writer anywhere; reopen; the store is consistent and every acknowledged write is there.

A forked writer runs a fixed script of adds (single and batched), updates, deletes and purges on a
real SQLite file and journals each operation before it starts and again once acknowledged. SQLite's
trace hook sees every statement the writer executes (each row of a batch, each statement of the
schema migrations, the full-text index's own writes), so the writer can SIGKILL itself right before
the k-th one: between the memory row (with its vector) and its history row, mid-batch, mid-index
update, before COMMIT, mid-migration. More kills come at random moments from outside. After each
kill the file is reopened and checked against the journal.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.scope import Scope
from memspan.stores import sqlite as sqlite_module
from memspan.stores._sqlite_schema import MIGRATIONS
from memspan.stores.sqlite import SQLiteStore

USER = "crash"


def _arm(kill_at: int | None, record: Path) -> None:
    """In the child: make every new SQLite connection SIGKILL this process before statement ``kill_at``."""
    real_connect = sqlite3.connect
    seen = 0

    def trace(statement: str) -> None:
        nonlocal seen
        seen += 1
        if seen == kill_at:
            record.write_text(statement.split("(")[0].split(" VALUES")[0][:60])
            os.kill(os.getpid(), signal.SIGKILL)

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(trace)
        return conn

    sqlite_module.sqlite3.connect = connect  # type: ignore[assignment]


def _script(path: Path, journal: Path, seed: int, steps: int) -> None:
    """The writer: a fixed sequence of operations, each journaled before it starts and once acknowledged."""
    rng = random.Random(seed)
    with Memory(path, embedder=HashingEmbedder(64)) as memory, journal.open("a") as log:

        def note(**entry: Any) -> None:
            log.write(json.dumps(entry) + "\n")
            log.flush()

        live = [m.id for m in memory.get_all(user_id=USER, limit=1000)]
        for n in range(steps):
            roll = rng.random()
            tag = f"{seed}-{n}"
            if roll < 0.45 or not live:
                size = rng.choice([1, 1, 5, 20])
                texts = [f"run {tag} fact {i} about topic {rng.randint(0, 99)}" for i in range(size)]
                note(op="add", tag=tag, size=size)
                result = memory.add(texts, user_id=USER, metadata={"batch": tag, "size": size}, infer=False)
                live.extend(m.id for m in result.added)
                note(ack="add", tag=tag, ids=[m.id for m in result.added], texts=texts)
            elif roll < 0.75:
                memory_id, text = rng.choice(live), f"run {tag} revised fact"
                note(op="update", id=memory_id, text=text)
                memory.update(memory_id, text)
                note(ack="update", id=memory_id, text=text)
            elif roll < 0.9:
                memory_id = live.pop(rng.randrange(len(live)))
                note(op="delete", id=memory_id)
                memory.delete(memory_id)
                note(ack="delete", id=memory_id)
            else:
                scope = f"temp-{tag}"
                memory.add([f"temporary {tag} {i}" for i in range(3)], user_id=scope, infer=False)
                note(op="purge", user=scope)
                memory.delete_all(user_id=scope, purge=True)
                note(ack="purge", user=scope)


def _fork(work: Callable[[], None], *, kill_after: float | None = None) -> None:
    """Run ``work`` in a forked child; SIGKILL it after ``kill_after`` seconds (or it kills itself)."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            work()
        finally:
            os._exit(0)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, f"writer failed: {status}"


class Ledger:
    """What the journal says must be in the store, and what the operation in flight may have done."""

    def __init__(self) -> None:
        self.text: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.purged: set[str] = set()
        self.batches: dict[str, int] = {}

    def replay(self, journal: Path) -> dict[str, Any] | None:
        pending: dict[str, Any] | None = None
        if not journal.exists():  # killed before the writer opened its journal
            return None
        for line in journal.read_text().splitlines():
            entry = json.loads(line)
            if "op" in entry:
                pending = entry
                continue
            pending = None
            if entry["ack"] == "add":
                self.text.update(zip(entry["ids"], entry["texts"], strict=True))
                self.batches[entry["tag"]] = len(entry["ids"])
            elif entry["ack"] == "update":
                self.text[entry["id"]] = entry["text"]
            elif entry["ack"] == "delete":
                self.deleted.add(entry["id"])
            else:
                self.purged.add(entry["user"])
        journal.write_text("")
        return pending


def _check(path: Path, ledger: Ledger, pending: dict[str, Any] | None) -> None:
    """Reopen after a kill: consistent, every acknowledged write present, the in-flight one all or nothing."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        store = memory.store
        assert isinstance(store, SQLiteStore)
        assert store.stats()["schema_version"] == len(MIGRATIONS)
        rows = {m.id: m for m in store.iter_memories(include_deleted=True)}
        vectors = store.vectors(list(rows))
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
            assert store.count(Scope(user_id=user), include_deleted=True) == 0
        history: dict[str, list[tuple[str, str | None, str | None]]] = {}
        with sqlite3.connect(path) as conn:  # one pass, not one query per memory
            for memory_id, event, old_text, new_text in conn.execute(
                "SELECT memory_id, event, old_text, new_text FROM history ORDER BY pk"
            ):
                history.setdefault(memory_id, []).append((event, old_text, new_text))
        for memory_id, item in rows.items():
            events = history.get(memory_id, [])
            assert events and events[0][0] == "ADD", f"{memory_id} has no ADD in history"
            for (_, _, before), (_, old_text, _) in itertools.pairwise(events):
                assert old_text == before, f"history of {memory_id} skips a version"
            last, old_text, new_text = events[-1]
            assert (old_text if last == "DELETE" else new_text) == item.text
            assert (last == "DELETE") == (item.deleted_at is not None)
            assert (memory_id in vectors) == (item.deleted_at is None), f"vector of {memory_id} out of step"
        live = [m for m in rows.values() if m.deleted_at is None and m.user_id == USER]
        for item in live[:: max(1, len(live) // 20)]:  # the full-text index answers, with bm25
            assert store.search_keyword(Scope(user_id=USER), item.text, None, 50)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')")
        orphans = conn.execute(
            "SELECT count(*) FROM history WHERE memory_id NOT IN (SELECT id FROM memories)"
        )
        assert orphans.fetchone()[0] == 0
        indexed = conn.execute("SELECT count(*) FROM memories_fts_docsize").fetchone()[0]
        assert indexed == conn.execute("SELECT count(*) FROM memories WHERE deleted_at IS NULL").fetchone()[0]


def _kill_run(tmp_path: Path, statement_kills: list[int], timed_kills: int, figures: Any) -> None:
    path, journal, record = tmp_path / "crash.db", tmp_path / "journal", tmp_path / "killed-at"
    ledger = Ledger()
    where: Counter[str] = Counter()
    rng = random.Random(1)
    for round_, kill_at in enumerate(statement_kills):

        def armed(kill_at: int = kill_at, seed: int = round_) -> None:
            _arm(kill_at, record)
            _script(path, journal, seed, steps=40)

        record.unlink(missing_ok=True)
        _fork(armed)
        where[record.read_text() if record.exists() else "after the script (no kill)"] += 1
        _check(path, ledger, ledger.replay(journal))
    for round_ in range(timed_kills):

        def timed(seed: int = 10_000 + round_) -> None:
            _script(path, journal, seed, steps=10_000)

        _fork(timed, kill_after=rng.uniform(0.05, 0.6))
        _check(path, ledger, ledger.replay(journal))
    figures(
        suite="crash",
        statement_kill_points=len(statement_kills),
        timed_kills=timed_kills,
        distinct_statements_killed_before=len(where),
        memories_at_end=len(ledger.text),
        killed_before=dict(where.most_common(12)),
        losses=0,
    )


def test_kill_during_writes(tmp_path: Path, figures: Any) -> None:
    kills = [1, 3, 8, 21, 55, 144, 377, 987]
    _kill_run(tmp_path, kills + [random.Random(k).randint(1, 1500) for k in range(12)], 5, figures)


@pytest.mark.slow
def test_kill_during_writes_long(tmp_path: Path, figures: Any) -> None:
    _kill_run(
        tmp_path,
        list(range(1, 301)) + [random.Random(k).randint(300, 3000) for k in range(150)],
        100,
        figures,
    )


def _v1_store(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store written by the first schema version, with updates (which V1 indexed wrongly)."""
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", MIGRATIONS[:1])
    # a V1 writer knew nothing of the keywords column (migration 4)
    monkeypatch.setattr(sqlite_module.SQLiteStore, "_index_keywords", staticmethod(lambda conn, items: None))
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        # today's writer also writes the expiry column (migration 5): lend it one, then take it away
        memory.store._conn.execute("ALTER TABLE memories ADD COLUMN expires_at TEXT")  # type: ignore[attr-defined]
        added = memory.add([f"old fact {i} about gardening" for i in range(30)], user_id=USER, infer=False)
        for item in added.added[:10]:
            memory.update(item.id, f"{item.text} and roses")
        memory.delete(added.added[-1].id)
        memory.store._conn.execute("ALTER TABLE memories DROP COLUMN expires_at")  # type: ignore[attr-defined]
    monkeypatch.undo()


def _count_statements(work: Callable[[], None]) -> int:
    counted = [0]
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(lambda _: counted.__setitem__(0, counted[0] + 1))
        return conn

    sqlite_module.sqlite3.connect = connect  # type: ignore[assignment]
    try:
        work()
    finally:
        sqlite_module.sqlite3.connect = real_connect
    return counted[0]


@pytest.mark.parametrize(
    "every",
    [
        pytest.param(3, id="every-3rd-statement"),
        pytest.param(1, marks=pytest.mark.slow, id="every-statement"),
    ],
)
def test_kill_mid_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: Any, every: int
) -> None:
    """Killed at every statement of creating a store, and of upgrading a V1 store: reopening finishes
    the job, keeps every memory, and leaves a full-text index that answers (V2 rebuilds it)."""
    old = tmp_path / "v1.db"
    _v1_store(old, monkeypatch)
    work = tmp_path / "work.db"

    def open_work() -> None:
        SQLiteStore(work).close()

    def reset_work(source: Path | None) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        if source is not None:
            shutil.copy(source, work)

    points = 0
    for source in (None, old):
        reset_work(source)
        total = _count_statements(open_work)
        for kill_at in range(1, total + 1, every):
            reset_work(source)

            def killed(kill_at: int = kill_at) -> None:
                _arm(kill_at, tmp_path / "killed-at")
                open_work()

            _fork(killed)
            points += 1
            with Memory(work, embedder=HashingEmbedder(64)) as memory:
                assert memory.store.stats()["schema_version"] == len(MIGRATIONS)  # type: ignore[attr-defined]
                if source is not None:
                    assert memory.store.count(include_deleted=True) == 30
                    found = memory.search("roses", user_id=USER, limit=20)
                    assert sum("roses" in m.text for m in found) == 10
            with sqlite3.connect(work) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                indexed = conn.execute("SELECT count(*) FROM memories_fts_docsize").fetchone()[0]
                live = conn.execute("SELECT count(*) FROM memories WHERE deleted_at IS NULL").fetchone()[0]
                assert indexed == live
    figures(suite="crash", migration_kill_points=points, losses=0)
