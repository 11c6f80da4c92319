"""Bad input gets a clear error and loses nothing (issue 2's list, one tested outcome each)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from memspan import (
    DimensionMismatchError,
    Memory,
    NotFoundError,
    ReadOnlyStoreError,
    SchemaVersionError,
    StoreError,
    ValidationError,
)
from memspan.embedders import HashingEmbedder
from memspan.ports import Embedder


@pytest.mark.parametrize("bad", ["", "   \n\t", [], [{"role": "user", "content": " "}]])
def test_empty_input_is_refused(memory: Memory, bad: object) -> None:
    with pytest.raises(ValidationError):
        memory.add(bad, user_id="u")  # type: ignore[arg-type]
    assert memory.store.count() == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (42, "must be a string"),
        ({"role": "user", "content": 3.5}, "content must be a string"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}, "only text"),
        ({"role": "user"}, "missing 'content'"),
        ({"role": "wizard", "content": "hi there friend"}, "unknown role"),
        ({"role": "user", "content": "a\x00b"}, "NUL"),
        ({"role": "user", "content": "ok text", "created_at": "not a date"}, "timestamp"),
    ],
)
def test_malformed_messages_are_refused(memory: Memory, bad: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        memory.add(bad, user_id="u")  # type: ignore[arg-type]
    assert memory.store.count() == 0


def test_one_bad_message_in_a_batch_writes_nothing(memory: Memory) -> None:
    with pytest.raises(ValidationError, match="message 1"):
        memory.add(
            [{"role": "user", "content": "I like tea a lot"}, {"role": "user", "content": ""}], user_id="u"
        )
    assert memory.store.count() == 0


def test_a_one_megabyte_message_is_refused_with_the_limit(memory: Memory) -> None:
    with pytest.raises(ValidationError, match="limit of 100,000"):
        memory.add("x " * 500_000, user_id="u")
    assert memory.store.count() == 0


def test_text_parts_are_accepted(memory: Memory) -> None:
    parts = [{"type": "text", "text": "I am learning the cello."}]
    assert (
        memory.add({"role": "user", "content": parts}, user_id="u").added[0].text
        == "I am learning the cello."
    )


@pytest.mark.parametrize("bad", [0, -1, 10_001, "5", True])
def test_bad_limits(memory: Memory, bad: object) -> None:
    with pytest.raises(ValidationError, match="limit"):
        memory.search("tea", user_id="u", limit=bad)  # type: ignore[arg-type]


def test_bad_threshold_and_query(memory: Memory) -> None:
    with pytest.raises(ValidationError, match="threshold"):
        memory.search("tea", user_id="u", threshold=1.5)
    with pytest.raises(ValidationError, match="query is empty"):
        memory.search("  ", user_id="u")
    with pytest.raises(ValidationError, match="must be a string"):
        memory.search(None, user_id="u")  # type: ignore[arg-type]


def test_metadata_must_be_json(memory: Memory) -> None:
    with pytest.raises(ValidationError, match="JSON"):
        memory.add("I like tea", user_id="u", metadata={"when": object()})
    with pytest.raises(ValidationError, match="mapping"):
        memory.add("I like tea", user_id="u", metadata=["a"])  # type: ignore[arg-type]


def test_unknown_ids(memory: Memory) -> None:
    for call in (memory.get, memory.delete, memory.history):
        with pytest.raises(NotFoundError, match="no memory with id"):
            call("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError):
        memory.update("00000000-0000-0000-0000-000000000000", "new text")
    with pytest.raises(ValidationError):
        memory.update("nope")  # neither text nor metadata
    (change,) = memory.add("I like tea", user_id="u").changes
    memory.delete(change.item.id)
    with pytest.raises(NotFoundError):
        memory.delete(change.item.id)  # already deleted


def test_a_database_from_a_newer_schema_is_refused(db_path: Path, embedder: Embedder) -> None:
    Memory(db_path, embedder=embedder).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations(version, applied_at) VALUES (999, 'future')")
    with pytest.raises(SchemaVersionError, match="upgrade memspan"):
        Memory(db_path, embedder=embedder)


def test_a_corrupt_file_is_refused(tmp_path: Path, embedder: Embedder) -> None:
    bad = tmp_path / "corrupt.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable memspan database"):
        Memory(bad, embedder=embedder)


def test_a_foreign_sqlite_file_is_refused(tmp_path: Path, embedder: Embedder) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a memspan database"):
        Memory(other, embedder=embedder)


_READ_ONLY_CHECK = """
import sys
from memspan import Memory, ReadOnlyStoreError
from memspan.embedders import HashingEmbedder
with Memory(sys.argv[1], embedder=HashingEmbedder(64)) as m:
    assert m.search("tea", user_id="u").texts() == ["I like tea"]
    try:
        m.add("I like coffee", user_id="u")
    except ReadOnlyStoreError as exc:
        print("refused:", exc)
"""


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv to drop root")
def test_a_read_only_file_can_be_read_but_not_written() -> None:
    folder = Path(tempfile.mkdtemp(prefix="memspan-ro-"))
    folder.chmod(0o755)
    path = folder / "ro.db"
    with Memory(path, embedder=HashingEmbedder(64)) as m:
        m.add("I like tea", user_id="u")
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    # root ignores file permissions, so check as an unprivileged user when we are root
    command = [sys.executable, "-c", _READ_ONLY_CHECK, str(path)]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "refused:" in result.stdout and "read-only" in result.stdout
    shutil.rmtree(folder, ignore_errors=True)


def test_a_store_opened_read_only_refuses_writes(db_path: Path, embedder: Embedder) -> None:
    from memspan.stores import SQLiteStore

    with Memory(db_path, embedder=embedder) as m:
        m.add("I like tea", user_id="u")
    with Memory(SQLiteStore(db_path, read_only=True), embedder=embedder) as m:
        assert m.search("tea", user_id="u").texts() == ["I like tea"]
        with pytest.raises(ReadOnlyStoreError, match="read-only"):
            m.add("I like coffee", user_id="u")
        with pytest.raises(ReadOnlyStoreError):
            m.delete_all(user_id="u")
    with Memory(db_path, embedder=embedder) as m:
        assert m.get_all(user_id="u")[0].text == "I like tea"


def test_wrong_embedding_dimension_is_refused(db_path: Path, embedder: Embedder) -> None:
    with Memory(db_path, embedder=embedder) as m:
        m.add("I like tea", user_id="u")
    with (
        Memory(db_path, embedder=HashingEmbedder(128)) as m,
        pytest.raises(DimensionMismatchError, match="384"),
    ):
        m.add("I like coffee", user_id="u")
    with Memory(db_path, embedder=embedder) as m:
        assert len(m.get_all(user_id="u")) == 1


def _writer(path: str, worker: int, count: int) -> None:
    with Memory(path, embedder=HashingEmbedder(64)) as m:
        for i in range(count):
            m.add(f"worker {worker} fact {i}", user_id=f"w{worker}", infer=False)


def test_two_processes_adding_at_once_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a spawned child takes the parent's sys.path and finds _writer by importing tests.test_bad_input:
    # `python -m pytest` has the repository root on sys.path, a bare `pytest` does not
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))
    path = str(tmp_path / "shared.db")
    Memory(path, embedder=HashingEmbedder(64)).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 40)) for w in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    with Memory(path, embedder=HashingEmbedder(64)) as m:
        for w in range(2):
            texts = {i.text for i in m.get_all(user_id=f"w{w}", limit=1000)}
            assert texts == {f"worker {w} fact {i}" for i in range(40)}
            assert m.search("fact 7", user_id=f"w{w}", limit=1)[0].user_id == f"w{w}"
