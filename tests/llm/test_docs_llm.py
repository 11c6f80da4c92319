"""docs/llm.md's offline examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "llm.md"
OFFLINE = [
    b
    for b in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    if "# runs offline" in b
]


@pytest.mark.parametrize("block", OFFLINE)
def test_offline_example_runs(block: str) -> None:
    exec(compile(block, str(DOC), "exec"), {"__name__": "docs_example"})


def test_the_doc_has_an_offline_example() -> None:
    assert OFFLINE
