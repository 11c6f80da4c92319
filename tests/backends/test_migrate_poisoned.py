"""``memspan migrate`` to a real PostgreSQL server past a row an older memspan stored with a lone
surrogate (PostgreSQL refuses it): the row is skipped and named, everything else arrives."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from memspan import Memory
from memspan.cli import main
from memspan.embedders import HashingEmbedder
from memspan.stores.postgres import PostgresStore
from memspan.testing import PostgresTestServer
from memspan.types import MemoryItem, MemoryType


def test_migrate_to_postgres_skips_and_names_a_poisoned_row(
    tmp_path: Path, pg_server: PostgresTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    source_path = tmp_path / "source.db"
    with Memory(source_path, embedder=HashingEmbedder(64)) as memory:
        good = [
            c.item.id for c in memory.add(["Ana likes tea", "Ana sails"], user_id="ana", infer=False).changes
        ]
        bad = str(uuid.uuid4())
        item = MemoryItem(
            bad, "Ana keeps bees", "ana", None, None, MemoryType.SEMANTIC, {"note": "x\udc80"},
            "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "h" * 64, ("\udc80",),
        )  # fmt: skip
        memory.store.insert([item], np.asarray(memory.embedder.embed([item.text]), dtype=np.float32), [])
    target_url = f"{pg_server.url}?schema=m_{uuid.uuid4().hex[:10]}"
    argv = ["--json", "migrate", "--from", f"sqlite:///{source_path}", "--to", target_url, "--quiet"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["invalid"] == [bad] and report["imported"] == 2
    target = PostgresStore.from_url(target_url)
    try:
        assert sorted(i.id for i in target.iter_memories()) == sorted(good)
    finally:
        target.close()
