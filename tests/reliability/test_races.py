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
        assert counts.integrity == "ok", (counts.race, counts.integrity)
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


def test_an_extractor_update_of_a_memory_deleted_meanwhile_is_planned_again(tmp_path: Path) -> None:
    """A model decides to UPDATE a memory it was shown; while it thinks, another caller deletes that
    memory. The old code wrote the update anyway and the deleted memory was live again; now the add
    sees the store refuse it and asks the model again, with the scope as it is now."""
    from memspan import Memory
    from memspan.embedders import HashingEmbedder
    from memspan.ports import Decision, ExtractionPlan, ExtractionRequest, Extractor

    path = tmp_path / "plan.db"
    other = Memory(path, embedder=HashingEmbedder(64))
    target = other.add("Ana works as a nurse", user_id="ana", infer=False).changes[0].item

    class Deciding(Extractor):
        context_size = 5

        def __init__(self) -> None:
            self.shown: list[list[str]] = []

        def extract(self, request: ExtractionRequest) -> ExtractionPlan:
            self.shown.append([c.item.id for c in request.existing])
            if request.existing:
                other.delete(target.id)  # the concurrent delete lands while the model thinks
                return ExtractionPlan([Decision("UPDATE", text="Ana works as a surgeon", target_ref=0)])
            return ExtractionPlan([Decision("ADD", text="Ana works as a surgeon")])

    extractor = Deciding()
    with Memory(path, embedder=HashingEmbedder(64), extractor=extractor) as memory:
        result = memory.add("Ana is a surgeon now", user_id="ana")
        assert [c.event.value for c in result.changes] == ["ADD"]
        assert extractor.shown == [[target.id], []]
        assert memory.get(target.id, include_deleted=True).deleted_at is not None
        assert [m.text for m in memory.get_all(user_id="ana")] == ["Ana works as a surgeon"]
    other.close()
