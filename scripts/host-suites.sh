#!/usr/bin/env bash
# Runs each framework's own store/memory tests against memspan and against the framework's own
# implementation, and prints the pass counts side by side (see docs/integrations/<framework>.md).
# Every file in scripts/host_suites/ is one suite (names starting with "_" are helpers, not suites);
# pass suite names to run only those: scripts/host-suites.sh autogen crewai
set -u
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
status=0
for suite in scripts/host_suites/*; do
  name="$(basename "$suite")"
  case "$name" in _*|__pycache__) continue ;; esac
  if [ "$#" -gt 0 ] && [[ " $* " != *" ${name%.*} "* ]]; then continue; fi
  echo "== ${name%.*}"
  case "$name" in
    *.py) "$PYTHON" "$suite" || status=1 ;;
    *.sh) bash "$suite" || status=1 ;;
  esac
done
exit $status
