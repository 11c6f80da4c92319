"""A document-vector cache shared by the memspan and mem0 runs of the benchmark.

Retrieval quality does not depend on how long embedding took, so LOCOMO's turns are embedded once
(by memspan's own default model) and both systems index exactly the same vectors. Query vectors are
never cached: every timed search embeds its query for real. Ingest and add rates are measured
separately, with real embedding, on a fixed sample (see ``locomo.py`` and ``mem0_runner.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from memspan.config import default_embedder
from memspan.ports import Embedder, EmbedKind, Vector


class CachedDocumentEmbedder(Embedder):
    """An embedder (memspan's default unless given) with document vectors remembered in an ``.npz`` file."""

    def __init__(self, path: Path, inner: Embedder | None = None):
        self.inner = inner or default_embedder()
        self.model_id = self.inner.model_id
        self._dimension = self.inner.dimension
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.dirty = False
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                self.vectors = dict(zip(data["texts"].tolist(), data["vectors"], strict=True))

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if kind == "query":
            return self.inner.embed(texts, kind="query")
        missing = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing, kind="document"), strict=True):
                self.vectors[text] = vector
            self.dirty = True
        return np.stack([self.vectors[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            texts = np.array(list(self.vectors), dtype=object).astype(str)
            np.savez(self.path, texts=texts, vectors=np.stack(list(self.vectors.values())))
            self.dirty = False
