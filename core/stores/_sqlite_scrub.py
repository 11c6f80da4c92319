"""Finding erased text that ``secure_delete`` left in a SQLite file.

``secure_delete`` zeroes freed pages and freed cells, but when a delete rebalances a b-tree, SQLite
rebuilds the pages from a copy and the unused gap of a rebuilt page can keep bytes of cells that
were deleted (seen in practice: a history row of a purged memory, whole, in a live history page).
A full VACUUM would rewrite every page, but it needs a second copy of the file on disk and holds
the write lock while it copies, stalling everyone. Instead, a purge looks for what it erased (the
purged memories' ids, and their texts when that is cheap enough) in the file itself and reports
the pages where it is found.
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
