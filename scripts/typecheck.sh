#!/usr/bin/env bash
# mypy (strict) over the whole import package: core/ and integrations/ as `memspan`, the way they
# are installed. The source tree maps core/ -> memspan and integrations/ -> memspan.integrations,
# which mypy cannot follow, so it checks a tree of symlinks laid out like the installed package.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/memspan"
cp -rs "$root/core/." "$tree/memspan/"
cp -rs "$root/integrations" "$tree/memspan/integrations"
cd "$tree"
"$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.mypy_cache" -p memspan
