"""Fixtures every suite shares: a real SQLite file per test and the real bundled embedder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan import AsyncMemory, Memory
from memspan.config import default_embedder
from memspan.ports import Embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled MiniLM model, loaded once for the whole run."""
    return default_embedder()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "memspan.db"


@pytest.fixture
def memory(db_path: Path, embedder: Embedder) -> Iterator[Memory]:
    with Memory(db_path, embedder=embedder) as m:
        yield m


@pytest.fixture
async def amemory(db_path: Path, embedder: Embedder) -> AsyncMemory:
    m = AsyncMemory(db_path, embedder=embedder)
    yield m  # type: ignore[misc]
    await m.aclose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("MEMSPAN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="long version: set MEMSPAN_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
