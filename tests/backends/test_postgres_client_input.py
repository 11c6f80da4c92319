"""Client input PostgreSQL cannot take is refused as client input (422), never a 5xx: filter values
with NUL or a lone surrogate, and text with no features (a zero vector, whose cosine is NaN)."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.errors import FilterError
from memspan.server.service_db import ServiceDB
from memspan.testing import PostgresTestServer
from memspan.testing.rest_fuzz import RestFuzzer


@pytest.fixture
def memory(pg_server: PostgresTestServer) -> Iterator[Memory]:
    with Memory(f"{pg_server.url}?schema=c_{uuid.uuid4().hex[:10]}", embedder=HashingEmbedder(64)) as m:
        yield m


@pytest.mark.parametrize("value", ["a\x00b", "\udc80", ["ok", "x\udc80"]])
def test_a_filter_value_postgres_cannot_hold_is_a_filter_error(memory: Memory, value: object) -> None:
    memory.add("Ana likes tea", user_id="ana", infer=False, metadata={"topic": "drinks"})
    with pytest.raises(FilterError):
        memory.search("tea", user_id="ana", filters={"topic": value})
    with pytest.raises(FilterError):
        memory.get_all(
            user_id="ana", filters={"topic": {"in": value if isinstance(value, list) else [value]}}
        )


def test_text_without_features_scores_zero_not_nan(memory: Memory) -> None:
    memory.add(["Ana likes tea", "%", "; -- *"], user_id="ana", infer=False)
    scores = [item.score for item in memory.search("tea", user_id="ana", limit=10)]
    assert len(scores) == 3 and all(s is not None and math.isfinite(s) for s in scores)


def test_hostile_requests_on_postgres_get_4xx_and_store_nothing_poisoned(
    memory: Memory, tmp_path: Path
) -> None:
    logging.disable(logging.CRITICAL)
    try:
        db = ServiceDB(tmp_path / "s.db")
        report = RestFuzzer(memory, db, backend="postgres", seed=5).run(300)
        db.close()
    finally:
        logging.disable(logging.NOTSET)
    assert report.server_errors == [] and report.unclear_errors == [] and report.poisoned == []
    assert report.statuses[200] > 10
