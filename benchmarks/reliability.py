"""The long versions of the reliability suites, in one command, with the figures they measured.

    python benchmarks/reliability.py            # every long suite (tens of minutes on 2 cores)
    python benchmarks/reliability.py -k crash   # some of them (a pytest -k expression)

It runs ``tests/reliability`` with ``MEMSPAN_SLOW=1``: the tests marked ``slow`` run (the long
sizes of the code CI runs quickly) and the property tests draw many more examples. It collects what
each test recorded, prints one line per test, and writes them all to
``benchmarks/results/reliability.json``; docs/reliability.md quotes these.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "reliability.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "figures.jsonl"
        env = {**os.environ, "MEMSPAN_SLOW": "1", "MEMSPAN_RELIABILITY_REPORT": str(report)}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests/reliability",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        if args.keyword:
            command += ["-k", args.keyword]
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env)
        elapsed = time.perf_counter() - started
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    for row in rows:
        shown = {k: v for k, v in row.items() if k not in ("test", "suite", "long")}
        print(f"{row['suite']:12} {row['test'].split('::')[-1]:55} {json.dumps(shown, sort_keys=True)}")
    summary = {
        "command": "python benchmarks/reliability.py" + (f" -k {args.keyword!r}" if args.keyword else ""),
        "passed": result.returncode == 0,
        "wall_s": round(elapsed, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "figures": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'passed' if result.returncode == 0 else 'FAILED'} in {elapsed:.0f}s; figures in {args.out}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
