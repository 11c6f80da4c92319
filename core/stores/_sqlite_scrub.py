"""Finding erased text that ``secure_delete`` left in a SQLite file, and the rows to rewrite to erase it.

``secure_delete`` zeroes freed pages and freed cells, but when a delete rebalances a b-tree, SQLite
rebuilds the pages from a copy and the unused gap of a rebuilt page can keep bytes of cells that
were deleted (seen in practice: a history row of a purged memory, whole, in a live history page).
A full VACUUM would rewrite every page, but it needs a second copy of the file on disk and holds
the write lock while it copies, stalling everyone. Instead, a purge looks for what it erased (the
purged memories' ids, and their texts when that is cheap enough) in the file itself, and rewrites
only the rows of the table pages where it is found: deleting every row of a page frees (zeroes)
it, and inserting them again builds clean pages.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterable
from pathlib import Path

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
#: texts are searched one by one: only while (file size × texts) stays below this many bytes
TEXT_SCAN_BUDGET = 2_000_000_000
#: shorter texts are not searched for (they would match unrelated bytes)
MIN_TEXT_BYTES = 12
_TABLE_LEAF = 0x0D


def pages_holding(path: Path, page_size: int, ids: Iterable[str], texts: Iterable[str]) -> set[int]:
    """Page numbers (1-based) of the file where one of ``ids`` or ``texts`` occurs."""
    wanted = {i.encode() for i in ids}
    needles = [t.encode()[:256] for t in dict.fromkeys(texts) if len(t.encode()) >= MIN_TEXT_BYTES]
    size = path.stat().st_size
    if size == 0:
        return set()
    if size * len(needles) > TEXT_SCAN_BUDGET:
        needles = []  # too big to search text by text: the ids still find whole rows
    pages: set[int] = set()
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if wanted:
            for match in _UUID.finditer(data):
                if match.group() in wanted:
                    pages.add(match.start() // page_size + 1)
        for needle in needles:
            at = data.find(needle)
            while at != -1:
                pages.add(at // page_size + 1)
                at = data.find(needle, at + 1)
    return pages


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for i in range(8):
        byte = data[pos + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos + i + 1
    return (value << 8) | data[pos + 8], pos + 9


def leaf_rowids(path: Path, page_size: int, page_number: int) -> list[int] | None:
    """The rowids of the cells of a table leaf page; ``None`` for any other kind of page."""
    with path.open("rb") as handle:
        handle.seek((page_number - 1) * page_size)
        page = handle.read(page_size)
    header = 100 if page_number == 1 else 0
    if len(page) < header + 8 or page[header] != _TABLE_LEAF:
        return None
    cells = int.from_bytes(page[header + 3 : header + 5], "big")
    rowids = []
    for i in range(cells):
        pointer = int.from_bytes(page[header + 8 + 2 * i : header + 10 + 2 * i], "big")
        if not header + 8 <= pointer < page_size - 1:
            return None  # not a page we understand: leave it alone
        _, pos = _varint(page, pointer)  # the payload's size
        rowid, _ = _varint(page, pos)
        rowids.append(rowid)
    return rowids
