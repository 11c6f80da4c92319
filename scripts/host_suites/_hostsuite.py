"""Shared by the host-suite scripts: fetch a framework's released tests, run them twice, compare.

Each suite takes the framework's own tests from its released sdist (the version installed here),
writes two copies into a scratch folder — unchanged, and with only the construction of the store
or memory swapped for memspan's — runs pytest on both and prints the passes side by side. A test
that passes on the host's implementation and fails on memspan's is only accepted when the suite
names it with the reason (the same reasons are in docs/integrations/<framework>.md).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

CACHE = Path(os.environ.get("MEMSPAN_HOST_SUITES_CACHE", Path.home() / ".cache" / "memspan" / "host-suites"))
#: exit status of a suite that could not run here (no network for the sdist, no test checkout)
NOT_RUN = 3
PYTEST_INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


def sdist(name: str) -> Path:
    """The released source archive of the installed version of ``name`` (downloaded once)."""
    version = importlib.metadata.version(name)
    folder = CACHE / f"{name}-{version}"
    found = sorted(folder.glob("*.tar.gz")) if folder.exists() else []
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    if importlib.util.find_spec("pip") is not None:
        pip = [sys.executable, "-m", "pip"]
    else:  # a uv-made environment has no pip: borrow one
        pip = ["uv", "run", "--no-project", "--with", "pip", "python", "-m", "pip"]
    spec = f"{name}=={version}"
    done = subprocess.run(
        [*pip, "download", "-q", "--no-binary", ":all:", "--no-deps", spec, "-d", str(folder)]
    )
    found = sorted(folder.glob("*.tar.gz"))
    if done.returncode != 0 or not found:
        print(f"NOT RUN: could not download the sdist of {spec} from PyPI (offline?)")
        raise SystemExit(NOT_RUN)
    return found[0]


def extract(archive: Path, members: Iterable[str], into: Path) -> dict[str, str]:
    """The named files of the archive (paths below its top folder) as text."""
    wanted = set(members)
    out: dict[str, str] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            inner = member.name.split("/", 1)[-1]
            if inner in wanted:
                handle = tar.extractfile(member)
                assert handle is not None
                out[inner] = handle.read().decode()
    missing = wanted - set(out)
    if missing:
        raise SystemExit(
            f"{archive.name} has no {sorted(missing)}: the suite needs updating for this release"
        )
    return out


def run(files: Mapping[str, str], select: str | None, label: str) -> dict[str, str]:
    """Run pytest over ``files`` (relative path -> text) in a scratch folder: test id -> outcome."""
    folder = Path(tempfile.mkdtemp(prefix=f"host-suite-{label}-"))
    try:
        for relative, text in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        (folder / "pytest.ini").write_text(PYTEST_INI)
        report = folder / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(folder)]
        command += ["-c", str(folder / "pytest.ini"), f"--junitxml={report}", "-W", "ignore"]
        if select:
            command += ["-k", select]
        env = dict(os.environ, PYTHONPATH=str(folder), OPENAI_API_KEY="")
        env.pop("OPENAI_API_KEY")
        subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        outcomes: dict[str, str] = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            name = case.get("name", "?")
            kinds = {child.tag for child in case}
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                if tag in kinds:
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                    break
            outcomes[name] = outcome
        return outcomes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def compare(
    framework: str,
    host: Mapping[str, str],
    memspan: Mapping[str, str],
    differences: Mapping[str, str],
) -> int:
    """Print both runs side by side; 1 when memspan fails a test the host passes without a stated reason."""
    names = sorted(set(host) | set(memspan))
    width = max([len(n) for n in names] + [4])
    print(f"{'test':<{width}}  {'memspan':<8}  host")
    for name in names:
        reason = differences.get(name, "")
        line = f"{name:<{width}}  {memspan.get(name, '-'):<8}  {host.get(name, '-')}"
        print(line + (f"  ({reason})" if reason and memspan.get(name) != "passed" else ""))
    ours = sum(v == "passed" for v in memspan.values())
    theirs = sum(v == "passed" for v in host.values())
    print(f"{framework}: memspan {ours}/{len(memspan)} passed, host's own {theirs}/{len(host)} passed")
    unexplained = [
        n for n in names if host.get(n) == "passed" and memspan.get(n) != "passed" and n not in differences
    ]
    stale = [n for n in differences if memspan.get(n) == "passed"]
    for name in unexplained:
        print(f"UNEXPLAINED: {name} passes on the host's implementation but not on memspan")
    for name in stale:
        print(f"NOTE: {name} is listed as a difference but now passes; drop it from the list")
    return 1 if unexplained else 0


def rewrite(text: str, replacements: Iterable[tuple[str, str]]) -> str:
    """Apply literal replacements, each of which must occur (so a new release cannot slip through)."""
    for old, new in replacements:
        if old not in text:
            raise SystemExit(f"the suite expected {old!r} in the host's tests; update the suite")
        text = text.replace(old, new)
    return text


Factory = Callable[..., object]
