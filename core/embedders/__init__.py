"""Embedding models behind the :class:`~memspan.ports.Embedder` port."""

from .hashing import HashingEmbedder
from .onnx_minilm import OnnxMiniLMEmbedder

__all__ = ["HashingEmbedder", "OnnxMiniLMEmbedder"]
