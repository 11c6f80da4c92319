"""An in-memory mirror of a store's live vectors, kept compact and grouped by scope.

Why grouped: a search reads one scope (a user's ten thousand memories among a million). Each row
lives in the *segment* of its first scope id (its user, else its agent, else its run): one
contiguous block of int8 rows per segment, so a user's search scores her block in place, with no
per-query gather of her vectors into a new array. A search narrowed further (user + run) or by a
later id alone (an agent across users) reads the member lists kept for those ids instead, and
gathers only the rows they name when they are a small part of their segment.

Why compact: rows are int8 with a scale each (see :mod:`._compact`), a quarter of float32. The
cache only *shortlists*: it returns more candidates than asked (:func:`shortlist_size`), and the
store rescores them exactly from the float32 vectors in the file. A scope no larger than the
shortlist is therefore ranked exactly as a float32 scan would rank it.

Rows are appended as they appear; a changed row is rewritten in place; a deleted one is marked
dead (its slot is reclaimed when the store's epoch changes, i.e. after a purge).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..scope import SCOPE_KEYS, Scope
from ._compact import quantize, scores

_NONE = -1
_ABSENT = -2  # a scope id no row has: matches nothing
_COLUMNS = len(SCOPE_KEYS)

Home = tuple[int, int]  # (scope column, interned id) of a segment
Indexes = npt.NDArray[np.int64]


def shortlist_size(limit: int) -> int:
    """How many approximate candidates are rescored exactly for a search of ``limit``."""
    return max(3 * limit, 100)


def readable(blob: object, dimension: int) -> bool:
    """Whether a stored vector blob holds ``dimension`` float32 values (a damaged one does not)."""
    return isinstance(blob, bytes) and dimension > 0 and len(blob) == 4 * dimension


class Segment:
    """The rows whose first scope id is one id: int8 codes, scales, keys, scope codes, liveness."""

    def __init__(self, dim: int, number: int) -> None:
        self.number = number
        self.size = 0
        self.codes = np.zeros((16, dim), dtype=np.int8)
        self.scales = np.zeros(16, dtype=np.float32)
        self.pks = np.zeros(16, dtype=np.int64)
        self.scope = np.full((16, _COLUMNS), _NONE, dtype=np.int32)
        self.alive = np.zeros(16, dtype=bool)

    def append(self) -> int:
        if self.size == len(self.pks):
            self.resize(self.size + max(16, self.size // 2))
        self.size += 1
        return self.size - 1

    def resize(self, capacity: int) -> None:
        """Room for ``capacity`` rows (never fewer than it holds)."""
        capacity = max(capacity, self.size)
        n = self.size

        def moved(old: npt.NDArray[Any], fill: int | bool) -> npt.NDArray[Any]:
            new = np.full((capacity, *old.shape[1:]), fill, dtype=old.dtype)
            new[:n] = old[:n]
            return new

        self.codes = moved(self.codes, 0)
        self.scales = moved(self.scales, 0)
        self.pks = moved(self.pks, 0)
        self.scope = moved(self.scope, _NONE)
        self.alive = moved(self.alive, False)

    def trim(self) -> None:
        """Give back most of the growth room after a bulk catch-up (keeps an eighth spare)."""
        spare = max(16, self.size // 8)
        if len(self.pks) > self.size + 2 * spare:
            self.resize(self.size + spare)

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.codes, self.scales, self.pks, self.scope, self.alive))


class VectorCache:
    def __init__(self) -> None:
        self.clear(0)

    def clear(self, epoch: int) -> None:
        self.epoch = epoch
        self.seq = 0
        self.dim = 0
        self.segments: dict[Home, Segment] = {}
        # pk -> segment number << 32 | row index (one int per row: a million rows, one small dict)
        self.position: dict[int, int] = {}
        self._numbered: list[Segment] = []
        self.interned: list[dict[str, int]] = [{} for _ in SCOPE_KEYS]
        # per column: interned id -> {segment home -> indexes in that segment}, for the rows whose
        # segment is another column's (a user's rows are found through her segment instead)
        self.members: list[dict[int, dict[Home, list[int]]]] = [{} for _ in SCOPE_KEYS]
        self._arrays: dict[tuple[int, int, Home], Indexes] = {}
        #: rows whose stored vector cannot be read (wrong length): left out of vector search
        self.unreadable: set[int] = set()

    @property
    def size(self) -> int:
        """Live rows held."""
        return sum(int(s.alive[: s.size].sum()) for s in self.segments.values())

    def nbytes(self) -> int:
        """Bytes held by the segments' arrays (what the compact form saves shows here)."""
        return sum(s.nbytes() for s in self.segments.values())

    def _code(self, column: int, value: str | None) -> int:
        if value is None:
            return _NONE
        table = self.interned[column]
        code = table.get(value)
        if code is None:
            code = table[value] = len(table)
        return code

    def apply(self, rows: Iterable[Sequence[Any]], seq: int) -> None:
        """Take in changed rows: (pk, user_id, agent_id, run_id, embedding blob or None, deleted_at)."""
        batch: list[Sequence[Any]] = []
        applied = 0
        for row in rows:
            batch.append(row)
            if len(batch) == 4096:
                self._apply_batch(batch)
                applied += len(batch)
                batch = []
        self._apply_batch(batch)
        if applied:  # a bulk catch-up (first search, another process's import): drop the slack
            for segment in self.segments.values():
                segment.trim()
        self.seq = seq

    def _readable(self, blob: object) -> bool:
        if self.dim == 0 and isinstance(blob, bytes) and blob and not len(blob) % 4:
            self.dim = len(blob) // 4  # the first readable vector sets the width
        return readable(blob, self.dim)

    def _screen(self, batch: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        """The rows with a damaged vector become rows without one (one bad row must not stop every
        search of the store); they are listed in :attr:`unreadable` for the store to report."""
        screened: list[Sequence[Any]] = []
        for row in batch:
            if row[4] is not None and row[5] is None and not self._readable(row[4]):
                self.unreadable.add(row[0])
                row = (*row[:4], None, row[5])
            else:
                self.unreadable.discard(row[0])
            screened.append(row)
        return screened

    def _apply_batch(self, batch: Sequence[Sequence[Any]]) -> None:
        batch = self._screen(batch)
        live = [row for row in batch if row[4] is not None and row[5] is None]
        if live:
            vectors = np.frombuffer(b"".join(row[4] for row in live), dtype="<f4")
            if self.dim == 0:
                self.dim = len(live[0][4]) // 4
            codes, scales = quantize(vectors.reshape(len(live), -1))
            quantized = {row[0]: i for i, row in enumerate(live)}
        for pk, user_id, agent_id, run_id, blob, deleted_at in batch:
            where = self.position.get(pk)
            segment, index = (None, 0) if where is None else (self._numbered[where >> 32], where & 0xFFFFFFFF)
            if blob is None or deleted_at is not None:
                if segment is not None:
                    segment.alive[index] = False
                continue
            ids = [self._code(column, value) for column, value in enumerate((user_id, agent_id, run_id))]
            if segment is not None and list(segment.scope[index]) != ids:
                segment.alive[index] = False  # scope ids never change in memspan; kept correct
                segment = None
            if segment is None:
                segment, index = self._place(pk, ids)
            i = quantized[pk]
            segment.codes[index] = codes[i]
            segment.scales[index] = scales[i]
            segment.alive[index] = True

    def _place(self, pk: int, ids: list[int]) -> tuple[Segment, int]:
        """A new slot for a row, in the segment of its first scope id, listed under its other ids."""
        column = next((c for c, code in enumerate(ids) if code != _NONE), _COLUMNS)
        home: Home = (column, ids[column] if column < _COLUMNS else _NONE)
        segment = self.segments.get(home)
        if segment is None:
            segment = self.segments[home] = Segment(self.dim, len(self._numbered))
            self._numbered.append(segment)
        index = segment.append()
        segment.pks[index] = pk
        segment.scope[index] = ids
        for other in range(column + 1, _COLUMNS):
            if ids[other] != _NONE:
                self.members[other].setdefault(ids[other], {}).setdefault(home, []).append(index)
                self._arrays.pop((other, ids[other], home), None)
        self.position[pk] = segment.number << 32 | index
        return segment, index

    def _sources(self, column: int, code: int) -> list[tuple[Segment, Indexes | None]]:
        """Where rows with this id live: its own segment (all of it) and listed rows elsewhere."""
        found: list[tuple[Segment, Indexes | None]] = []
        own = self.segments.get((column, code))
        if own is not None:
            found.append((own, None))
        for home, listed in self.members[column].get(code, {}).items():
            key = (column, code, home)
            array = self._arrays.get(key)
            if array is None or len(array) != len(listed):
                array = self._arrays[key] = np.array(listed, dtype=np.int64)
            found.append((self.segments[home], array))
        return found

    def _candidates(self, scope: Scope) -> list[tuple[Segment, Indexes | None]]:
        """The smallest set of (segment, rows) that holds every row of the scope."""
        wanted = []
        for column, key in enumerate(SCOPE_KEYS):
            value = getattr(scope, key)
            if value is not None:
                wanted.append((column, self.interned[column].get(value, _ABSENT)))
        if not wanted:
            return [(segment, None) for segment in self.segments.values()]
        options = [self._sources(column, code) for column, code in wanted]
        return min(options, key=lambda found: sum(s.size if i is None else len(i) for s, i in found))

    def search(
        self, scope: Scope, query: npt.NDArray[np.float32], limit: int, allowed: set[int] | None
    ) -> list[tuple[int, float]]:
        """Up to ``limit`` live rows of the scope as (pk, approximate similarity), best first."""
        if self.dim == 0 or limit <= 0:
            return []
        if query.shape[-1] != self.dim:
            from ..errors import DimensionMismatchError

            raise DimensionMismatchError(
                f"query vector has {query.shape[-1]} dimensions; the store holds {self.dim}"
            )
        wanted = [
            (column, self.interned[column].get(value, _ABSENT))
            for column, key in enumerate(SCOPE_KEYS)
            if (value := getattr(scope, key)) is not None
        ]
        allowed_keys = None if allowed is None else np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        all_pks, all_scores = [], []
        for segment, rows in self._candidates(scope):
            pks, found = self._score(segment, rows, wanted, allowed_keys, query)
            all_pks.append(pks)
            all_scores.append(found)
        if not all_pks:
            return []
        pks, found = np.concatenate(all_pks), np.concatenate(all_scores)
        if pks.size > limit:
            top = np.argpartition(-found, limit - 1)[:limit]
            pks, found = pks[top], found[top]
        order = np.lexsort((pks, -found))
        return [(int(pks[i]), float(found[i])) for i in order]

    @staticmethod
    def _score(
        segment: Segment,
        rows: Indexes | None,
        wanted: list[tuple[int, int]],
        allowed: npt.NDArray[np.int64] | None,
        query: npt.NDArray[np.float32],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Scores of the segment's rows that are live, in every wanted id, and allowed."""
        n = segment.size
        keep = segment.alive[:n].copy() if rows is None else np.zeros(n, dtype=bool)
        if rows is not None:
            keep[rows] = segment.alive[rows]
        for column, code in wanted:
            keep &= segment.scope[:n, column] == code
        if allowed is not None:
            keep &= np.isin(segment.pks[:n], allowed)
        chosen = np.flatnonzero(keep)
        if chosen.size == 0:
            return chosen, np.zeros(0, dtype=np.float32)
        if chosen.size * 2 >= n:  # most of the block: score it in place, no copy of the rows
            return segment.pks[chosen], scores(segment.codes[:n], segment.scales[:n], query)[chosen]
        return segment.pks[chosen], scores(segment.codes[chosen], segment.scales[chosen], query)
