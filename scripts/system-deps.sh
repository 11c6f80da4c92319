#!/usr/bin/env bash
# System packages the test suite drives: Debian's Chromium for the memory-browser tests.
# Installs only what is missing, only as root with apt-get available; otherwise says what to do.
# Idempotent and quiet: safe to run before every test run.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: ${missing[*]} missing (browser tests will skip); install as root: apt-get install ${missing[*]}" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
    echo "system-deps: installed ${missing[*]}"
else
    echo "system-deps: could not install ${missing[*]} with apt-get (browser tests will skip)" >&2
fi
