"""The store conformance suite against :class:`WeaviateStore` on an in-process Weaviate stand-in.

This runs the store's own code (tenants, writes, history, directory, searches, expiry) on every
machine; the stand-in (:mod:`._weaviate_fake`) applies Weaviate's filter, vector and BM25 semantics
to dictionaries. ``tests/backends/test_weaviate_live.py`` runs the same suite on a real server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("weaviate")

from memspan.ports import MemoryStore
from memspan.stores.weaviate import WeaviateStore
from memspan.testing import StoreConformance

from ._weaviate_fake import FakeWeaviateClient

_CJK = "Weaviate's word tokenization keeps a CJK sentence as one token: no keyword match inside it"
#: where WeaviateStore falls short of the suite (as a live server would: these follow from Weaviate's
#: semantics, not the stand-in's), with whether the failure is certain
KNOWN_GAPS = {
    "test_keyword_scores_depend_only_on_the_scope": (_CJK, True),
    "test_keyword_scores_are_shares_of_the_query": (
        "scores are BM25 shares of the best hit, not memspan's coverage score naming the words matched",
        True,
    ),
    "test_cjk_text_is_found_by_keywords": (_CJK, True),
    "test_cjk_keywords_follow_updates_and_deletes": (_CJK, True),
    "test_vectors_and_iteration_round_trip": (
        "iter_memories orders by (created_at, id): memories with one created_at come in id order, "
        "not insertion order (in order by chance once in 120 runs)",
        False,
    ),
}


class TestWeaviateOnTheStandIn(StoreConformance):
    concurrent_writers = 4
    transactional = False  # no multi-object transactions: an add is written part by part

    @pytest.fixture
    def store(self, request: pytest.FixtureRequest) -> Iterator[MemoryStore]:
        gap = KNOWN_GAPS.get(request.node.originalname)
        if gap is not None:
            request.node.add_marker(pytest.mark.xfail(reason=gap[0], strict=gap[1]))
        client = FakeWeaviateClient()
        store = WeaviateStore(client, collection="Memspan")  # type: ignore[arg-type]
        yield store
        store.close()
        assert client.closed
