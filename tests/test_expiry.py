"""Expiry outside the store contract: the background sweeper, the CLI, AsyncMemory, old files.

The store-level behaviour (every read, the sweep, concurrent writers) is in the conformance suite
(memspan.testing._expiry_cases), run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from memspan import AsyncMemory, Memory, ValidationError
from memspan.cli import main
from memspan.embedders import HashingEmbedder
from memspan.expiry import Sweeper
from memspan.filters import format_timestamp
from memspan.stores import _sqlite_schema, sqlite


def _later(seconds: float) -> str:
    return format_timestamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))


def test_the_sweeper_thread_deletes_what_expires(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(32)) as memory:
        item = memory.add("a note for a moment", user_id="ana", ttl=0.05, infer=False).added[0]
        with Sweeper(memory, interval=0.02) as sweeper:
            deadline = time.monotonic() + 10
            while sweeper.swept == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert sweeper.swept == 1 and sweeper.last_error is None
        assert memory.history(item.id)[-1].reason == "expired"
    with pytest.raises(ValidationError):
        Sweeper(memory, interval=0)


def test_a_failing_sweep_is_kept_and_the_thread_goes_on(tmp_path: Path) -> None:
    class Flaky:
        calls = 0

        def sweep_expired(self) -> int:
            self.calls += 1
            if self.calls == 1:
                raise OSError("disk went away")
            return 2

    flaky = Flaky()
    with Sweeper(flaky, interval=0.01) as sweeper:
        deadline = time.monotonic() + 10
        while sweeper.swept < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert sweeper.swept >= 2 and flaky.calls >= 2


async def test_async_memory_expires_alike(tmp_path: Path) -> None:
    async with AsyncMemory(tmp_path / "m.db", embedder=HashingEmbedder(32)) as memory:
        item = (await memory.add("a note", user_id="ana", ttl=60, infer=False)).added[0]
        assert (await memory.update(item.id, ttl=3600)).expires_at > item.expires_at  # type: ignore[operator]
        memory.store.clock = lambda: _later(10_000)  # type: ignore[method-assign]
        assert await memory.get_all(user_id="ana") == []
        assert await memory.sweep_expired(user_id="ana") == 1
        with pytest.raises(ValidationError, match="blocking memory"):
            Sweeper(memory)  # its sweep is a coroutine: the thread could never run it


def test_cli_adds_with_a_ttl_and_sweeps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")

    def cli(*args: str) -> dict:  # type: ignore[type-arg]
        assert main(["--db", db, "--json", *args]) == 0
        return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]

    added = cli("add", "I keep bees", "--user", "ana", "--verbatim", "--ttl", "3600")
    assert added["results"][0]["expires_at"] > _later(3000)
    assert cli("sweep") == {"swept": 0}
    with sqlite3.connect(db) as conn:  # as if the hour had passed
        conn.execute("UPDATE memories SET expires_at = ?", (_later(-1),))
    assert cli("list", "--user", "ana")["results"] == []
    assert cli("sweep", "--user", "ana") == {"swept": 1}


def test_a_store_from_before_expiry_upgrades_and_nothing_in_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v4.db"
    with sqlite3.connect(path) as conn:  # exactly what migrations 1-4 leave
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for version, script in enumerate(_sqlite_schema.MIGRATIONS[:4], start=1):
            for statement in _sqlite_schema.statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (version,))
    with Memory(path, embedder=HashingEmbedder(32)) as memory:
        assert isinstance(memory.store, sqlite.SQLiteStore)
        assert memory.store.stats()["schema_version"] == 5
        item = memory.add("I keep bees", user_id="ana", infer=False).added[0]
        assert item.expires_at is None
        memory.store.clock = lambda: _later(10**8)  # type: ignore[method-assign]
        assert [m.id for m in memory.get_all(user_id="ana")] == [item.id]
