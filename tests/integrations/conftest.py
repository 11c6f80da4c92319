"""What several host test files share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: what the cross-process scripts learn, and must recall in a fresh process
FAMILY_FACT = "My daughter Ines is allergic to shellfish."


def learn_then_recall(script: str, store: str) -> str:
    """Run ``script`` once as ``learn`` and then, in a fresh process, as ``recall``; what recall printed."""
    subprocess.run([sys.executable, "-c", script, store, "learn"], check=True, timeout=300)
    done = subprocess.run(
        [sys.executable, "-c", script, store, "recall"], check=True, timeout=300, capture_output=True, text=True
    )
    return done.stdout


def assert_recalled_in_a_fresh_process(script: str, tmp_path: Path) -> None:
    """``script`` learns :data:`FAMILY_FACT` in one process; another process must recall it."""
    recalled = learn_then_recall(script, str(tmp_path / "shared.db"))
    assert FAMILY_FACT in recalled, recalled


def run_example(name: str) -> str:
    """Run ``examples/<name>`` in its own process (offline, as a reader would) and return what it printed."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], check=True, timeout=300, capture_output=True, text=True
    )
    return done.stdout
