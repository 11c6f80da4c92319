"""Writers racing on one memory or scope, on SQLite and the real PostgreSQL server: an acknowledged
delete or delete_all stays done, history stays one chain, identical adds store once.

Each race (``memspan.testing.races``) failed in 20–100 of 100 trials before writes were decided
inside the write transaction; here it must not fail once. The long runs (1,000+ trials per race and
backend) are ``python benchmarks/races.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from memspan.testing.races import run_races

TRIALS = {"threads": 100, "processes": 40}


def _check(location: str, mode: Any, figures: Any, backend: str) -> None:
    broken = []
    for counts in run_races(location, TRIALS[mode], mode=mode):
        figures(
            suite="races",
            backend=backend,
            race=counts.race,
            mode=mode,
            trials=counts.trials,
            violations=counts.violations,
            outcomes=dict(counts.outcomes),
        )
        assert counts.unexpected_errors == 0, (counts.race, counts.outcomes)
        # the race was real: each trial had a writer whose call was acknowledged
        assert counts.outcomes["ok"] >= counts.trials, (counts.race, counts.outcomes)
        if counts.violations:
            broken.append(f"{counts.race}: {counts.violations} of {counts.trials} trials")
    assert not broken, broken


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_races_on_sqlite(tmp_path: Path, mode: str, figures: Any) -> None:
    _check(str(tmp_path / "races.db"), mode, figures, "sqlite")


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_races_on_postgres(pg_server: Any, mode: str, figures: Any) -> None:
    _check(f"{pg_server.url}?schema=races_{mode}", mode, figures, "postgres")


async def test_async_update_racing_delete_on_sqlite(tmp_path: Path) -> None:
    """AsyncMemory runs the same flows, store calls in worker threads: the same promise holds."""
    import asyncio

    from memspan import AsyncMemory
    from memspan.embedders import HashingEmbedder

    memory = AsyncMemory(tmp_path / "async.db", embedder=HashingEmbedder(64))
    resurrected = 0
    for trial in range(60):
        added = await memory.add(f"async note {trial}", user_id=f"u{trial}", infer=False)
        memory_id = added.changes[0].item.id
        outcomes = await asyncio.gather(
            memory.update(memory_id, f"changed {trial}"),
            memory.delete(memory_id),
            memory.update(memory_id, f"again {trial}"),
            return_exceptions=True,
        )
        assert all(not isinstance(o, Exception) or type(o).__name__ == "NotFoundError" for o in outcomes)
        if not isinstance(outcomes[1], Exception):
            resurrected += (await memory.get(memory_id, include_deleted=True)).deleted_at is None
    await memory.aclose()
    assert resurrected == 0
