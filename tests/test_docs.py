"""The README's Python examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("index", range(len(_blocks(ROOT / "README.md"))))
def test_readme_python_blocks_run(index: int, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_blocks(ROOT / "README.md")[index], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


def test_quickstart_remembers_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    command = [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--db", str(db)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "remembered 3 things about Maya" in first.stdout
    assert "I prefer window seats" in first.stdout.split("fresh process")[1]
    assert "someone-else's search for 'peanuts' finds 0 memories" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "skipping run 1" in second.stdout and "I prefer window seats" in second.stdout
