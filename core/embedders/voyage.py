"""Voyage AI embeddings (``pip install memspan[voyage]``).

Voyage models are asymmetric: a query and a document are embedded differently (``input_type``),
which is exactly the port's ``kind``. Requests are batched within the API's limits (at most 1,000
texts and a bounded number of tokens per request; memspan cuts at ``batch_size`` texts or
``max_batch_chars`` characters, whichever comes first), retried by the client on rate limits,
timeouts and unavailability with exponential back-off, and the rows are L2-normalised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np
import voyageai.error
from voyageai.client import Client

from ..errors import EmbedderError
from ..ports import Embedder, EmbedKind, Vector

#: output dimension of each model when none is asked for (voyage-3.5 family can also give 256/512/2048)
MODEL_DIMENSIONS = {
    "voyage-3.5": 1024,
    "voyage-3.5-lite": 1024,
    "voyage-3-large": 1024,
    "voyage-3": 1024,
    "voyage-3-lite": 512,
    "voyage-code-3": 1024,
    "voyage-finance-2": 1024,
    "voyage-law-2": 1024,
    "voyage-multilingual-2": 1024,
}
MAX_TEXTS_PER_REQUEST = 1000


def batches(texts: Sequence[str], batch_size: int, max_chars: int) -> Iterator[list[str]]:
    """Consecutive slices of ``texts`` with at most ``batch_size`` texts and ``max_chars`` characters
    (a single longer text goes alone; the provider truncates it)."""
    batch: list[str] = []
    size = 0
    for text in texts:
        if batch and (len(batch) >= batch_size or size + len(text) > max_chars):
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


def normalise(rows: Sequence[Sequence[float]], expected: int, provider: str) -> Vector:
    matrix = np.asarray(rows, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != expected:
        raise EmbedderError(
            f"{provider} returned {matrix.shape[0] if matrix.ndim else 0} vectors for {expected} texts"
        )
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise EmbedderError(f"{provider} returned an all-zero vector")
    result: Vector = matrix / norms
    return result


class VoyageEmbedder(Embedder):
    """Embeddings from the Voyage AI API (or any server speaking its protocol, via ``base_url``)."""

    def __init__(
        self,
        model: str = "voyage-3.5-lite",
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        output_dimension: int | None = None,
        batch_size: int = 128,
        max_batch_chars: int = 200_000,
        max_retries: int = 4,
        timeout: float = 60.0,
    ):
        key = api_key or os.environ.get("VOYAGE_API_KEY")
        if not key:
            raise EmbedderError("VoyageEmbedder needs an API key: pass api_key= or set VOYAGE_API_KEY")
        if not 1 <= batch_size <= MAX_TEXTS_PER_REQUEST:
            raise EmbedderError(f"batch_size must be 1..{MAX_TEXTS_PER_REQUEST}")
        self.model = model
        self.output_dimension = output_dimension
        self.batch_size = batch_size
        self.max_batch_chars = max_batch_chars
        self._client = Client(api_key=key, max_retries=max_retries, timeout=timeout, base_url=base_url)
        self._dimension = output_dimension or MODEL_DIMENSIONS.get(model)
        self.model_id = f"voyage/{model}" + (f"@{output_dimension}" if output_dimension else "")
        self.total_tokens = 0

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        rows: list[list[float]] = []
        for batch in batches(texts, self.batch_size, self.max_batch_chars):
            try:
                result = self._client.embed(
                    batch,
                    model=self.model,
                    input_type=kind,
                    truncation=True,
                    output_dimension=self.output_dimension,
                )
            except voyageai.error.VoyageError as exc:
                raise EmbedderError(
                    f"Voyage AI ({self.model}) failed: {exc}; check the key, model and quota"
                ) from exc
            rows.extend(result.embeddings)  # type: ignore[arg-type]
            self.total_tokens += result.total_tokens
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(rows, len(texts), "Voyage AI")
