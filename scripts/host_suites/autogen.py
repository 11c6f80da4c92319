"""autogen-core's ListMemory behaviour tests (tests/test_memory.py, test_list_memory_*) on memspan.

Only the construction changes: ``ListMemory(...)`` becomes a memspan ``MemspanMemory`` over a
fresh SQLite file, writing verbatim (``infer=False``, as ListMemory keeps what it is given).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _hostsuite import compare, extract, rewrite, run, sdist

FACTORY = '''
import tempfile
from pathlib import Path

from memspan.integrations.autogen import MemspanMemory


def memspan_list_memory(name=None, memory_contents=None):
    """What the suite builds instead of ListMemory: a memspan memory on a new SQLite file."""
    folder = Path(tempfile.mkdtemp(prefix="autogen-host-suite-"))
    return MemspanMemory(folder / "memspan.db", user_id="host-suite", infer=False, name=name)
'''

#: tests the host passes and memspan does not, each with why (kept in docs/integrations/autogen.md)
DIFFERENCES = {
    "test_list_memory_content_types": "memspan stores text and JSON; binary content is refused with a ValidationError",
}


def main() -> int:
    tests = extract(sdist("autogen-core"), ["tests/test_memory.py"], Path())["tests/test_memory.py"]
    ours = "from memspan_host_factory import memspan_list_memory\n" + rewrite(
        tests,
        [
            ("ListMemory()", "memspan_list_memory()"),
            ('ListMemory(name="test_memory")', 'memspan_list_memory(name="test_memory")'),
        ],
    )
    host = run({"test_memory.py": tests}, "test_list_memory", "autogen-host")
    memspan = run(
        {"test_memory.py": ours, "memspan_host_factory.py": FACTORY}, "test_list_memory", "autogen-memspan"
    )
    return compare("autogen-core ListMemory", host, memspan, DIFFERENCES)


if __name__ == "__main__":
    raise SystemExit(main())
