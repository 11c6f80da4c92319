"""Embeddings from any OpenAI-compatible endpoint: OpenAI, Azure-style proxies, Ollama, vLLM, LM Studio.

The OpenAI API has no query/document distinction; models that want one (e5, nomic, bge...) get
it through ``query_prefix`` / ``document_prefix`` (for example ``"search_query: "``). Batches stay
within the API's limit of 2,048 inputs per request; the SDK retries rate limits, timeouts and 5xx
answers with back-off, honouring ``Retry-After``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import openai

from ..errors import EmbedderError
from ..ports import Embedder, EmbedKind, Vector
from .voyage import batches, normalise

#: output dimension of OpenAI's models when none is asked for
MODEL_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
MAX_INPUTS_PER_REQUEST = 2048


class OpenAICompatibleEmbedder(Embedder):
    """``OpenAICompatibleEmbedder("nomic-embed-text", base_url="http://localhost:11434/v1")`` for Ollama."""

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        dimensions: int | None = None,
        query_prefix: str = "",
        document_prefix: str = "",
        batch_size: int = 256,
        max_batch_chars: int = 400_000,
        max_retries: int = 4,
        timeout: float = 60.0,
    ):
        if not 1 <= batch_size <= MAX_INPUTS_PER_REQUEST:
            raise EmbedderError(f"batch_size must be 1..{MAX_INPUTS_PER_REQUEST}")
        key = api_key or os.environ.get("OPENAI_API_KEY") or ("unused" if base_url else None)
        if not key:
            raise EmbedderError("OpenAICompatibleEmbedder needs api_key= or OPENAI_API_KEY (or a base_url)")
        self.model = model
        self.dimensions = dimensions
        self.prefixes = {"query": query_prefix, "document": document_prefix}
        self.batch_size = batch_size
        self.max_batch_chars = max_batch_chars
        self._client = openai.OpenAI(api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout)
        self._dimension = dimensions or (MODEL_DIMENSIONS.get(model) if base_url is None else None)
        self.model_id = f"openai/{model}" + (f"@{dimensions}" if dimensions else "")
        if query_prefix or document_prefix:
            self.model_id += "+prefixed"
        self.total_tokens = 0

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        prefix = self.prefixes[kind]
        rows: list[list[float]] = []
        for batch in batches([prefix + t for t in texts], self.batch_size, self.max_batch_chars):
            try:
                response = self._client.embeddings.create(
                    input=batch,
                    model=self.model,
                    encoding_format="float",
                    dimensions=self.dimensions if self.dimensions else openai.omit,
                )
            except openai.OpenAIError as exc:
                raise EmbedderError(f"embeddings endpoint ({self.model}) failed: {exc}") from exc
            rows.extend(d.embedding for d in sorted(response.data, key=lambda d: d.index))
            self.total_tokens += response.usage.total_tokens if response.usage else 0
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(rows, len(texts), "the embeddings endpoint")

    def close(self) -> None:
        self._client.close()
