"""The bundled embedder (all-MiniLM-L6-v2 int8 on onnxruntime): batching never changes a vector."""

from __future__ import annotations

import numpy as np
import pytest

from memspan.embedders.onnx_minilm import BATCH_TOKENS, DIMENSION, OnnxMiniLMEmbedder
from memspan.errors import EmbedderError
from memspan.ports import Embedder

TEXTS = [
    "Maya prefers window seats.",
    "ok",
    "Melanie: " + "We went camping at the beach with the kids and roasted marshmallows. " * 12,
    "Leo has a cat named Miso.",
    "Sam: I just signed up for a pottery class yesterday. It's like therapy for me.",
    "日本語を勉強しています",
]


def test_a_batch_gives_each_text_the_vector_it_gets_alone_in_order(embedder: Embedder) -> None:
    together = embedder.embed(TEXTS)
    alone = np.stack([embedder.embed([t])[0] for t in TEXTS])
    assert together.shape == (len(TEXTS), DIMENSION) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_batches_are_cut_by_padded_tokens_and_count() -> None:
    model = OnnxMiniLMEmbedder(batch_size=3, batch_tokens=100)
    batches = list(model._batches([50, 10, 10, 10, 10, 40, 300]))
    assert [i for b in batches for i in b] == [1, 2, 3, 4, 5, 0, 6]  # shortest first, each index once
    # three texts at most; the 50-token text would pad [4, 5, 0] to 150 tokens, past the budget of 100
    assert batches == [[1, 2, 3], [4, 5], [0], [6]]
    assert BATCH_TOKENS >= 256  # one text of the model's longest input always fits


def test_a_text_longer_than_the_model_reads_is_truncated_not_refused(embedder: Embedder) -> None:
    vector = embedder.embed(["word " * 5000])
    assert vector.shape == (1, DIMENSION)


def test_a_model_file_that_is_not_there_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(EmbedderError, match="not found"):
        OnnxMiniLMEmbedder(f"{tmp_path}/missing.onnx")
