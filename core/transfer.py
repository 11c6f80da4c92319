"""Moving memories between stores and files: JSON Lines export/import, store-to-store copy.

One line per memory: ``{"memory": {...}, "history": [...]}``. Import keeps ids, so running it again
after an interruption skips what is already there (it is resumable), and history comes along.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from .errors import ValidationError
from .ports import Embedder, MemoryStore
from .types import HistoryEvent, MemoryItem


def item_from_dict(data: dict[str, Any]) -> MemoryItem:
    try:
        return MemoryItem.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"not a memspan memory record: missing or bad field {exc}") from None


def export_records(store: MemoryStore, *, include_deleted: bool = True) -> Iterator[dict[str, Any]]:
    for item in store.iter_memories(include_deleted=include_deleted):
        yield {"memory": item.to_dict(), "history": [e.to_dict() for e in store.history(item.id)]}


def write_jsonl(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def read_jsonl(lines: Iterable[str]) -> Iterator[tuple[MemoryItem, list[HistoryEvent]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield (
                item_from_dict(record["memory"]),
                [HistoryEvent.from_dict(e) for e in record.get("history", [])],
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"line {number}: not a memspan export record ({exc})") from None


@dataclass
class ImportReport:
    imported: int = 0
    skipped: int = 0


def import_items(
    target: MemoryStore,
    records: Iterable[tuple[MemoryItem, list[HistoryEvent]]],
    *,
    embedder: Embedder,
    source: MemoryStore | None = None,
    batch_size: int = 256,
    progress: Any = None,
) -> ImportReport:
    """Write records into ``target``, skipping ids it already has. Vectors are copied from
    ``source`` when it used the same embedder, else computed with ``embedder``."""
    target.bind_embedder(embedder.model_id, embedder.dimension)
    report = ImportReport()
    batch: list[tuple[MemoryItem, list[HistoryEvent]]] = []

    def flush() -> None:
        fresh = [(item, events) for item, events in batch if target.get(item.id) is None]
        report.skipped += len(batch) - len(fresh)
        if fresh:
            items = [item for item, _ in fresh]
            copied = source.vectors([i.id for i in items]) if source is not None else {}
            missing = [i for i in items if i.id not in copied]
            if missing:
                computed = embedder.embed([i.text for i in missing], kind="document")
                copied.update({i.id: v for i, v in zip(missing, computed, strict=True)})
            vectors = np.stack([copied[i.id] for i in items]).astype(np.float32)
            events = [e for _, evs in fresh for e in evs]
            target.insert(items, vectors, events)
            report.imported += len(fresh)
        if progress is not None:
            progress.update(len(batch))
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    flush()
    return report
