"""Without the otel extra nothing of OpenTelemetry is imported, and memory calls work as before.

Each check runs in a fresh interpreter: the test process itself has imported OpenTelemetry.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run(code: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_memspan_does_not_import_opentelemetry(tmp_path: Path) -> None:
    out = run(
        """
        import sys
        import memspan
        from memspan import Memory
        memory = Memory("m.db")
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        memory.close()
        """,
        tmp_path,
    )
    assert out.strip() == "[]"


def test_absent_extra_means_no_import_and_the_same_answers(tmp_path: Path) -> None:
    out = run(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
        import asyncio
        from memspan import AsyncMemory, Memory, telemetry

        with Memory("m.db") as memory:
            memory.add("I'm vegetarian and allergic to peanuts.", user_id="maya")
            hits = memory.search("what can Maya eat?", user_id="maya")

        async def main():
            async with AsyncMemory("m.db") as amemory:
                return await amemory.search("what can Maya eat?", user_id="maya")

        ahits = asyncio.run(main())
        assert telemetry.instruments() is None
        assert [h.text for h in hits] == [h.text for h in ahits] == ["I'm vegetarian and allergic to peanuts."]
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry") and sys.modules[m] is not None))
        """,
        tmp_path,
    )
    assert out.strip() == "[]"


def test_the_switch_turns_it_off_with_the_api_installed(tmp_path: Path) -> None:
    out = run(
        """
        import os, sys
        os.environ["MEMSPAN_TELEMETRY"] = "off"
        from memspan import Memory, telemetry
        with Memory("m.db") as memory:
            memory.add("I have a dog called Biscuit.", user_id="maya")
        print(telemetry.instruments(), any(m.startswith("opentelemetry") for m in sys.modules))
        """,
        tmp_path,
    )
    assert out.strip() == "None False"
