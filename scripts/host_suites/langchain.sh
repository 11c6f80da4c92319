#!/usr/bin/env bash
# LangChain's own tests: langchain-core's RunnableWithMessageHistory tests (from its released sdist),
# run as released and with the history class swapped for MemspanChatMessageHistory; and
# langchain-tests' RetrieversIntegrationTests for MemspanRetriever (no host retriever takes k=).
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
source "$(dirname "$0")/_common.sh"
PY="$(suite_venv langchain langchain-tests pytest pytest-asyncio pytest-mock blockbuster syrupy pytest-socket)"
CORE="$(sdist "$PY" langchain-core)"
OPTS=(-o asyncio_mode=auto -o addopts= -p no:randomly)
for impl in host memspan; do
    plugin=(); [ "$impl" = memspan ] && plugin=(-p _langchain_memspan)
    counted langchain-history "$impl" "$PY" "$CORE" "${OPTS[@]}" "${plugin[@]}" tests/unit_tests/runnables/test_history.py
done
counted langchain-retriever memspan "$PY" "$HERE" "${OPTS[@]}" _langchain_retrievers.py
