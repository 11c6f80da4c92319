"""The ``memspan`` command. Each module in :data:`COMMAND_MODULES` adds its subcommands."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..errors import MemspanError

#: modules under memspan.cli that define ``register(subparsers)``; order is the help order
COMMAND_MODULES = ["memories", "transfer", "service", "migrate", "reembed"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memspan",
        description="Long-term memory for AI agents. Every command works on one store (--db).",
    )
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="store file or URL (default: $MEMSPAN_STORE or ~/.memspan/memspan.db)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON with --json, else the human-readable ``text``."""
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif text:
        print(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except MemspanError as exc:
        print(f"memspan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
