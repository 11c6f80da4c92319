"""A dependency-free embedder: hashed word and character-trigram features.

Lexical only (no semantics), but deterministic, instant and tiny. Useful where the ONNX runtime
cannot be installed, and for tests that exercise storage rather than meaning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from ..ports import Embedder, EmbedKind, Vector

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(Embedder):
    """Feature hashing of lower-cased words and their character trigrams into ``dimension`` buckets."""

    def __init__(self, dimension: int = 256):
        if dimension < 8:
            raise ValueError("dimension must be at least 8")
        self._dimension = dimension
        self.model_id = f"hashing-{dimension}"

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        grams = [f"#{w[i : i + 3]}" for w in words for i in range(max(len(w) - 2, 1))]
        return words + grams

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        dim = self.dimension
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: Vector = out / np.clip(norms, 1e-12, None)
        return result
