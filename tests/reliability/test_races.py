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

from memspan.testing.races import RACES, run_race

TRIALS = {"threads": 100, "processes": 30}


def _check(location: str, race: str, mode: Any, figures: Any, backend: str) -> None:
    counts = run_race(location, race, TRIALS[mode], mode=mode)
    figures(
        suite="races",
        backend=backend,
        race=race,
        mode=mode,
        trials=counts.trials,
        violations=counts.violations,
        outcomes=dict(counts.outcomes),
    )
    assert counts.unexpected_errors == 0, counts.outcomes
    assert counts.violations == 0, f"{counts.violations} of {counts.trials} trials broke {race}"
    # the race was real: somebody acknowledged each trial
    assert counts.outcomes["ok"] >= counts.trials


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("race", RACES)
def test_races_on_sqlite(tmp_path: Path, race: str, mode: str, figures: Any) -> None:
    _check(str(tmp_path / "races.db"), race, mode, figures, "sqlite")


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("race", RACES)
def test_races_on_postgres(pg_server: Any, race: str, mode: str, figures: Any) -> None:
    schema = f"races_{race}_{mode}"
    _check(f"{pg_server.url}?schema={schema}", race, mode, figures, "postgres")
