#!/usr/bin/env bash
# The OpenAI Agents SDK's own session tests (tests/memory/test_session.py and test_session_limit.py,
# from the released sdist), run as released against SQLiteSession and with every SQLiteSession built
# as memspan's MemspanSession (the openai_agents_memspan plugin; nothing else in the tests changes).
set -euo pipefail
source "$(dirname "$0")/common.sh"
PY="$(suite_venv openai-agents "openai-agents>=0.20,<0.24" pytest pytest-asyncio pytest-mock inline-snapshot)"
SDK="$(sdist "$PY" openai-agents)"
OPTS=(-o asyncio_mode=auto -o addopts= -p no:randomly)
for impl in host memspan; do
    plugin=(); [ "$impl" = memspan ] && plugin=(-p openai_agents_memspan)
    counted openai-agents-sessions "$impl" "$PY" "$SDK" "${OPTS[@]}" "${plugin[@]}" \
        tests/memory/test_session.py tests/memory/test_session_limit.py
done
