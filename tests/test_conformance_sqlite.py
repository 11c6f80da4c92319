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
