"""langchain-tests' ``RetrieversIntegrationTests`` for ``MemspanRetriever`` (run by langchain.sh)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from memspan import Memory
from memspan.integrations.langchain import MemspanRetriever

_MEMORY = Memory(os.path.join(tempfile.mkdtemp(), "retriever.db"))
for _text in (
    "I play tennis on Thursdays.",
    "My daughter is called Mia.",
    "I am allergic to peanuts.",
    "I moved to Porto last spring.",
    "I work as a nurse on night shifts.",
):
    _MEMORY.add(_text, user_id="host-suite", infer=False)


class TestMemspanRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return MemspanRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"memory": _MEMORY, "user_id": "host-suite"}

    @property
    def retriever_query_example(self) -> str:
        return "what do I do on Thursdays?"
