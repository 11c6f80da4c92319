#!/usr/bin/env bash
# Google ADK's own memory-service tests (tests/unittests/memory/test_in_memory_memory_service.py), run
# as released against InMemoryMemoryService and with the service built as memspan's
# MemspanMemoryService (the _adk_memspan plugin; nothing else in the tests changes).
# google-adk's sdist ships no tests, so the file comes from the GitHub tag of the installed version
# (set ADK_TESTS_REF to another tag or commit); it is cached under $HOST_SUITES_DIR.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
# _common.sh (suite_venv, sdist, counted) comes with the LangGraph suite
source "$(dirname "$0")/_common.sh"
PY="$(suite_venv adk "google-adk>=2.13,<3" pytest pytest-asyncio)"
VERSION="$("$PY" -c "from importlib.metadata import version; print(version('google-adk'))")"
REF="${ADK_TESTS_REF:-v$VERSION}"
DIR="$HOST_SUITES_DIR/adk-tests-$REF"
FILE=tests/unittests/memory/test_in_memory_memory_service.py
if [ ! -f "$DIR/$FILE" ]; then
    mkdir -p "$DIR/$(dirname "$FILE")"
    curl -fsSL "https://raw.githubusercontent.com/google/adk-python/$REF/$FILE" -o "$DIR/$FILE"
fi
OPTS=(-o asyncio_mode=auto -o addopts= -p no:randomly)
counted adk-memory host "$PY" "$DIR" "${OPTS[@]}" "$FILE"
counted adk-memory memspan "$PY" "$DIR" "${OPTS[@]}" -p _adk_memspan "$FILE"
# the same with a relevance floor: only memories that share a word or are close in meaning
ADK_MEMSPAN_THRESHOLD=0.25 counted adk-memory memspan-threshold-0.25 "$PY" "$DIR" "${OPTS[@]}" -p _adk_memspan "$FILE"
