"""Compact vectors for the in-memory cache: int8 with one scale per row, scored without float copies.

A float32 vector of 384 dimensions is 1,536 bytes; as int8 it is 384 bytes plus a 4-byte scale,
so a million memories fit in ~390 MB instead of 1.5 GB. Scores computed from int8 are close to
the float32 cosine (the error is a few thousandths for unit vectors), which is enough to pick a
shortlist; the store then rescores the shortlist exactly from the float32 vectors in the file.

Each row ``x`` is kept as ``round(x / s)`` with ``s = max|x| / 127``, so ``x ≈ codes * s``, and
``x · q ≈ (codes · q_codes) * s * s_q``. The dot product of int8 rows runs in numkong's SIMD
kernels (int32 accumulation, no float copy of the rows); without numkong, numpy converts the rows
in small chunks, which is slower but gives the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_numkong: Any
try:  # wheels for Linux, macOS and Windows; the numpy path below is the fallback
    import numkong as _numkong
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    _numkong = None

_CHUNK = 4096  # rows converted at a time by the numpy fallback (stays in the CPU cache)

Int8Rows = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float32]


def quantize(vectors: npt.NDArray[Any]) -> tuple[Int8Rows, Floats]:
    """Rows as int8 codes and their scales (a zero row keeps scale 0 and scores 0)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors.reshape(1, -1)
    peak = np.abs(vectors).max(axis=1)
    scales = (peak / 127.0).astype(np.float32)
    safe = np.where(scales > 0, scales, 1.0).astype(np.float32)
    codes = np.rint(vectors / safe[:, None]).clip(-127, 127).astype(np.int8)
    return codes, scales


def scores(codes: Int8Rows, scales: Floats, query: Floats, *, use_numkong: bool = True) -> Floats:
    """Approximate ``rows · query`` for int8 ``codes`` (n × dim) with per-row ``scales``."""
    if codes.shape[0] == 0:
        return np.zeros(0, dtype=np.float32)
    if use_numkong and _numkong is not None:
        query_codes, query_scale = quantize(query)
        dots = np.asarray(
            _numkong.cdist(codes, query_codes, metric="dot", out_dtype="float32"), dtype=np.float32
        ).reshape(-1)
        return dots * (scales * query_scale[0])  # type: ignore[no-any-return]
    out = np.empty(codes.shape[0], dtype=np.float32)
    query = np.asarray(query, dtype=np.float32)
    for start in range(0, codes.shape[0], _CHUNK):
        block = codes[start : start + _CHUNK]
        out[start : start + _CHUNK] = block.astype(np.float32) @ query
    return out * scales  # type: ignore[no-any-return]


def has_simd_kernel() -> bool:
    """Whether int8 rows are scored by numkong (else by the chunked numpy fallback)."""
    return _numkong is not None
