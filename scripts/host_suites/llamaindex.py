"""LlamaIndex's chat-store and ChatMemoryBuffer tests on memspan's ``MemspanChatStore``.

LlamaIndex publishes no tests on PyPI (none of the llama-index-core sdists or wheels carries
them), so this suite reads them from a checkout of the release's git tag::

    git clone --depth 1 --branch v0.14.25 https://github.com/run-llama/llama_index
    LLAMAINDEX_TESTS=llama_index/llama-index-core/tests scripts/host-suites.sh llamaindex

Only the construction changes: ``SimpleChatStore()`` becomes a ``MemspanChatStore`` over a fresh
SQLite file, and ``ChatMemoryBuffer.from_defaults(...)`` is given such a store as ``chat_store``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _hostsuite import NOT_RUN, compare, rewrite, run

FILES = ["storage/chat_store/test_simple_chat_store.py", "memory/test_chat_memory_buffer.py"]

FACTORY = '''
import tempfile
from pathlib import Path

from llama_index.core.memory.chat_memory_buffer import ChatMemoryBuffer

from memspan import Memory
from memspan.integrations.llamaindex import MemspanChatStore


def memspan_chat_store():
    """What the suite builds instead of SimpleChatStore: memspan over a new SQLite file."""
    return MemspanChatStore(memory=Memory(Path(tempfile.mkdtemp(prefix="llamaindex-host-suite-")) / "m.db"))


def memspan_buffer(**options):
    """ChatMemoryBuffer.from_defaults with memspan's chat store."""
    return ChatMemoryBuffer.from_defaults(chat_store=memspan_chat_store(), **options)
'''

_KEYS = "memspan never lists every session's key (get_keys is refused: the keys span every user)"
#: tests the host passes and memspan does not, each with why (kept in docs/integrations/llamaindex.md)
DIFFERENCES = {
    "test_add_messages": _KEYS,
    "test_persist_non_ascii_unescaped": "persist()/from_persist_path() are SimpleChatStore's JSON file; memspan's store is its database",
}


def main() -> int:
    folder = os.environ.get("LLAMAINDEX_TESTS")
    if not folder:
        print(
            "NOT RUN: LlamaIndex ships no tests on PyPI; set LLAMAINDEX_TESTS to llama-index-core/tests of a checkout"
        )
        return NOT_RUN
    tests = {name: (Path(folder) / name).read_text() for name in FILES}
    host = {Path(name).name: text for name, text in tests.items()}
    store, buffer = (Path(n).name for n in FILES)
    ours = {
        store: "from memspan_host_factory import memspan_chat_store\n"
        + rewrite(tests[FILES[0]], [("chat_store = SimpleChatStore()", "chat_store = memspan_chat_store()")]),
        buffer: "from memspan_host_factory import memspan_buffer\n"
        + rewrite(tests[FILES[1]], [("ChatMemoryBuffer.from_defaults(", "memspan_buffer(")]),
        "memspan_host_factory.py": FACTORY,
    }
    host_results = run(host, None, "llamaindex-host")
    memspan_results = run(ours, None, "llamaindex-memspan")
    return compare("LlamaIndex chat store + ChatMemoryBuffer", host_results, memspan_results, DIFFERENCES)


if __name__ == "__main__":
    raise SystemExit(main())
