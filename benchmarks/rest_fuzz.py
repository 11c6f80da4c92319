"""Fuzz the REST service as a hostile client would, on SQLite and on a real PostgreSQL server.

    python benchmarks/rest_fuzz.py                      # 5,000 requests on each backend
    python benchmarks/rest_fuzz.py --requests 500 --backend sqlite

Targets (issue #18): 0 answers 5xx for client input, 0 poisoned records stored, every error body
in the documented shape without internal exception text. Prints one JSON summary per backend and
writes them to ``benchmarks/results/rest_fuzz.json``. The requests come from a seeded generator
(:mod:`memspan.testing.rest_fuzz`), so a run can be repeated exactly with the same ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from memspan import Memory
from memspan.embedders import HashingEmbedder
from memspan.server.service_db import ServiceDB
from memspan.testing.rest_fuzz import RestFuzzer

ROOT = Path(__file__).resolve().parent.parent


def run(backend: str, requests: int, seed: int, tmp: Path) -> dict[str, Any]:
    server = None
    if backend == "postgres":
        from memspan.testing import start_postgres

        server = start_postgres()
        location = f"{server.url}?schema=fuzz_{uuid.uuid4().hex[:8]}"
    else:
        location = str(tmp / "fuzz.db")
    memory = Memory(location, embedder=HashingEmbedder(64))
    db = ServiceDB(tmp / f"{backend}.service.db")
    started = time.monotonic()
    try:
        report = RestFuzzer(memory, db, backend=backend, seed=seed).run(requests)
    finally:
        memory.close()
        db.close()
        if server is not None:
            server.stop()
    return {**report.summary(), "seed": seed, "seconds": round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "rest_fuzz.json")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # the server logs every 5xx; the summary lists them
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            summary = run(backend, args.requests, args.seed, Path(tmp))
            print(json.dumps(summary, ensure_ascii=True, indent=2), flush=True)
            results.append(summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=True, indent=2) + "\n")
    return 0 if all(r["5xx"] == 0 and r["poisoned_records"] == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
