"""export / import: JSON Lines, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from ..transfer import export_records, import_items, read_jsonl, write_jsonl
from . import emit
from ._common import open_memory


def _export(args: argparse.Namespace) -> int:
    skipped: list[str] = []
    with open_memory(args) as memory:
        total = memory.store.count(include_deleted=True)
        records = tqdm(
            export_records(memory.store, skipped=skipped),
            total=total,
            unit="mem",
            disable=args.quiet,
            file=sys.stderr,
        )
        if args.file == "-":
            count = write_jsonl(records, sys.stdout)
        else:
            with open(args.file, "w", encoding="utf-8") as out:
                count = write_jsonl(records, out)
    note = ""
    if skipped:
        shown = ", ".join(skipped[:20]) + (" ..." if len(skipped) > 20 else "")
        note = f"; skipped {len(skipped)} holding invalid UTF-8 or NUL (fix or delete them): {shown}"
    if args.file != "-":
        emit(
            args,
            {"exported": count, "file": args.file, **({"skipped": skipped} if skipped else {})},
            f"exported {count} memories to {args.file}{note}",
        )
    elif note:
        print(f"memspan: exported {count} memories{note}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        # every record is read and checked before the first is written: a bad line refuses the file
        total = sum(1 for _ in read_jsonl(handle))
    with open_memory(args) as memory, open(path, encoding="utf-8", errors="surrogateescape") as handle:
        bar = tqdm(total=total, unit="mem", disable=args.quiet, file=sys.stderr)
        report = import_items(memory.store, read_jsonl(handle), embedder=memory.embedder, progress=bar)
        bar.close()
    emit(
        args,
        {"imported": report.imported, "skipped": report.skipped},
        f"imported {report.imported} memories ({report.skipped} already present)",
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export", help="write every memory and its history as JSON Lines")
    p.add_argument("file", help="output file, or - for stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=_export)

    p = sub.add_parser("import", help="read memories from a JSON Lines export (resumable)")
    p.add_argument("file")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=_import)
