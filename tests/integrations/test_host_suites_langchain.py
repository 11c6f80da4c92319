"""LangGraph's and LangChain's own tests, run against memspan and the hosts' own implementations.

``scripts/host_suites/langgraph.sh`` and ``langchain.sh`` take the tests from the frameworks'
released sdists (the installed versions), swap only the store/history construction for memspan's,
and print ``SUITE <name> <implementation> <passed> <total>`` counted by test function. The floors
below are the counts documented in docs/integrations/langchain.md; a change that makes memspan
fail more of a host's tests fails here. The suites install into their own virtual environment
and download the sdists from PyPI, so they need the network; the LangGraph one takes minutes.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

SUITES = Path(__file__).parents[2] / "scripts" / "host_suites"


def _counts(script: str) -> dict[tuple[str, str], tuple[int, int]]:
    done = subprocess.run(["bash", str(SUITES / script)], capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.findall(r"^SUITE (\S+) (\S+) (\d+) (\d+)", done.stdout, re.M)
    return {(name, impl): (int(passed), int(total)) for name, impl, passed, total in found}


def test_langchain_suites_pass_as_many_as_the_host() -> None:
    counts = _counts("langchain.sh")
    assert counts[("langchain-history", "memspan")] == counts[("langchain-history", "host")] == (23, 23)
    assert counts[("langchain-retriever", "memspan")] == (
        5,
        5,
    )  # the 4 retriever tests + standard-tests' own check


@pytest.mark.slow
def test_langgraph_store_suites_meet_their_floors() -> None:
    counts = _counts("langgraph.sh")
    passed = {
        suite: counts[(suite, "memspan")][0]
        for suite in ("langgraph-inmemory", "langgraph-sqlite", "langgraph-sqlite-ttl")
    }
    assert passed["langgraph-inmemory"] >= 34
    assert passed["langgraph-sqlite"] >= 55  # a NUL in a filter value is a FilterError (docs)
    assert passed["langgraph-sqlite-ttl"] >= 10  # timing-based tests (they carry their own retries)
    assert sum(passed.values()) >= 100
