"""Moving memories between stores and files: JSON Lines export/import, store-to-store copy.

One line per memory: ``{"memory": {...}, "history": [...]}``. Import keeps ids, so running it again
after an interruption skips what is already there (it is resumable), and history comes along.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np

from .errors import ValidationError
from .ports import Embedder, MemoryStore
from .types import HistoryEvent, MemoryItem
from .validation import record_problem


def item_from_dict(data: dict[str, Any]) -> MemoryItem:
    try:
        return MemoryItem.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValidationError(f"not a memspan memory record: missing or bad field {exc}") from None


def export_records(
    store: MemoryStore, *, include_deleted: bool = True, skipped: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every memory with its history. A row no reader can encode (invalid UTF-8 stored by an older
    memspan) is left out and its id (``ascii()``-escaped) appended to ``skipped``: one bad row must
    not make the backup of the whole store fail."""
    for item in store.iter_memories(include_deleted=include_deleted):
        events = store.history(item.id)
        if record_problem(item, events) is not None:
            if skipped is not None:
                skipped.append(ascii(item.id)[1:-1])
            continue
        yield {"memory": item.to_dict(), "history": [e.to_dict() for e in events]}


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
            item = item_from_dict(record["memory"])
            events = [HistoryEvent.from_dict(e) for e in record.get("history", [])]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValidationError(f"line {number}: not a memspan export record ({exc!a})") from None
        problem = record_problem(item, events)
        if problem is not None:  # the check every other write path applies
            raise ValidationError(f"line {number}: {problem}")
        yield item, events


@dataclass
class ImportReport:
    imported: int = 0
    #: ids the target already had
    skipped: int = 0
    #: ids (``ascii()``-escaped) of source records no store can take (invalid UTF-8, NUL), left out
    invalid: list[str] = field(default_factory=list)
    #: how many of ``invalid`` were live (not deleted)
    invalid_live: int = 0


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
        valid = []
        for item, events in batch:
            if record_problem(item, events) is None:
                valid.append((item, events))
            else:
                report.invalid.append(ascii(item.id)[1:-1])
                report.invalid_live += item.deleted_at is None
        fresh = [(item, events) for item, events in valid if target.get(item.id) is None]
        report.skipped += len(valid) - len(fresh)
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
