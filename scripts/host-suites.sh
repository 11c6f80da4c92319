#!/usr/bin/env bash
# Runs each framework's own store/memory tests against memspan and against the framework's own
# implementation, and prints the pass counts side by side (see docs/integrations/<framework>.md).
# Every file in scripts/host_suites/ is one suite (names starting with "_" are helpers, not suites);
# pass suite names to run only those: scripts/host-suites.sh autogen crewai
# A suite exits 0 when memspan passes what the host passes (bar differences it names with reasons),
# 1 when it does not, and 3 when it could not run here (it prints why).
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
    *.py) "$PYTHON" "$suite"; rc=$? ;;
    *.sh) bash "$suite"; rc=$? ;;
    *) continue ;;
  esac
  # 3: the suite could not run here (no sdist download, no test checkout) and said why; not a pass
  if [ "$rc" -eq 3 ]; then echo "(${name%.*}: not run)"; elif [ "$rc" -ne 0 ]; then status=1; fi
done
exit $status
