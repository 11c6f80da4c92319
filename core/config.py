"""Where a Memory keeps its data when the caller does not say: URLs and defaults."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .errors import ValidationError
from .ports import Embedder, MemoryStore

#: URL scheme → "module:factory"; the factory takes the URL. Backends are imported only when used.
STORE_SCHEMES: dict[str, str] = {
    "sqlite": "memspan.stores.sqlite:SQLiteStore.from_url",
    "postgresql": "memspan.stores.postgres:PostgresStore.from_url",
    "postgres": "memspan.stores.postgres:PostgresStore.from_url",
    "weaviate": "memspan.stores.weaviate:WeaviateStore.from_url",
}


def default_location() -> str:
    """``$MEMSPAN_STORE`` (a URL or a path), else ``~/.memspan/memspan.db``."""
    return os.environ.get("MEMSPAN_STORE") or str(Path.home() / ".memspan" / "memspan.db")


def _resolve(target: str) -> Callable[[str], MemoryStore]:
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def open_store(location: str | os.PathLike[str]) -> MemoryStore:
    """A store from a URL (``sqlite:///file.db``, ``postgresql://...``) or a file path."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    if not sep:
        from .stores.sqlite import SQLiteStore

        return SQLiteStore(text)
    target = STORE_SCHEMES.get(scheme.split("+")[0].lower())
    if target is None:
        known = ", ".join(sorted(STORE_SCHEMES))
        raise ValidationError(f"unknown store URL scheme {scheme!r}; use one of {known} or a file path")
    try:
        factory = _resolve(target)
    except ImportError as exc:
        raise ValidationError(
            f"the {scheme} store needs an extra: pip install 'memspan[{scheme.split('+')[0]}]' ({exc})"
        ) from exc
    return factory(text)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The bundled MiniLM model, loaded once per process and shared by every Memory."""
    from .embedders.onnx_minilm import OnnxMiniLMEmbedder

    return OnnxMiniLMEmbedder()
