"""add, search, list, get, history, delete, delete-all, sweep, stats."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import ValidationError
from . import emit
from ._common import add_scope_options, format_item, open_memory, scope_kwargs


def _json_option(value: str | None, option: str) -> Any:
    """A JSON command-line option, or a clear error (never a traceback) when it is not JSON."""
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{option} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValidationError(f"{option} is nested too deeply") from None


def _add(args: argparse.Namespace) -> int:
    metadata = _json_option(args.metadata, "--metadata")
    with open_memory(args) as memory:
        result = memory.add(
            args.text, metadata=metadata, memory_type=args.type, infer=not args.verbatim,
            expires_at=args.expires_at, ttl=args.ttl, **scope_kwargs(args),
        )  # fmt: skip
    lines = [f"{c.event.value:6} {c.item.id}  {c.item.text}" for c in result.changes] or [
        "nothing worth remembering"
    ]
    emit(args, result.to_dict(), "\n".join(lines))
    return 0


def _search(args: argparse.Namespace) -> int:
    filters = _json_option(args.filters, "--filters")
    with open_memory(args) as memory:
        result = memory.search(
            args.query, filters=filters, limit=args.limit, threshold=args.threshold, **scope_kwargs(args)
        )
    emit(args, result.to_dict(), "\n".join(map(format_item, result)) or "no memories found")
    return 0


def _list(args: argparse.Namespace) -> int:
    filters = _json_option(args.filters, "--filters")
    with open_memory(args) as memory:
        items = memory.get_all(
            filters=filters, limit=args.limit, include_deleted=args.deleted, **scope_kwargs(args)
        )
    emit(args, {"results": [i.to_dict() for i in items]}, "\n".join(map(format_item, items)) or "no memories")
    return 0


def _get(args: argparse.Namespace) -> int:
    with open_memory(args) as memory:
        item = memory.get(args.id, include_deleted=True)
    emit(args, item.to_dict(), format_item(item))
    return 0


def _history(args: argparse.Namespace) -> int:
    with open_memory(args) as memory:
        events = memory.history(args.id)
    text = "\n".join(f"{e.created_at}  {e.event.value:6} {e.old_text!r} -> {e.new_text!r}" for e in events)
    emit(args, {"results": [e.to_dict() for e in events]}, text)
    return 0


def _delete(args: argparse.Namespace) -> int:
    with open_memory(args) as memory:
        item = memory.delete(args.id)
    emit(args, item.to_dict(), f"deleted {item.id} (kept in history)")
    return 0


def _delete_all(args: argparse.Namespace) -> int:
    if not args.yes:
        print("memspan: refusing to delete a whole scope without --yes", flush=True)
        return 2
    with open_memory(args) as memory:
        count = memory.delete_all(purge=args.purge, **scope_kwargs(args))
    emit(
        args,
        {"deleted": count, "purged": args.purge},
        f"{'purged' if args.purge else 'deleted'} {count} memories",
    )
    return 0


def _sweep(args: argparse.Namespace) -> int:
    with open_memory(args) as memory:
        count = memory.sweep_expired(**scope_kwargs(args))
    emit(args, {"swept": count}, f"deleted {count} expired memories (kept in history)")
    return 0


def _stats(args: argparse.Namespace) -> int:
    with open_memory(args) as memory:
        stats_method = getattr(memory.store, "stats", None)
        stats = stats_method() if stats_method else {"memories": memory.store.count()}
    emit(args, stats, "\n".join(f"{k:15} {v}" for k, v in stats.items()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("add", help="remember a text")
    p.add_argument("text")
    add_scope_options(p)
    p.add_argument("--metadata", help="JSON object")
    p.add_argument("--type", choices=["semantic", "episodic", "procedural"])
    p.add_argument("--verbatim", action="store_true", help="store the text as is (infer=False)")
    p.add_argument("--ttl", type=float, help="seconds until the memory expires")
    p.add_argument("--expires-at", help="ISO-8601 instant when the memory expires")
    p.set_defaults(handler=_add)

    p = sub.add_parser("search", help="find the memories that match a query")
    p.add_argument("query")
    add_scope_options(p)
    p.add_argument("--filters", help='JSON filter, e.g. \'{"topic": "food"}\'')
    p.add_argument("--limit", "-k", type=int, default=10)
    p.add_argument("--threshold", type=float)
    p.set_defaults(handler=_search)

    p = sub.add_parser("list", help="list a scope's memories, newest first")
    add_scope_options(p)
    p.add_argument("--filters")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--deleted", action="store_true", help="include deleted memories")
    p.set_defaults(handler=_list)

    p = sub.add_parser("get", help="show one memory")
    p.add_argument("id")
    p.set_defaults(handler=_get)

    p = sub.add_parser("history", help="every change to one memory")
    p.add_argument("id")
    p.set_defaults(handler=_history)

    p = sub.add_parser("delete", help="delete one memory (its history is kept)")
    p.add_argument("id")
    p.set_defaults(handler=_delete)

    p = sub.add_parser("delete-all", help="delete every memory of a scope")
    add_scope_options(p)
    p.add_argument("--purge", action="store_true", help="erase memories and history for good")
    p.add_argument("--yes", action="store_true", help="confirm")
    p.set_defaults(handler=_delete_all)

    p = sub.add_parser("sweep", help="delete expired memories (of a scope, or all); cron-friendly")
    add_scope_options(p)
    p.set_defaults(handler=_sweep)

    p = sub.add_parser("stats", help="counts and sizes of the store")
    p.set_defaults(handler=_stats)
