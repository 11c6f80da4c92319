"""The example at the top of docs/graph.md runs, and says what it claims."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "graph.md"


def test_graph_doc_example_runs(tmp_path: Path) -> None:
    block = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    checks = """
assert [r.target for r in memory.graph.relations(user_id="ana", entity="user")] == ["Paris"]
assert [r.target for r in memory.graph.relations(user_id="ana", entity="user", as_of="2022-06-30")] == ["Lisbon"]
assert {r.target for r in hits.relations} >= {"Paris"}
memory.close()
"""
    script = tmp_path / "example.py"
    script.write_text(block.group(1) + checks, encoding="utf-8")
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=True, timeout=300)
    assert (tmp_path / "memspan.graph.kuzu").exists()
