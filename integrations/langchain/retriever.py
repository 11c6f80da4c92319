"""A LangChain retriever over one scope's memories (RAG chains, ``create_retriever_tool``)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call, run_async, run_sync
from memspan.errors import ValidationError

from .._adapter import RECALLABLE, FacadePort
from .._scopes import ScopeKey, recall_ids


def memory_document(item: MemoryItem) -> Document:
    """A memory as a Document: its text, with its id, score, scope and metadata alongside."""
    metadata: dict[str, Any] = dict(item.metadata)
    metadata.update(
        id=item.id,
        score=item.score,
        memory_type=item.memory_type.value,
        created_at=item.created_at,
        updated_at=item.updated_at,
        user_id=item.user_id,
        agent_id=item.agent_id,
        run_id=item.run_id,
    )
    return Document(page_content=item.text, metadata=metadata, id=item.id)


class MemspanRetriever(BaseRetriever):
    """Documents for the memories of a scope that best match the query, best first.

    ``memory`` is any memspan memory facade (``Memory``, ``AsyncMemory``, ``RemoteMemory``,
    ``AsyncRemoteMemory``); scores are similarities in [0, 1]. As in every memspan adapter the
    retriever looks within the whole user (every agent's memories of them) unless
    ``recall_within`` narrows it, e.g. ``recall_within=("user_id", "agent_id")``. Transcript
    messages and LangGraph store items are left out unless ``filters`` ask otherwise.
    ``invoke(query, k=2)`` (also ``filters=``, ``threshold=``) overrides the fields for one call.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    k: int = 4
    filters: dict[str, Any] | None = None
    threshold: float | None = None
    recall_within: list[ScopeKey] | None = None
    _port: FacadePort = PrivateAttr()
    _scope: Scope = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # checked after pydantic, so a bad scope raises memspan's ScopeError rather than pydantic's wrapper
        given = Scope.of(self.user_id, self.agent_id, self.run_id, operation="MemspanRetriever")
        self._scope = Scope.of(**recall_ids(given.as_dict(), self.recall_within))
        self._port = FacadePort(self.memory)

    def _search(self, query: str, overrides: dict[str, Any]) -> Flow[list[Document]]:
        unknown = set(overrides) - {"k", "filters", "threshold"}
        if unknown:
            raise ValidationError(
                f"MemspanRetriever takes k=, filters= and threshold= per call, not {sorted(unknown)}"
            )
        k = overrides.get("k", self.k)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValidationError(f"k must be a positive integer, got {k!r}")
        filters = overrides.get("filters", self.filters)
        found = yield call(
            self._port,
            "search",
            query,
            **self._scope.as_dict(),
            filters=filters if filters is not None else RECALLABLE,
            limit=k,
            threshold=overrides.get("threshold", self.threshold),
        )
        return [memory_document(item) for item in found]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return run_sync(self._search(query, kwargs))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return await run_async(self._search(query, kwargs))


__all__ = ["MemspanRetriever", "memory_document"]
