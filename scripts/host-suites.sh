#!/usr/bin/env bash
# The frameworks' own store/memory test suites, run against memspan and against each framework's
# own implementation, pass counts side by side (see docs/integrations/*.md for the figures).
# Usage: bash scripts/host-suites.sh [suite ...]   (default: every scripts/host_suites/*.sh)
# Each suite takes its tests from the framework's released sdist (pip download --no-binary :all:),
# installs what it needs into its own virtual environment under $HOST_SUITES_DIR (default: a
# folder in $TMPDIR kept between runs), and prints one line per implementation:
#   SUITE <name> <implementation> <passed> <total>    (counted by test function)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export ROOT
export HOST_SUITES_DIR="${HOST_SUITES_DIR:-${TMPDIR:-/tmp}/memspan-host-suites}"
mkdir -p "$HOST_SUITES_DIR"
if [ "$#" -gt 0 ]; then
    suites=()
    for name in "$@"; do suites+=("$ROOT/scripts/host_suites/$name.sh"); done
else
    suites=("$ROOT"/scripts/host_suites/*.sh)
fi
status=0
for suite in "${suites[@]}"; do
    echo "== $(basename "$suite" .sh)"
    bash "$suite" || status=1
done
exit $status
