#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, then lint, types and tests.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! command -v uv >/dev/null 2>&1; then
    "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi
UV="$(command -v uv || echo "$PYTHON -m uv")"
[ -x .venv/bin/python ] || $UV venv --quiet --python "$PYTHON" .venv
$UV pip install --quiet --python .venv/bin/python -e '.[all,dev]'

# system packages some suites drive (a real browser); installed only where apt can do it
if [ -x scripts/system-deps.sh ] || [ -f scripts/system-deps.sh ]; then
    bash scripts/system-deps.sh
fi

echo "== ruff"
.venv/bin/ruff check core integrations tests benchmarks examples
echo "== mypy"
bash scripts/typecheck.sh
echo "== pytest"
.venv/bin/python -m pytest "$@"
