"""Agent Framework's own provider tests on memspan: called by agent_framework.sh with a test folder.

Two of Agent Framework's test files are run twice, unchanged and with only the construction of the
provider under test swapped for memspan's (a fresh memspan SQLite file each):

- ``test_sessions.py``, its history-provider classes (``TestInMemoryHistoryProvider``,
  ``TestFileHistoryProvider``): ``InMemoryHistoryProvider(...)`` and ``FileHistoryProvider(...)``
  become ``MemspanHistoryProvider(...)``. The rest of the file tests ``SessionContext``,
  ``AgentSession``, the base classes and session stores, which memspan does not replace.
- ``test_mem0_context_provider.py``, its behaviour class (``TestCrossUserIsolation``):
  ``Mem0ContextProvider(...)`` becomes ``MemspanContextProvider(...)`` with the same user and agent,
  recalling within the ids Mem0 searches and into a message, as Mem0 does. The file's other classes
  assert the arguments Mem0's client receives (a mock's calls), which no other store can pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _hostsuite import PYTEST_INI, compare, rewrite

SESSIONS = "python/packages/core/tests/core/test_sessions.py"
MEM0 = "python/packages/mem0/tests/test_mem0_context_provider.py"

FACTORY = '''
import tempfile
from pathlib import Path

from memspan import AsyncMemory
from memspan.config import default_embedder
from memspan.integrations.agent_framework import MemspanContextProvider, MemspanHistoryProvider

_EMBEDDER = default_embedder()


def _memory(folder=None):
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="af-host-suite-"))
    folder.mkdir(parents=True, exist_ok=True)
    return AsyncMemory(folder / "memspan.db", embedder=_EMBEDDER)


def memspan_in_memory_history(source_id=None, **flags):
    """InMemoryHistoryProvider(source_id, **flags) as memspan keeps it."""
    return MemspanHistoryProvider(_memory(), source_id=source_id or "in_memory", **flags)


def memspan_file_history(storage_path, *, source_id="file_history", **flags):
    """FileHistoryProvider(storage_path, **flags) as memspan keeps it: one store in that folder."""
    return MemspanHistoryProvider(_memory(storage_path), source_id=source_id, **flags)


def memspan_mem0(*, source_id="mem0", mem0_client=None, user_id=None, agent_id=None,
                 search_user_id=None, search_agent_id=None, context_prompt=None, **unused):
    """Mem0ContextProvider(...) as memspan keeps it: same writer ids, recall within Mem0's search ids."""
    within = [k for k, v in (("user_id", search_user_id), ("agent_id", search_agent_id)) if v]
    return MemspanContextProvider(
        _memory(), user_id=user_id, agent_id=agent_id, recall_within=within or None,
        context_prompt=context_prompt, source_id=source_id, recall_as="message",
    )
'''

#: tests the host passes and memspan does not, each with why (kept in docs/integrations/agent-framework.md)
DIFFERENCES = {
    "TestInMemoryHistoryProvider.test_state_is_serializable": "reads the messages from AgentSession.state; memspan keeps them in its store",
    "TestFileHistoryProvider.test_stores_and_loads_messages": "reads the session file (_session_file_path)",
    "TestFileHistoryProvider.test_stores_and_loads_length_prefixed_msgpack": "FileHistoryProvider's file formats and codecs",
    "TestFileHistoryProvider.test_msgpack_rejects_custom_json_codecs": "FileHistoryProvider's file formats and codecs",
    "TestFileHistoryProvider.test_custom_json_codecs_are_deprecated": "FileHistoryProvider's file formats and codecs",
    "TestFileHistoryProvider.test_allows_custom_serializers_returning_bytes": "FileHistoryProvider's file formats and codecs",
    "TestFileHistoryProvider.test_serializer_must_return_single_line_json": "FileHistoryProvider's file formats and codecs",
    "TestFileHistoryProvider.test_reads_existing_stdlib_non_finite_json": "writes a session file by hand (_session_file_path)",
    "TestFileHistoryProvider.test_invalid_jsonl_line_raises": "writes a session file by hand (_session_file_path)",
    "TestFileHistoryProvider.test_truncated_msgpack_record_raises": "writes a session file by hand (_session_file_path)",
    "TestFileHistoryProvider.test_non_mapping_jsonl_line_raises": "writes a session file by hand (_session_file_path)",
    "TestFileHistoryProvider.test_uses_encoded_filename_for_unsafe_session_id": "checks the session file's name (_session_file_path)",
    "TestFileHistoryProvider.test_uses_msgspec_json_by_default": "calls FileHistoryProvider.dumps / loads",
    "TestFileHistoryProvider.test_creates_storage_directory": "checks FileHistoryProvider.storage_path",
    "TestFileHistoryProvider.test_none_session_id_uses_default_jsonl_file": (
        "a session id of None is refused (ValidationError), not filed in a shared default.jsonl"
    ),
    "TestFileHistoryProvider.test_concurrent_writes_for_same_session_are_locked": "patches Path.open on the session file",
}


def run(files: Mapping[str, str], select: str, label: str) -> dict[str, str]:
    """pytest over ``files`` in a scratch folder: "Class.test[case]" -> outcome (two classes share names)."""
    folder = Path(tempfile.mkdtemp(prefix=f"host-suite-{label}-"))
    try:
        for relative, text in files.items():
            (folder / relative).write_text(text)
        (folder / "pytest.ini").write_text(PYTEST_INI)
        report = folder / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder),
                   "-c", str(folder / "pytest.ini"), f"--junitxml={report}", "-W", "ignore", "-k", select]
        env = dict(os.environ, PYTHONPATH=str(folder))
        subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
        outcomes: dict[str, str] = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            name = f"{case.get('classname', '?').rsplit('.', 1)[-1]}.{case.get('name', '?')}"
            kinds = {child.tag for child in case}
            outcomes[name] = next(
                (o for t, o in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")) if t in kinds),
                "passed",
            )
        return outcomes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_factory(text: str) -> str:
    """The test module importing the memspan constructors (after a ``from __future__`` line, if any)."""
    line = "from memspan_host_factory import memspan_file_history, memspan_in_memory_history, memspan_mem0\n"
    head, future, tail = text.partition("from __future__ import annotations\n")
    return head + future + line + tail if future else line + text


def main() -> int:
    folder = Path(sys.argv[1])
    sessions = (folder / SESSIONS).read_text()
    mem0 = (folder / MEM0).read_text()
    ours_sessions = with_factory(rewrite(
        sessions,
        [("InMemoryHistoryProvider(", "memspan_in_memory_history("), ("FileHistoryProvider(", "memspan_file_history(")],
    ))
    ours_mem0 = with_factory(rewrite(mem0, [("Mem0ContextProvider(", "memspan_mem0(")]))
    # test_is_marked_experimental reads a class attribute and builds no provider: not a test of either
    select = "(TestInMemoryHistoryProvider or TestFileHistoryProvider or TestCrossUserIsolation)"
    select += " and not test_is_marked_experimental"
    host = run({"test_sessions.py": sessions, "test_mem0_context_provider.py": mem0}, select, "af-host")
    memspan = run(
        {
            "test_sessions.py": ours_sessions,
            "test_mem0_context_provider.py": ours_mem0,
            "memspan_host_factory.py": FACTORY,
        },
        select,
        "af-memspan",
    )
    return compare("Agent Framework providers", host, memspan, DIFFERENCES)


if __name__ == "__main__":
    raise SystemExit(main())
