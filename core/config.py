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


@lru_cache(maxsize=1)
def _multilingual_embedder() -> Embedder:
    from .embedders.e5 import MultilingualE5Embedder

    return MultilingualE5Embedder()


#: embedders a caller can name (``Memory(path, embedder="multilingual-e5-small")``, ``memspan reembed``),
#: by name and by the model id a store records; each is loaded once per process
NAMED_EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "minilm": default_embedder,
    "all-minilm-l6-v2": default_embedder,
    "all-minilm-l6-v2-int8": default_embedder,
    "multilingual-e5-small": _multilingual_embedder,
    "multilingual-e5-small-q4": _multilingual_embedder,
}


def named_embedder(name: str) -> Embedder:
    """The embedder called ``name`` (see :data:`NAMED_EMBEDDERS`); a clear error for any other name."""
    factory = NAMED_EMBEDDERS.get(name.strip().lower())
    if factory is None:
        raise ValidationError(
            f"unknown embedder {name!r}; use 'minilm' (the default) or 'multilingual-e5-small', "
            "or pass an Embedder instance"
        )
    return factory()


def stored_model(store: MemoryStore) -> str | None:
    """The model id a store's vectors come from (``None``: empty store, or the backend does not say)."""
    info = getattr(store, "embedder_info", None)
    found = info() if callable(info) else None
    return str(found[0]) if found else None


def resolve_embedder(embedder: Embedder | str | None, store: MemoryStore) -> Embedder:
    """An Embedder from what the caller passed: itself, a name, or nothing.

    Nothing means the model the store was embedded with when that is one memspan can name (so a
    store switched with ``memspan reembed`` keeps working with ``Memory(path)``), else the default.
    """
    if isinstance(embedder, str):
        return named_embedder(embedder)
    if isinstance(embedder, Embedder) or callable(getattr(embedder, "embed", None)):
        return embedder  # type: ignore[return-value]  # the port is duck-typed: embed, model_id, dimension
    if embedder is not None:
        raise ValidationError(f"embedder must be an Embedder or a name, not {type(embedder).__name__}")
    model = stored_model(store)
    if model is not None and model.lower() in NAMED_EMBEDDERS:
        return named_embedder(model)
    return default_embedder()
