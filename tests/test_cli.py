"""The memspan command, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from memspan.cli import main


def run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memspan.cli", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_add_search_list_history_delete_roundtrip(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    added = run(
        db, "--json", "add", "I keep bees on my roof", "--user", "ana", "--metadata", '{"topic": "hobby"}'
    )
    assert added.returncode == 0, added.stderr
    memory_id = json.loads(added.stdout)["results"][0]["id"]
    found = run(db, "search", "bees", "--user", "ana")
    assert "I keep bees on my roof" in found.stdout
    listed = json.loads(run(db, "--json", "list", "--user", "ana", "--filters", '{"topic": "hobby"}').stdout)
    assert [r["id"] for r in listed["results"]] == [memory_id]
    assert run(db, "delete", memory_id).returncode == 0
    history = json.loads(run(db, "--json", "history", memory_id).stdout)["results"]
    assert [e["event"] for e in history] == ["ADD", "DELETE"]
    stats = json.loads(run(db, "--json", "stats").stdout)
    assert stats["memories"] == 0 and stats["deleted"] == 1


def test_errors_are_clear_and_exit_non_zero(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    no_scope = run(db, "search", "bees")
    assert no_scope.returncode == 2 and "needs a scope" in no_scope.stderr
    assert "Traceback" not in no_scope.stderr
    unknown = run(db, "get", "does-not-exist")
    assert unknown.returncode == 2 and "no memory with id" in unknown.stderr
    refused = run(db, "delete-all", "--user", "ana")
    assert refused.returncode == 2


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert main(["--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_export_import_with_history_is_resumable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target, dump = str(tmp_path / "a.db"), str(tmp_path / "b.db"), tmp_path / "dump.jsonl"
    first = _json(capsys, "--db", source, "add", "I play the oboe", "--user", "ana")
    item_id = first["results"][0]["id"]
    _json(capsys, "--db", source, "add", "My cat is called Miso", "--user", "ana")
    _json(capsys, "--db", source, "add", "x", "--user", "ana", "--verbatim")
    assert _json(capsys, "--db", source, "export", str(dump), "-q") == {"exported": 3, "file": str(dump)}
    assert len(dump.read_text().splitlines()) == 3
    assert _json(capsys, "--db", target, "import", str(dump), "-q") == {"imported": 3, "skipped": 0}
    assert _json(capsys, "--db", target, "import", str(dump), "-q") == {"imported": 0, "skipped": 3}
    history = _json(capsys, "--db", target, "history", item_id)["results"]
    assert [e["event"] for e in history] == ["ADD"]
    assert _json(capsys, "--db", target, "stats")["memories"] == 3
    found = _json(capsys, "--db", target, "search", "oboe", "--user", "ana")["results"]
    assert found[0]["id"] == item_id
