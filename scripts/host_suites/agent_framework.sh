#!/usr/bin/env bash
# Microsoft Agent Framework's own provider tests, run as released against its providers and with
# only their construction swapped for memspan's (see _agent_framework_suite.py for what is run):
# - python/packages/core/tests/core/test_sessions.py: InMemoryHistoryProvider and FileHistoryProvider
# - python/packages/mem0/tests/test_mem0_context_provider.py: Mem0ContextProvider's cross-user tests
# agent-framework-core's sdist ships no tests, so they come from the GitHub tag of the installed
# version (python-<version>; set AF_TESTS_REF to another tag or commit), or from a checkout of
# microsoft/agent-framework given as AF_TESTS_DIR. Exit 3 (not run) when neither can be had.
set -euo pipefail
ROOT="${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
# _common.sh (suite_venv, sdist, counted) comes with the LangGraph suite
source "$(dirname "$0")/_common.sh"
PY="$(suite_venv agent-framework "agent-framework-core>=1.23,<2" agent-framework-mem0 pytest pytest-asyncio)"
VERSION="$("$PY" -c "from importlib.metadata import version; print(version('agent-framework-core'))")"
FILES=(python/packages/core/tests/core/test_sessions.py python/packages/mem0/tests/test_mem0_context_provider.py)
if [ -n "${AF_TESTS_DIR:-}" ]; then
    DIR="$AF_TESTS_DIR"
else
    REF="${AF_TESTS_REF:-python-$VERSION}"
    DIR="$HOST_SUITES_DIR/agent-framework-tests-$REF"
    for file in "${FILES[@]}"; do
        [ -f "$DIR/$file" ] && continue
        mkdir -p "$DIR/$(dirname "$file")"
        if ! curl -fsSL "https://raw.githubusercontent.com/microsoft/agent-framework/$REF/$file" -o "$DIR/$file.part"; then
            echo "NOT RUN: could not download $file at $REF from GitHub; set AF_TESTS_DIR to a checkout"
            exit 3
        fi
        mv "$DIR/$file.part" "$DIR/$file"
    done
fi
for file in "${FILES[@]}"; do
    if [ ! -f "$DIR/$file" ]; then
        echo "NOT RUN: $DIR has no $file"
        exit 3
    fi
done
exec "$PY" "$HERE/_agent_framework_suite.py" "$DIR"
