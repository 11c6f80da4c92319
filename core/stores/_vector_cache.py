"""An in-memory mirror of a store's live vectors, for exact scoped search with numpy.

Rows are appended as they appear; a changed row is rewritten in place; a deleted one is marked dead.
Scope ids are interned to small integers, so restricting a search to a scope is a vectorised mask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..scope import SCOPE_KEYS, Scope

_NONE = -1
_ABSENT = -2  # a scope id no row has: matches nothing


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
        self.interned: list[dict[str, int]] = [{} for _ in SCOPE_KEYS]

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
                self.codes[pos] = [self._code(i, v) for i, v in enumerate((user_id, agent_id, run_id))]
            self.alive[pos] = live
        self.seq = seq

    def _mask(self, scope: Scope) -> npt.NDArray[np.bool_]:
        mask = self.alive[: self.size].copy()
        for column, key in enumerate(SCOPE_KEYS):
            value = getattr(scope, key)
            if value is not None:
                code = self.interned[column].get(value, _ABSENT)
                mask &= self.codes[: self.size, column] == code
        return mask

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
        mask = self._mask(scope)
        if allowed is not None:
            mask &= np.isin(self.pks[: self.size], np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return []
        scores = self.vectors[rows] @ query
        if rows.size > limit:
            top = np.argpartition(-scores, limit - 1)[:limit]
        else:
            top = np.arange(rows.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.pks[rows[i]]), float(scores[i])) for i in top]
