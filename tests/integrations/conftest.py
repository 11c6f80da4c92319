"""What several host test files share."""

from __future__ import annotations

import subprocess
import sys


def learn_then_recall(script: str, store: str) -> str:
    """Run ``script`` once as ``learn`` and then, in a fresh process, as ``recall``; what recall printed."""
    subprocess.run([sys.executable, "-c", script, store, "learn"], check=True, timeout=300)
    done = subprocess.run(
        [sys.executable, "-c", script, store, "recall"], check=True, timeout=300, capture_output=True, text=True
    )
    return done.stdout
