"""``memspan migrate`` from an SQLite file to a real PostgreSQL server and back: everything arrives,
an interrupted run resumes, and counts are verified."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from memspan import Memory
from memspan.cli import main
from memspan.embedders import HashingEmbedder
from memspan.scope import Scope
from memspan.stores.postgres import PostgresStore
from memspan.stores.sqlite import SQLiteStore
from memspan.testing import PostgresTestServer
from memspan.transfer import import_items


def _fill(path: Path) -> list[str]:
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        for user in ("alice", "bob", "carol"):
            memory.add(
                [f"{user} fact {i}" for i in range(40)], user_id=user, infer=False, metadata={"u": user}
            )
        first = memory.get_all(user_id="alice", limit=1)[0]
        memory.update(first.id, "alice changed her mind", metadata={"v": 2})
        memory.delete(memory.get_all(user_id="bob", limit=1)[0].id)
        return [first.id]


def test_migrate_sqlite_to_postgres_and_back(
    tmp_path: Path, pg_server: PostgresTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    source_path = tmp_path / "source.db"
    (changed,) = _fill(source_path)
    schema = f"m_{uuid.uuid4().hex[:10]}"
    target_url = f"{pg_server.url}?schema={schema}"

    # an interrupted earlier run: the first 50 memories are already there
    source = SQLiteStore(source_path)
    target = PostgresStore.from_url(target_url)
    records = [(item, source.history(item.id)) for item in source.iter_memories()][:50]
    import_items(target, records, embedder=HashingEmbedder(64), source=source)
    target.close()

    assert (
        main(
            [
                "--json",
                "migrate",
                "--from",
                f"sqlite:///{source_path}",
                "--to",
                target_url,
                "--quiet",
                "--batch-size",
                "32",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report == {"imported": 70, "skipped": 50, "memories": 120, "live": 119}

    target = PostgresStore.from_url(target_url)
    assert target.count(include_deleted=True) == 120 and target.count() == 119
    assert target.history(changed) == source.history(changed)
    assert target.get(changed) == source.get(changed)
    ids = [m.id for m in source.iter_memories(include_deleted=False)]
    copied, original = target.vectors(ids), source.vectors(ids)
    assert set(copied) == set(original)
    for key in ids:
        np.testing.assert_allclose(copied[key], original[key], atol=1e-6)
    with Memory(store=target, embedder=HashingEmbedder(64)) as memory:
        assert memory.search("carol fact 7", user_id="carol", limit=1)[0].text == "carol fact 7"
        assert target.count(Scope(user_id="bob")) == 39

    # again: nothing left to copy; and back into a fresh SQLite file
    assert main(["--json", "migrate", "--from", target_url, "--to", str(tmp_path / "back.db"), "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 120
    assert main(["--json", "migrate", "--from", f"sqlite:///{source_path}", "--to", target_url, "-q"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "imported": 0,
        "skipped": 120,
        "memories": 120,
        "live": 119,
    }
    source.close()


def test_migrate_refuses_a_different_embedding_model(tmp_path: Path) -> None:
    _fill(tmp_path / "a.db")
    with Memory(tmp_path / "b.db", embedder=HashingEmbedder(32)) as other:
        other.add("something", user_id="x", infer=False)
    assert main(["migrate", "--from", str(tmp_path / "a.db"), "--to", str(tmp_path / "b.db"), "-q"]) == 2
