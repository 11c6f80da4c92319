"""docs/service.md's examples run as written, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import Svc

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_python_examples_run_against_the_service(svc: Svc, live: str, tmp_path: Path) -> None:
    key = svc.key("docs", ({"user_id": "alice"}, "write"))
    env = {**os.environ, "MEMSPAN_URL": live, "MEMSPAN_API_KEY": key}
    assert blocks("python")
    for code in blocks("python"):
        script = tmp_path / "example.py"
        script.write_text(code, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
    assert "peanuts" in result.stdout


def test_json_examples_parse() -> None:
    for code in blocks("json"):
        json.loads(code)
