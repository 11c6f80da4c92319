"""Memory ids that sort in the order the memories were made (UUID version 7, RFC 9562).

A memory's id is its key in every store and the last tie-break of a ranking: two memories with the
same score come back in the order they were made, on every run, instead of in the order of random
ids. A version-7 UUID starts with the Unix time in milliseconds; the 12 bits after the version
count up within one millisecond of this process (from a random start), so ids made one after the
other by this process always sort in that order, even within a millisecond. The remaining 62 bits
are random. The id reveals when the memory was made, to the millisecond: no more than its
``created_at`` already says to whoever may read it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = -1
_counter = 0


def _next_stamp() -> tuple[int, int]:
    """This process's next (milliseconds, counter), strictly increasing across threads."""
    global _last_ms, _counter
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, int.from_bytes(os.urandom(2), "big") & 0x7FF
        else:  # the same millisecond (or the clock went back): count on, borrowing the next ms
            _counter += 1
            if _counter > 0xFFF:
                _last_ms, _counter = _last_ms + 1, 0
        return _last_ms, _counter


def new_memory_id() -> str:
    """A fresh memory id: a version-7 UUID in its usual 36-character form."""
    ms, counter = _next_stamp()
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))
