"""crewai's unified-memory tests (tests/memory/test_unified_memory.py) on memspan: the items that build a Memory.

Only the construction changes: ``Memory(storage=<path>, llm=..., embedder=...)`` becomes memspan's
``MemspanMemory`` over a SQLite file at that path, with memspan's own embedder and extractor (crewai's
``llm=`` / ``embedder=`` are the test's mocks of crewai internals memspan does not use), writing
what it is given (``infer=False``: crewai's ``remember`` stores the content it receives).
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _hostsuite import compare, extract, rewrite, run, sdist

FACTORY = '''
import os
import tempfile

os.environ.update(OTEL_SDK_DISABLED="true", CREWAI_DISABLE_TELEMETRY="true", CREWAI_TRACING_ENABLED="false")

from crewai.memory.unified_memory import Memory as CrewMemory

from memspan.integrations.crewai import MemspanMemory


def Memory(storage=None, llm=None, embedder=None, **settings):
    """What the suite builds instead of crewai's Memory: memspan over a SQLite file at ``storage``."""
    if storage is not None and not isinstance(storage, str):
        raise TypeError(f"memspan keeps its own store; cannot use crewai's {type(storage).__name__}")
    path = (storage or tempfile.mkdtemp(prefix="crewai-host-suite-")) + ".memspan.db"
    return MemspanMemory(backend=path, user_id="host-suite", infer=False, **settings)
'''

_CROSS_LLM = "memspan uses its own extractor, not crewai's analysis LLM (the test drives a mock of it)"
_INTERNAL = "tests crewai's own save pipeline internals (batch embedding, dedup, consolidation, thread pool)"
_LANCEDB = "writes records straight into crewai's LanceDB storage, which memspan does not use"
#: tests the host passes and memspan does not, each with why (kept in docs/integrations/crewai.md)
DIFFERENCES = {
    "test_memory_extract_memories_returns_list_from_llm": _CROSS_LLM,
    "test_remember_survives_llm_failure": _CROSS_LLM,
    "test_agent_kickoff_memory_recall_and_save": _CROSS_LLM,
    "test_batch_embed_single_call": _INTERNAL,
    "test_intra_batch_dedup_drops_near_identical": _INTERNAL,
    "test_batch_consolidation_deduplicates_against_storage": _INTERNAL,
    "test_parallel_find_similar_runs_all_searches": _INTERNAL,
    "test_parallel_analyze_runs_concurrent_calls": _INTERNAL,
    "test_remember_many_returns_immediately": "memspan saves synchronously, so failures surface (no background pool)",
    "test_reset_all_blocks_new_save_submission_until_reset_completes": _INTERNAL,
    "test_close_drains_and_shuts_down": (
        "close() closes the SQLite store memspan opened from the path, so the test's count afterwards is refused"
    ),
    "test_private_record_without_source_does_not_leak[shallow]": _LANCEDB,
    "test_private_record_without_source_does_not_leak[deep]": _LANCEDB,
    "test_private_record_still_visible_to_its_source_and_when_included": _LANCEDB,
    "test_recall_does_not_refresh_access_time_when_read_only": (
        "memspan does not write on reads: recall never refreshes an access time"
    ),
    "test_composite_score_reranks_results": "memspan ranks by its own fused score, not crewai's recency/importance mix",
}


def selected(tests: str) -> list[str]:
    """The tests that build a unified Memory (directly or through the suite's helper)."""
    tree = ast.parse(tests)
    builders = {"_memory_with_private_records"}
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            source = ast.get_source_segment(tests, node) or ""
            if "Memory(" in source.replace("MemoryScope(", "").replace("MemorySlice(", "").replace(
                "MemoryRecord(", ""
            ) or any(b in source for b in builders):
                names.append(node.name)
    return names


def main() -> int:
    os.environ.update(
        OTEL_SDK_DISABLED="true", CREWAI_DISABLE_TELEMETRY="true", CREWAI_TRACING_ENABLED="false"
    )
    path = "tests/memory/test_unified_memory.py"
    tests = extract(sdist("crewai"), [path], Path())[path]
    ours = rewrite(
        tests,
        [("from crewai.memory.unified_memory import Memory\n", "from memspan_host_factory import Memory\n")],
    )
    select = " or ".join(selected(tests))
    host = run({"test_unified_memory.py": tests}, select, "crewai-host")
    memspan = run(
        {"test_unified_memory.py": ours, "memspan_host_factory.py": FACTORY}, select, "crewai-memspan"
    )
    return compare("crewai unified Memory", host, memspan, DIFFERENCES)


if __name__ == "__main__":
    raise SystemExit(main())
