"""A CI-sized run of the hostile-client fuzzer on SQLite (benchmarks/rest_fuzz.py sends thousands,
on SQLite and PostgreSQL): no 5xx for client input, clear error bodies, no poisoned record stored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.server.service_db import ServiceDB
from memspan.testing.rest_fuzz import RestFuzzer


@pytest.mark.parametrize("seed", [1, 2])
def test_hostile_requests_get_4xx_and_store_nothing_poisoned(tmp_path: Path, seed: int) -> None:
    logging.disable(logging.CRITICAL)  # each 5xx would log a traceback; the report lists them
    try:
        with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64)) as memory:
            db = ServiceDB(tmp_path / "s.db")
            report = RestFuzzer(memory, db, backend="sqlite", seed=seed).run(300)
            db.close()
    finally:
        logging.disable(logging.NOTSET)
    assert report.requests == 300
    assert report.server_errors == []
    assert report.unclear_errors == []
    assert report.poisoned == []
    # the run reached the store, not only the request checks
    assert report.statuses[200] > 10 and report.stored > 0
