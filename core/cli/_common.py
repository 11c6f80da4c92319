"""What the subcommands share: opening the memory, scope options, formatting."""

from __future__ import annotations

import argparse
from typing import Any

from ..memory import Memory
from ..types import MemoryItem


def add_scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", "-u", dest="user_id", help="user_id scope")
    parser.add_argument("--agent", "-a", dest="agent_id", help="agent_id scope")
    parser.add_argument("--run", "-r", dest="run_id", help="run_id (session) scope")


def scope_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {"user_id": args.user_id, "agent_id": args.agent_id, "run_id": args.run_id}


def open_memory(args: argparse.Namespace) -> Memory:
    return Memory(args.db)


def format_item(item: MemoryItem) -> str:
    owner = ", ".join(
        f"{k}={v}" for k, v in (("user", item.user_id), ("agent", item.agent_id), ("run", item.run_id)) if v
    )
    score = f"{item.score:.3f}  " if item.score is not None else ""
    gone = "  [deleted]" if item.deleted_at else ""
    return f"{score}{item.id}  {item.text}\n    {item.memory_type.value}; {owner}; {item.created_at}{gone}"
