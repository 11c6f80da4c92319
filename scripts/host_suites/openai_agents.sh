#!/usr/bin/env bash
# The OpenAI Agents SDK's own session tests (tests/memory/test_session.py and test_session_limit.py,
# from the released sdist), run as released against SQLiteSession and with every SQLiteSession built
# as memspan's MemspanSession (the _openai_agents_memspan plugin; nothing else in the tests changes).
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
# _common.sh (suite_venv, sdist, counted) comes with the LangGraph suite
source "$(dirname "$0")/_common.sh"
PY="$(suite_venv openai-agents "openai-agents>=0.20,<0.21" pytest pytest-asyncio pytest-mock inline-snapshot)"
SDK="$(sdist "$PY" openai-agents)"
OPTS=(-o asyncio_mode=auto -o addopts= -p no:randomly)
for impl in host memspan; do
    plugin=(); [ "$impl" = memspan ] && plugin=(-p _openai_agents_memspan)
    counted openai-agents-sessions "$impl" "$PY" "$SDK" "${OPTS[@]}" "${plugin[@]}" \
        tests/memory/test_session.py tests/memory/test_session_limit.py
done
