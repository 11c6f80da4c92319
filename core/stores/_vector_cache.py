"""An in-memory mirror of a store's live vectors, for exact scoped search with numpy.

Rows are appended as they appear; a changed row is rewritten in place; a deleted one is marked dead.
Scope ids are interned to small integers, and each id keeps the list of rows that carry it, so a
search reads only its scope's rows (a user's thousand among a million), not a mask over all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..scope import SCOPE_KEYS, Scope

_NONE = -1
_ABSENT = -2  # a scope id no row has: matches nothing


def _length(entry: tuple[npt.NDArray[np.int64], int, int]) -> int:
    return len(entry[0])


class VectorCache:
    def __init__(self) -> None:
        self.clear(0)

    def clear(self, epoch: int) -> None:
        self.epoch = epoch
        self.seq = 0
        self.size = 0
        self.dim = 0
        self.pks = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.codes = np.zeros((0, len(SCOPE_KEYS)), dtype=np.int32)
        self.alive = np.zeros(0, dtype=bool)
        self.position: dict[int, int] = {}
        #: rows whose stored vector cannot be read (wrong length): left out of vector search
        self.unreadable: set[int] = set()
        self.interned: list[dict[str, int]] = [{} for _ in SCOPE_KEYS]
        # per scope column: interned id -> the positions of its rows, and their array form
        self.members: list[dict[int, list[int]]] = [{} for _ in SCOPE_KEYS]
        self._member_arrays: dict[tuple[int, int], npt.NDArray[np.int64]] = {}

    def _code(self, column: int, value: str | None) -> int:
        if value is None:
            return _NONE
        table = self.interned[column]
        code = table.get(value)
        if code is None:
            code = table[value] = len(table)
        return code

    def _grow(self, need: int, dim: int) -> None:
        if self.dim == 0:
            self.dim = dim
            self.vectors = np.zeros((0, dim), dtype=np.float32)
        capacity = len(self.pks)
        if need <= capacity:
            return
        new = max(need, capacity * 2, 1024)
        self.pks = np.resize(self.pks, new)
        self.alive = np.concatenate([self.alive, np.zeros(new - capacity, dtype=bool)])
        self.codes = np.concatenate([self.codes, np.full((new - capacity, len(SCOPE_KEYS)), _NONE, np.int32)])
        grown = np.zeros((new, self.dim), dtype=np.float32)
        grown[: self.size] = self.vectors[: self.size]
        self.vectors = grown

    def apply(self, rows: Iterable[Sequence[Any]], seq: int) -> None:
        """Take in changed rows: (pk, user_id, agent_id, run_id, embedding blob or None, deleted_at)."""
        for pk, user_id, agent_id, run_id, blob, deleted_at in rows:
            pos = self.position.get(pk)
            live = blob is not None and deleted_at is None
            if live and not self._readable(blob):
                self.unreadable.add(pk)  # one damaged row must not stop every search of the store
                live = False
            else:
                self.unreadable.discard(pk)
            if pos is None:
                if not live:
                    continue
                vector = np.frombuffer(blob, dtype="<f4")
                self._grow(self.size + 1, vector.shape[0])
                pos = self.size
                self.size += 1
                self.position[pk] = pos
                self.pks[pos] = pk
            if live:
                self.vectors[pos] = np.frombuffer(blob, dtype="<f4")
                for column, value in enumerate((user_id, agent_id, run_id)):
                    self._set_code(pos, column, self._code(column, value))
            self.alive[pos] = live
        self.seq = seq

    def _readable(self, blob: object) -> bool:
        if not isinstance(blob, bytes) or not blob or len(blob) % 4:
            return False
        return self.dim == 0 or len(blob) == 4 * self.dim

    def _set_code(self, pos: int, column: int, code: int) -> None:
        old = int(self.codes[pos, column])
        if old == code:
            return
        if old != _NONE:  # scope ids never change in memspan; kept correct all the same
            self.members[column][old].remove(pos)
            self._member_arrays.pop((column, old), None)
        self.codes[pos, column] = code
        if code != _NONE:
            self.members[column].setdefault(code, []).append(pos)
            self._member_arrays.pop((column, code), None)

    def _members(self, column: int, code: int) -> npt.NDArray[np.int64]:
        rows = self._member_arrays.get((column, code))
        if rows is None:
            rows = np.array(self.members[column].get(code, ()), dtype=np.int64)
            self._member_arrays[column, code] = rows
        return rows

    def _rows(self, scope: Scope) -> npt.NDArray[np.int64]:
        """Positions of the scope's live rows: the shortest id list, narrowed by the other ids."""
        wanted = []
        for column, key in enumerate(SCOPE_KEYS):
            value = getattr(scope, key)
            if value is not None:
                wanted.append((column, self.interned[column].get(value, _ABSENT)))
        if not wanted:
            return np.flatnonzero(self.alive[: self.size])
        lists = sorted(((self._members(column, code), column, code) for column, code in wanted), key=_length)
        rows = lists[0][0]
        for _, column, code in lists[1:]:
            rows = rows[self.codes[rows, column] == code]
        return rows[self.alive[rows]]

    def search(
        self, scope: Scope, query: npt.NDArray[np.float32], limit: int, allowed: set[int] | None
    ) -> list[tuple[int, float]]:
        """The ``limit`` most similar live rows of the scope as (pk, cosine similarity)."""
        if self.size == 0 or limit <= 0:
            return []
        if query.shape[-1] != self.dim:
            from ..errors import DimensionMismatchError

            raise DimensionMismatchError(
                f"query vector has {query.shape[-1]} dimensions; the store holds {self.dim}"
            )
        rows = self._rows(scope)
        if allowed is not None:
            rows = rows[np.isin(self.pks[rows], np.fromiter(allowed, dtype=np.int64, count=len(allowed)))]
        if rows.size == 0:
            return []
        scores = self.vectors[rows] @ query
        if rows.size > limit:
            top = np.argpartition(-scores, limit - 1)[:limit]
        else:
            top = np.arange(rows.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.pks[rows[i]]), float(scores[i])) for i in top]
