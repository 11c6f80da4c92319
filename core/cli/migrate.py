"""``memspan migrate --from URL --to URL``: copy every memory, its vector and its history.

Vectors are copied, never recomputed, so no embedding model is loaded and the target is bound to
the source's model. The copy keeps ids, so a migration that was interrupted is resumed by running
the same command again (what the target already has is skipped). At the end the source and target
counts, live and deleted, must agree, or the command fails.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from ..config import open_store
from ..errors import StoreError
from ..ports import Embedder, EmbedKind, MemoryStore, Vector
from ..transfer import import_items
from . import emit


class CopiedVectors(Embedder):
    """Stands in for the source's embedding model: vectors come from the source store.

    ``import_items`` asks it only for memories the source holds no vector for, which are the
    deleted ones (never searched); they get a placeholder unit vector.
    """

    def __init__(self, model_id: str, dimension: int):
        self.model_id = model_id
        self._dimension = dimension

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        placeholder = np.zeros((len(texts), self.dimension), dtype=np.float32)
        placeholder[:, 0] = 1.0
        return placeholder


def bound_model(store: MemoryStore) -> tuple[str, int] | None:
    """The embedding model a store's vectors come from, whichever backend it is."""
    info = getattr(store, "embedder_info", None)
    if callable(info):
        found: tuple[str, int] | None = info()
        return found
    stats = getattr(store, "stats", None)
    if callable(stats):
        data = stats()
        if data.get("embedder") and data.get("dimension"):
            return str(data["embedder"]), int(data["dimension"])
        return None
    raise StoreError(f"{type(store).__name__} does not say which embedding model it holds; cannot migrate")


def migrate(
    source: MemoryStore, target: MemoryStore, *, batch_size: int = 256, quiet: bool = False
) -> dict[str, Any]:
    model = bound_model(source)
    total = source.count(include_deleted=True)
    if model is None or total == 0:
        return {"imported": 0, "skipped": 0, "memories": 0, "live": 0}
    records = ((item, source.history(item.id)) for item in source.iter_memories(include_deleted=True))
    with tqdm(total=total, unit="mem", disable=quiet, file=sys.stderr, desc="migrating") as bar:
        report = import_items(
            target,
            records,
            embedder=CopiedVectors(*model),
            source=source,
            batch_size=batch_size,
            progress=bar,
        )
    # rows of the source no store can take (invalid UTF-8 written by an older memspan) are left
    # out and named, not a reason to stop the whole migration
    counts = {
        "memories": (
            source.count(include_deleted=True) - len(report.invalid),
            target.count(include_deleted=True),
        ),
        "live": (source.count() - report.invalid_live, target.count()),
    }
    for what, (had, has) in counts.items():
        if had != has:
            raise StoreError(
                f"after migrating, the source has {had} {what} memories but the target {has}; "
                "run the same command again to resume, and check the target is not shared"
            )
    return {
        "imported": report.imported,
        "skipped": report.skipped,
        "memories": counts["memories"][0],
        "live": counts["live"][0],
        **({"invalid": report.invalid} if report.invalid else {}),
    }


def _invalid_note(ids: list[str]) -> str:
    if not ids:
        return ""
    shown = ", ".join(ids[:20]) + (" ..." if len(ids) > 20 else "")
    return f"\nskipped {len(ids)} memories holding invalid UTF-8 or NUL (fix or delete them): {shown}"


def _migrate(args: argparse.Namespace) -> int:
    source, target = open_store(args.source), open_store(args.target)
    try:
        result = migrate(source, target, batch_size=args.batch_size, quiet=args.quiet)
    finally:
        source.close()
        target.close()
    emit(
        args,
        result,
        f"migrated {result['imported']} memories ({result['skipped']} already there); "
        f"source and target both hold {result['memories']} ({result['live']} live)"
        + _invalid_note(result.get("invalid", [])),
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "migrate",
        help="copy memories, vectors and history from one store to another (resumable)",
        description="Copy every memory with its vector and history, e.g. from sqlite:///memspan.db "
        "to postgresql://user@host/db. Interrupted? Run the same command again.",
    )
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="source store URL or file")
    p.add_argument("--to", dest="target", required=True, metavar="URL", help="target store URL or file")
    p.add_argument("--batch-size", type=int, default=256, help="memories per write (default 256)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=_migrate)
