"""Regression guard for retrieval quality: LOCOMO's first conversation through the real benchmark.

Runs ``benchmarks/run_all.py --quick`` (real store, real embedder, one conversation) and fails if
recall@10 fell more than the allowed drop below the figure committed in ``benchmarks/committed.json``.
LOCOMO itself is never in this repository: the test reads it from ``shared/`` beside the checkout
(or ``$LOCOMO_PATH``) and is skipped, saying so, when it is not there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
DATA = Path(os.environ.get("LOCOMO_PATH") or ROOT.parent / "shared" / "data" / "locomo" / "locomo_dev5.json")


def _quick(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "quick.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "run_all.py"),
            "--quick",
            "--data",
            str(DATA),
            "--workdir",
            str(tmp_path),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())  # type: ignore[no-any-return]


@pytest.mark.skipif(not DATA.exists(), reason=f"LOCOMO data not found at {DATA} (set LOCOMO_PATH)")
def test_locomo_recall_at_10_has_not_regressed(tmp_path: Path) -> None:
    committed = json.loads((BENCH / "committed.json").read_text())["quick"]
    result = _quick(tmp_path)["locomo"]
    turns = result["modes"]["turns"]["configs"]["default"]
    recall = turns["overall"]["recall"]["10"]
    assert result["conversations"] == 1 and result["questions"] > 100
    assert turns["leaks"] == 0
    assert recall >= committed["recall_at_10"] - committed["allowed_drop"], (
        f"LOCOMO recall@10 fell to {recall:.1f} from the committed {committed['recall_at_10']:.1f}; "
        "measure the change with `python benchmarks/run_all.py` before lowering the figure"
    )
