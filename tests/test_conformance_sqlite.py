"""The embedded SQLite store passes the same conformance suite as every other backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan.ports import MemoryStore
from memspan.stores.sqlite import SQLiteStore
from memspan.testing import StoreConformance


class TestSQLiteConformance(StoreConformance):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[MemoryStore]:
        store = SQLiteStore(tmp_path / "conformance.db")
        yield store
        store.close()


def test_a_store_from_before_cjk_keywords_finds_its_cjk_memories_after_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memspan import Memory
    from memspan.embedders import HashingEmbedder
    from memspan.scope import Scope
    from memspan.stores import _sqlite_schema, sqlite

    path = tmp_path / "v3.db"
    monkeypatch.setattr(sqlite, "MIGRATIONS", _sqlite_schema.MIGRATIONS[:3])
    monkeypatch.setattr(sqlite.SQLiteStore, "_index_keywords", staticmethod(lambda conn, items: None))
    with Memory(path, embedder=HashingEmbedder(32)) as old:
        # today's code writes the expiry column of migration 5: give it one while writing, then
        # take it away again, so the file is exactly what version 3 left
        conn = old.store._conn  # type: ignore[attr-defined]
        conn.execute("ALTER TABLE memories ADD COLUMN expires_at TEXT")
        conn.execute(
            "CREATE INDEX memories_expiry ON memories(expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL"
        )
        old.add(
            ["我的姐姐住在布尔诺", "I like green tea", "제 언니는 부산에 살아요"], user_id="u", infer=False
        )
        gone = old.add("我喜欢喝咖啡", user_id="u", infer=False).added[0]
        old.delete(gone.id)
        assert old.store.search_keyword(Scope(user_id="u"), "姐姐", None, 5) == []  # one token per clause
        conn.execute("DROP INDEX memories_expiry")
        conn.execute("ALTER TABLE memories DROP COLUMN expires_at")
    monkeypatch.undo()
    with Memory(path, embedder=HashingEmbedder(32)) as new:
        assert new.store.stats()["schema_version"] == len(_sqlite_schema.MIGRATIONS)
        scope = Scope(user_id="u")
        assert [m.text for m, _ in new.store.search_keyword(scope, "姐姐住在哪里", None, 5)] == [
            "我的姐姐住在布尔诺"
        ]
        assert [m.text for m, _ in new.store.search_keyword(scope, "언니는", None, 5)] == [
            "제 언니는 부산에 살아요"
        ]
        assert [m.text for m, _ in new.store.search_keyword(scope, "green tea", None, 5)] == [
            "I like green tea"
        ]
        assert new.store.search_keyword(scope, "咖啡", None, 5) == []  # deleted stays out of the index
