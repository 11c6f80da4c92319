"""``memspan reembed --to MODEL``: switch a store to another embedding model.

Vectors of two models cannot be compared, so a store records its model and refuses any other. To
switch, every memory (deleted ones included, so that their history stays whole) is embedded again
with the new model and written, with its history, into a new store; the counts of both must then
agree. The copy keeps ids, so an interrupted run is resumed by running the same command again:
what the new store already holds is skipped.

For an SQLite file the new store is a work file beside it (``<file>.reembed``); at the end the old
file is kept as ``<file>.before-reembed`` and the new one takes its name, so ``Memory(path)`` and
every ``memspan`` command go on working on the same path (the store names its model, and
``Memory`` picks it). Other backends write into ``--into URL``: point your configuration at it
when the command succeeds. Do not write to the store while it is re-embedded: memories changed
after they were copied keep their old text in the new store.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from ..config import default_location, named_embedder, open_store, stored_model
from ..errors import StoreError, ValidationError
from ..ports import Embedder, MemoryStore
from ..transfer import import_items
from . import emit

WORK_SUFFIX = ".reembed"
KEPT_SUFFIX = ".before-reembed"
_SIDE_FILES = ("-wal", "-shm")


def reembed_into(
    source: MemoryStore, target: MemoryStore, embedder: Embedder, *, batch_size: int = 64, quiet: bool = False
) -> dict[str, int]:
    """Copy every memory of ``source`` with its history into ``target``, embedded by ``embedder``."""
    total = source.count(include_deleted=True)
    records = ((item, source.history(item.id)) for item in source.iter_memories(include_deleted=True))
    with tqdm(total=total, unit="mem", disable=quiet, file=sys.stderr, desc="re-embedding") as bar:
        report = import_items(target, records, embedder=embedder, batch_size=batch_size, progress=bar)
    for what, had, has in (
        ("", source.count(include_deleted=True), target.count(include_deleted=True)),
        (" live", source.count(), target.count()),
    ):
        if had != has:
            raise StoreError(
                f"after re-embedding, the old store has {had}{what} memories but the new one {has}; "
                "run the same command again to resume, and do not write to the store meanwhile"
            )
    return {"embedded": report.imported, "skipped": report.skipped, "memories": total}


def _move(src: Path, dst: Path) -> None:
    """Rename an SQLite file with its WAL side files (none should be left after a clean close)."""
    os.replace(src, dst)
    for side in _SIDE_FILES:
        if Path(f"{src}{side}").exists():
            os.replace(f"{src}{side}", f"{dst}{side}")


def finish_interrupted_swap(path: Path) -> bool:
    """A run stopped between the two renames: the old file is kept aside, the new one still waits."""
    work, kept = Path(f"{path}{WORK_SUFFIX}"), Path(f"{path}{KEPT_SUFFIX}")
    if not path.exists() and work.exists() and kept.exists():
        _move(work, path)
        return True
    return False


def reembed_sqlite_file(
    path: Path, embedder: Embedder, *, batch_size: int = 64, quiet: bool = False
) -> dict[str, int | str]:
    """Re-embed an SQLite file in place (through a work file; the old file is kept beside it)."""
    from ..stores.sqlite import SQLiteStore

    if finish_interrupted_swap(path):
        return {"embedded": 0, "skipped": 0, "memories": -1, "kept": f"{path}{KEPT_SUFFIX}"}
    if not path.exists():
        raise ValidationError(f"no memspan store at {path}")
    work, kept = Path(f"{path}{WORK_SUFFIX}"), Path(f"{path}{KEPT_SUFFIX}")
    source = SQLiteStore(path)
    current = stored_model(source)
    if current == embedder.model_id or kept.exists():
        source.close()
        if current == embedder.model_id:
            raise ValidationError(f"{path} is already embedded with {current!r}")
        raise ValidationError(f"{kept} is still there from an earlier switch; move or delete it first")
    target = SQLiteStore(work)
    try:
        result: dict[str, int | str] = dict(
            reembed_into(source, target, embedder, batch_size=batch_size, quiet=quiet)
        )
    finally:
        source.close()
        target.close()
    _move(path, kept)
    _move(work, path)
    result["kept"] = str(kept)
    return result


def _reembed(args: argparse.Namespace) -> int:
    embedder = named_embedder(args.model)
    location = args.db or default_location()
    scheme, sep, rest = location.partition("://")
    if args.into:
        source, target = open_store(location), open_store(args.into)
        try:
            if stored_model(source) == embedder.model_id:
                raise ValidationError(f"{location} is already embedded with {embedder.model_id!r}")
            result: dict[str, int | str] = dict(
                reembed_into(source, target, embedder, batch_size=args.batch_size, quiet=args.quiet)
            )
        finally:
            source.close()
            target.close()
        text = f"re-embedded {result['memories']} memories with {embedder.model_id} into {args.into}"
    elif not sep or scheme.lower() == "sqlite":
        path = Path(os.path.expanduser(rest.removeprefix("/") if sep else location))
        result = reembed_sqlite_file(path, embedder, batch_size=args.batch_size, quiet=args.quiet)
        text = (
            f"{path} now uses {embedder.model_id} ({result['embedded']} memories embedded, "
            f"{result['skipped']} from an earlier run); the old file is kept as {result['kept']}"
        )
    else:
        raise ValidationError(f"a {scheme} store is re-embedded into a new one: pass --into URL")
    emit(args, {**result, "model": embedder.model_id}, text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "reembed",
        help="switch the store to another embedding model (resumable, history kept)",
        description="Embed every memory again with another model, e.g. --to multilingual-e5-small. "
        "An SQLite file is switched in place (the old file is kept beside it); other stores are "
        "copied into --into URL. Interrupted? Run the same command again.",
    )
    p.add_argument("--to", dest="model", required=True, help="minilm or multilingual-e5-small")
    p.add_argument("--into", metavar="URL", help="write the re-embedded store here instead of in place")
    p.add_argument("--batch-size", type=int, default=64, help="memories per write (default 64)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(handler=_reembed)
