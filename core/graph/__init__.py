"""Graph memory: entities and dated relations beside the memories, merged into search.

Off by default and free when off: nothing here is imported unless ``Memory(graph=...)`` asks for it.
``graph=True`` keeps an embedded kuzu database beside the memories; a URL picks a backend
(``kuzu:///path``, ``falkordb://host:port/graph``, ``neo4j://`` / ``bolt://``); an
:class:`EntityGraph` or a :class:`GraphStore` is used as given.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import ValidationError
from .index import EntityGraph, GraphContext, GraphSettings
from .model import (
    Entity,
    ExtractedEntity,
    ExtractedRelation,
    GraphExtraction,
    GraphRequest,
    GraphSnapshot,
    Relation,
)
from .ports import GraphExtractor, GraphStore
from .rules import RuleGraphExtractor

#: URL scheme -> "module:factory"; backends are imported only when used
GRAPH_SCHEMES: dict[str, str] = {
    "kuzu": "memspan.graph.kuzu_store:KuzuGraphStore.from_url",
    "falkordb": "memspan.graph.falkordb_store:FalkorDBGraphStore.from_url",
    "redis": "memspan.graph.falkordb_store:FalkorDBGraphStore.from_url",
    "neo4j": "memspan.graph.neo4j_store:Neo4jGraphStore.from_url",
    "bolt": "memspan.graph.neo4j_store:Neo4jGraphStore.from_url",
}

GraphOption = bool | str | os.PathLike[str] | GraphStore | EntityGraph | None


def open_graph_store(location: str | os.PathLike[str]) -> GraphStore:
    """A graph store from a URL, or a kuzu database at a plain path."""
    text = os.fspath(location)
    scheme, sep, _ = text.partition("://")
    target = GRAPH_SCHEMES.get(scheme.split("+")[0].lower()) if sep else GRAPH_SCHEMES["kuzu"]
    if target is None:
        known = ", ".join(sorted(GRAPH_SCHEMES))
        raise ValidationError(f"unknown graph URL scheme {scheme!r}; use one of {known} or a file path")
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValidationError(
            f"this graph backend needs an extra: pip install 'memspan[graph]' ({exc})"
        ) from exc
    cls_name, _, method = attribute.partition(".")
    factory: Callable[[str], GraphStore] = getattr(getattr(module, cls_name), method)
    return factory(text if sep else f"kuzu:///{text}")


def default_graph_location(memory_location: str | None) -> str:
    """Beside a SQLite memory file (``memspan.db`` -> ``memspan.graph.kuzu``), else ``~/.memspan``."""
    if memory_location and memory_location.startswith("sqlite://"):
        memory_location = memory_location.split("://", 1)[1].removeprefix("/")
    if memory_location and "://" not in memory_location:
        path = Path(memory_location).expanduser()
        return str(path.with_name(path.stem + ".graph.kuzu"))
    return str(Path.home() / ".memspan" / "graph.kuzu")


def graph_extractor_for(memory_extractor: object | None) -> GraphExtractor:
    """The model-backed graph extractor when the Memory extracts with a model, else the rules."""
    if memory_extractor is not None and type(memory_extractor).__name__ == "LLMExtractor":
        from ..llm import LLMExtractor
        from .llm_extractor import LLMGraphExtractor

        if isinstance(memory_extractor, LLMExtractor):
            return LLMGraphExtractor(memory_extractor.llm)
    return RuleGraphExtractor()


def build_graph(
    option: GraphOption, memory_location: str | None = None, memory_extractor: object | None = None
) -> EntityGraph | None:
    """What ``Memory(graph=...)`` accepts, as an :class:`EntityGraph` (None when off).

    A Memory that extracts with a model (``Memory(llm=...)``) gets a model-backed graph extractor
    too, unless an :class:`EntityGraph` with its own extractor is passed.
    """
    if option is None or option is False:
        return None
    if isinstance(option, EntityGraph):
        return option
    extractor = graph_extractor_for(memory_extractor)
    if isinstance(option, GraphStore):
        return EntityGraph(option, extractor)
    if option is True:
        return EntityGraph(open_graph_store(default_graph_location(memory_location)), extractor)
    if isinstance(option, (str, os.PathLike)):
        return EntityGraph(open_graph_store(option), extractor)
    raise ValidationError(
        f"graph= takes True, a URL or path, a GraphStore or an EntityGraph, got {type(option).__name__}"
    )


__all__ = [
    "GRAPH_SCHEMES",
    "Entity",
    "EntityGraph",
    "ExtractedEntity",
    "ExtractedRelation",
    "GraphContext",
    "GraphExtraction",
    "GraphExtractor",
    "GraphRequest",
    "GraphSettings",
    "GraphSnapshot",
    "GraphStore",
    "Relation",
    "RuleGraphExtractor",
    "build_graph",
    "default_graph_location",
    "graph_extractor_for",
    "open_graph_store",
]
