#!/usr/bin/env bash
# LangGraph's store tests: langgraph-checkpoint's InMemoryStore tests and langgraph-checkpoint-sqlite's
# SqliteStore sync, async and TTL tests, each run as released and with the store built by memspan
# (the langgraph_memspan plugin replaces only the store classes the tests construct).
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
source "$(dirname "$0")/_common.sh"
PY="$(suite_venv langgraph langgraph-checkpoint-sqlite aiosqlite pytest pytest-asyncio pytest-mock pytest-retry)"
CHECKPOINT="$(sdist "$PY" langgraph-checkpoint)"
SQLITE="$(sdist "$PY" langgraph-checkpoint-sqlite)"
OPTS=(-o asyncio_mode=auto -o addopts= -p no:randomly)
for impl in host memspan; do
    plugin=(); [ "$impl" = memspan ] && plugin=(-p _langgraph_memspan)
    counted langgraph-inmemory "$impl" "$PY" "$CHECKPOINT" "${OPTS[@]}" "${plugin[@]}" tests/test_store.py
    counted langgraph-sqlite "$impl" "$PY" "$SQLITE" "${OPTS[@]}" "${plugin[@]}" tests/test_store.py tests/test_async_store.py
    counted langgraph-sqlite-ttl "$impl" "$PY" "$SQLITE" "${OPTS[@]}" "${plugin[@]}" tests/test_ttl.py
done
