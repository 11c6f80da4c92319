# Helpers the suite scripts source: a venv per suite, a host sdist, a pytest run counted by function.
HERE="$ROOT/scripts/host_suites"
UV="$(command -v uv || echo "python3 -m uv")"

# suite_venv NAME PACKAGES...: a virtual environment with memspan (editable) and PACKAGES
suite_venv() {
    local name=$1; shift
    local venv="$HOST_SUITES_DIR/venv-$name"
    [ -x "$venv/bin/python" ] || $UV venv --quiet "$venv"
    $UV pip install --quiet --python "$venv/bin/python" -e "$ROOT[langchain]" "$@" >&2
    echo "$venv/bin/python"
}

# sdist PYTHON DIST: unpack the released sdist of DIST at the version installed in PYTHON's venv
sdist() {
    local py=$1 dist=$2 version dir
    version="$("$py" -c "from importlib.metadata import version; print(version('$dist'))")"
    dir="$HOST_SUITES_DIR/sdist/$dist-$version"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir.tmp"
        (cd "$dir.tmp" && "$py" -m pip --version >/dev/null 2>&1 && PIP="$py -m pip" || PIP="python3 -m pip"
         $PIP download --quiet --no-binary :all: --no-deps "$dist==$version" -d . >&2 && tar xzf ./*.tar.gz)
        mv "$dir.tmp"/*/ "$dir" && rm -rf "$dir.tmp"
    fi
    echo "$dir"
}

# counted NAME IMPL PYTHON DIR PYTEST-ARGS...: run pytest in DIR, print "SUITE NAME IMPL passed total"
counted() {
    local name=$1 impl=$2 py=$3 dir=$4; shift 4
    local report="$HOST_SUITES_DIR/$name-$impl.xml"
    (cd "$dir" && PYTHONPATH="$dir:$HERE" timeout "${HOST_SUITE_TIMEOUT:-900}" "$py" -m pytest -q -p no:cacheprovider \
        --junitxml="$report" "$@" >"$HOST_SUITES_DIR/$name-$impl.log" 2>&1) || true
    if [ -f "$report" ]; then
        echo "SUITE $name $impl $("$py" "$HERE/_count_functions.py" "$report")"
    else
        echo "SUITE $name $impl 0 0  (no report: see $HOST_SUITES_DIR/$name-$impl.log)"
    fi
}
