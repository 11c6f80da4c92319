"""A vector cache for benchmark runs: document vectors (and, for quality-only runs, query vectors).

Retrieval quality does not depend on how long embedding took, so LOCOMO's turns are embedded once
(by memspan's own default model) and both systems index exactly the same vectors. Query vectors are
cached only when a run says so (``queries=True``: the personal set's and LOCOMO's ablation runs, which
report recall and no latency); every timed search embeds its query for real. Ingest and add rates are
measured separately, with real embedding, on a fixed sample (see ``locomo.py`` and ``mem0_runner.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from memspan.config import default_embedder
from memspan.ports import Embedder, EmbedKind, Vector


def _read(data: np.lib.npyio.NpzFile, texts: str, vectors: str) -> dict[str, np.ndarray]:
    if texts not in data:
        return {}
    return dict(zip(data[texts].tolist(), data[vectors], strict=True))


class CachedDocumentEmbedder(Embedder):
    """An embedder (memspan's default unless given) with vectors remembered in an ``.npz`` file."""

    def __init__(self, path: Path, inner: Embedder | None = None, *, queries: bool = False):
        self.inner = inner or default_embedder()
        self.model_id = self.inner.model_id
        self._dimension = self.inner.dimension
        self.path = path
        self.cache_queries = queries
        self.vectors: dict[str, np.ndarray] = {}
        self.queries: dict[str, np.ndarray] = {}
        self.dirty = False
        if path.exists():
            with np.load(path, allow_pickle=False) as data:
                self.vectors = _read(data, "texts", "vectors")
                self.queries = _read(data, "query_texts", "query_vectors")

    @property
    def first_person_queries(self) -> bool:
        """The inner embedder's: whether a search puts queries in the first person for it."""
        return bool(getattr(self.inner, "first_person_queries", False))

    @property
    def languages(self) -> frozenset[str] | None:
        from memspan.retrieval import embedder_languages

        return embedder_languages(self.inner)

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if kind == "query" and not self.cache_queries:
            return self.inner.embed(texts, kind="query")
        known = self.queries if kind == "query" else self.vectors
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing, kind=kind), strict=True):
                known[text] = vector
            self.dirty = True
        return np.stack([known[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for prefix, found in (("", self.vectors), ("query_", self.queries)):
            if found:
                arrays[f"{prefix}texts"] = np.array(list(found), dtype=object).astype(str)
                arrays[f"{prefix}vectors"] = np.stack(list(found.values()))
        np.savez(self.path, **arrays)  # type: ignore[arg-type]
        self.dirty = False
