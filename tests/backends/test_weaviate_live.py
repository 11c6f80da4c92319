"""The full conformance suite against a live Weaviate, when ``WEAVIATE_URL`` is set.

Start one with Docker (see docs/backends.md), then:
``WEAVIATE_URL=weaviate://localhost:8080 pytest tests/backends/test_weaviate_live.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from memspan.ports import MemoryStore
from memspan.testing import StoreConformance

pytestmark = pytest.mark.skipif(
    not os.environ.get("WEAVIATE_URL"), reason="set WEAVIATE_URL to a live Weaviate"
)


class TestWeaviateConformance(StoreConformance):
    concurrent_writers = 4
    transactional = False  # no multi-object transactions: an add is written part by part

    @pytest.fixture
    def store(self) -> Iterator[MemoryStore]:
        from memspan.stores.weaviate import WeaviateStore

        url = os.environ["WEAVIATE_URL"]
        collection = f"T{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in url else "?"
        store = WeaviateStore.from_url(f"{url}{separator}collection={collection}")
        yield store
        for suffix in ("", "History", "Directory", "Settings"):
            store.client.collections.delete(f"{collection}{suffix}")
        store.close()
