"""What :class:`~memspan.Memory` and :class:`~memspan.AsyncMemory` share: opening the store,
embedder, extractor, model and graph they work with, and closing them. The calls themselves are in
:mod:`memspan.memory`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from .config import default_location, open_store, resolve_embedder
from .errors import ValidationError
from .extract import RuleExtractor
from .pipeline import Engine, Settings
from .ports import Embedder, Extractor, MemoryStore
from .rerank.base import Reranker
from .retrieval import FusionWeights
from .scope import Scope
from .types import Usage

if TYPE_CHECKING:
    from .graph import EntityGraph, GraphOption


def _optional_scope(user_id: str | None, agent_id: str | None, run_id: str | None) -> Scope | None:
    """A scope when any id is given (validated), else ``None``: the whole store."""
    if user_id is None and agent_id is None and run_id is None:
        return None
    return Scope.of(user_id, agent_id, run_id, operation="sweep_expired")


class _Base:
    def __init__(
        self,
        store: MemoryStore | str | os.PathLike[str] | None = None,
        *,
        embedder: Embedder | str | None = None,
        extractor: Extractor | None = None,
        llm: object | None = None,
        instructions: str | None = None,
        fusion: FusionWeights | None = None,
        reranker: Reranker | None = None,
        settings: Settings | None = None,
        clock: Callable[[], datetime] | None = None,
        graph: GraphOption = None,
    ):
        """Open (or create) a memory.

        ``store`` is a :class:`~memspan.ports.MemoryStore`, a URL (``sqlite:///path.db``,
        ``postgresql://...``) or a file path; by default ``$MEMSPAN_STORE`` or
        ``~/.memspan/memspan.db``. ``embedder`` is an :class:`~memspan.ports.Embedder` or a name
        (``"multilingual-e5-small"``, see docs/embedders.md); by default the model the store was
        embedded with, else the bundled MiniLM model. ``extractor`` defaults to the offline
        :class:`~memspan.extract.RuleExtractor`. ``llm`` (a
        :class:`~memspan.llm.LLM`, ``"openai[:model]"``, ``"anthropic[:model]"``, ``"env"``, or a
        LangChain / LlamaIndex / AutoGen / CrewAI model) extracts with one model call per add instead.
        ``reranker`` (see :mod:`memspan.rerank`) rescores the best candidates of every search.
        ``graph`` (off by default; ``True``, a graph URL or a :class:`~memspan.graph.EntityGraph`)
        keeps entities and relations beside the memories (see :mod:`memspan.graph`).
        """
        self._own_llm = None  # a model client memspan made (from a name) is closed with the memory
        if llm is not None:
            if extractor is not None:
                raise ValidationError("pass llm= or extractor=, not both")
            from .llm import LLM, LLMExtractor, resolve_llm

            model = resolve_llm(llm)
            extractor = LLMExtractor(model)
            if not isinstance(llm, LLM):
                self._own_llm = model
        location = os.fspath(store) if isinstance(store, (str, os.PathLike)) else None
        if store is None or isinstance(store, (str, os.PathLike)):
            location = location or default_location()
            store = open_store(location)
        settings = settings or Settings()
        if instructions is not None:
            settings.instructions = instructions
        if fusion is not None:
            settings.fusion = fusion
        if reranker is not None:
            settings.reranker = reranker
        self.store: MemoryStore = store
        self.embedder: Embedder = resolve_embedder(embedder, store)
        self.extractor: Extractor = extractor or RuleExtractor()
        graph_engine = None
        if graph is not None and graph is not False:  # graph memory: imported only when asked for
            from .graph import build_graph

            graph_engine = build_graph(graph, location, self.extractor)
        self._engine = Engine(self.store, self.embedder, self.extractor, settings, clock, graph=graph_engine)

    @property
    def usage(self) -> Usage:
        """Model calls and tokens spent by this instance so far."""
        return self._engine.usage

    @property
    def settings(self) -> Settings:
        return self._engine.settings

    def _graph_engine(self) -> EntityGraph:
        if self._engine.graph is None:
            raise ValidationError("this Memory keeps no graph; open it with Memory(..., graph=True)")
        return self._engine.graph

    def close(self) -> None:
        self.store.close()
        if self._engine.graph is not None:
            self._engine.graph.store.close()
        if self._own_llm is not None:
            self._own_llm.close()
