"""The personal-memory section of docs/benchmarks.md, from ``benchmarks/personal.py``'s JSON.

``report.write`` includes it when the results hold a ``personal`` part. Run on its own, it replaces
just this section in an existing docs/benchmarks.md (the LOCOMO and scale parts take far longer to
rerun than the personal set):

    python benchmarks/report_personal.py benchmarks/results/personal.json docs/benchmarks.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HEADING = "## Personal-memory set (7 languages, no LLM)"
LANG_ORDER = ("en", "de", "es", "fr", "ja", "zh", "ko")
#: the targets of issue #16: recall@5 in every language, recall@1 in English and elsewhere
TARGET_R5, TARGET_R1_EN, TARGET_R1_OTHER = 90.0, 85.0, 70.0


def _cell(block: dict[str, Any]) -> str:
    return f"{block['recall_at_1']:.1f} · {block['recall_at_5']:.1f}"


def _targets_met(langs: dict[str, Any]) -> list[str]:
    missed = []
    for lang, entry in langs.items():
        d = entry["configs"].get("default")
        if d is None:
            continue
        r1_target = TARGET_R1_EN if lang == "en" else TARGET_R1_OTHER
        if d["recall_at_5"] < TARGET_R5 or d["recall_at_1"] < r1_target:
            missed.append(lang)
    return missed


def section(personal: dict[str, Any]) -> list[str]:
    lines = [
        HEADING,
        "",
        "Short facts users tell an assistant (`benchmarks/personal/`, written natively per language: 3 users × "
        "35+ facts, near-distractors on purpose) and 35+ questions per user as an agent would ask them, each "
        "answered by exactly one fact; about a quarter share a word with their fact, the rest are paraphrased. "
        "All users of a language in ONE store (`infer=False`, five facts per `add` as if told over several "
        "conversations); every question searched in its user's scope. Cells: **recall@1 · recall@5** (%). "
        "`python benchmarks/personal.py`.",
        "",
    ]
    for name, emb in personal["embedders"].items():
        langs = emb["languages"]
        order = [lang for lang in LANG_ORDER if lang in langs]
        configs = list(next(iter(langs.values()))["configs"]) if langs else []
        lines += [
            f"### Embedder: {name} (`{emb['model_id']}`)",
            "",
            "| configuration | " + " | ".join(order) + " |",
            "|---|" + "---|" * len(order),
        ]
        for config in configs:
            cells = [_cell(langs[lang]["configs"][config]) for lang in order]
            lines.append(f"| {config} | " + " | ".join(cells) + " |")
        if configs and configs[0] == "default":
            mrr = [f"{langs[lang]['configs']['default']['mrr']:.3f}" for lang in order]
            kw = [_cell(langs[lang]["configs"]["default"]["shares_keyword"]) for lang in order]
            no_kw = [_cell(langs[lang]["configs"]["default"]["no_shared_keyword"]) for lang in order]
            lines += [
                "| default, MRR@10 | " + " | ".join(mrr) + " |",
                "| default, questions sharing a word with their fact | " + " | ".join(kw) + " |",
                "| default, paraphrased questions | " + " | ".join(no_kw) + " |",
            ]
            missed = _targets_met(langs)
            lines += [
                "",
                f"Targets (default: recall@5 ≥ {TARGET_R5:.0f} in every language, recall@1 ≥ {TARGET_R1_EN:.0f} in "
                f"English and ≥ {TARGET_R1_OTHER:.0f} elsewhere): "
                + ("met in every language." if not missed else "not met in " + ", ".join(missed) + "."),
            ]
        leaks = sum(c["leaks"] for e in langs.values() for c in e["configs"].values())
        lines += ["", f"Another user's memory in any result list: {leaks} times.", ""]
    if personal.get("missing"):
        lines += [f"Not measured (extra not installed): {', '.join(personal['missing'])}.", ""]
    return lines


def replace_section(doc: str, personal: dict[str, Any]) -> str:
    """``doc`` with this section replaced, else added where ``report.write`` puts it (before the mem0
    comparison), else before "## How it was measured", else at the end."""
    new = "\n".join(section(personal))
    lines = doc.split("\n")
    if HEADING in lines:
        start = lines.index(HEADING)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
            len(lines),
        )
        return "\n".join([*lines[:start], new, *lines[end:]])
    for marker in ("## memspan ÷ mem0", "## How it was measured"):
        if marker in lines:
            at = lines.index(marker)
            return "\n".join([*lines[:at], new, *lines[at:]])
    return doc.rstrip("\n") + "\n\n" + new + "\n"


def main(argv: list[str]) -> int:
    results, docs = Path(argv[0]), Path(argv[1])
    personal = json.loads(results.read_text(encoding="utf-8"))
    docs.write_text(replace_section(docs.read_text(encoding="utf-8"), personal), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
