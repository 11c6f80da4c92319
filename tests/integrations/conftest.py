"""What several host test files share."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INTEGRATION_DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations"
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


def load_example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``examples/<name>`` in this process, registered in ``sys.modules`` while the test runs
    (pydantic resolves the example's annotations there)."""
    path = EXAMPLES / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, example)
    spec.loader.exec_module(example)
    return example


def python_blocks(doc: str) -> list[str]:
    """The ```python blocks of ``docs/integrations/<doc>``, in order."""
    return re.findall(r"```python\n(.*?)```", (INTEGRATION_DOCS / doc).read_text(encoding="utf-8"), re.S)


def run_block(code: str, label: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run one documentation block as a script in ``tmp_path`` (the snippets open memspan.db in the
    working directory)."""
    monkeypatch.chdir(tmp_path)
    exec(compile(code, label, "exec"), {"__name__": "__main__"})
