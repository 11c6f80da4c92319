"""A LangChain retriever over one scope's memories (RAG chains, ``create_retriever_tool``)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from memspan import MemoryItem, Scope
from memspan.effects import Flow, call, run_async, run_sync

from .._adapter import NOT_TRANSCRIPT, FacadePort


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

    ``memory`` is a :class:`~memspan.Memory` or :class:`~memspan.AsyncMemory`; scores are
    similarities in [0, 1]. Transcript messages are left out unless ``filters`` ask otherwise.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    memory: Any
    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    k: int = 4
    filters: dict[str, Any] | None = None
    threshold: float | None = None
    _port: FacadePort = PrivateAttr()
    _scope: Scope = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        # checked after pydantic, so a bad scope raises memspan's ScopeError rather than pydantic's wrapper
        self._scope = Scope.of(self.user_id, self.agent_id, self.run_id, operation="MemspanRetriever")
        self._port = FacadePort(self.memory)

    def _search(self, query: str) -> Flow[list[Document]]:
        found = yield call(
            self._port,
            "search",
            query,
            **self._scope.as_dict(),
            filters=self.filters if self.filters is not None else NOT_TRANSCRIPT,
            limit=self.k,
            threshold=self.threshold,
        )
        return [memory_document(item) for item in found]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return run_sync(self._search(query))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        return await run_async(self._search(query))


__all__ = ["MemspanRetriever", "memory_document"]
