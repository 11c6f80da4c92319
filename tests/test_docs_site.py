"""The documentation site builds strictly, and its API reference has an entry for every public name.

``mkdocs build --strict`` (mkdocs.yml sets the validation to warnings, which strict mode makes errors)
fails on a broken link or anchor, a page missing from the nav, a ``:::`` reference that does not
resolve and a docstring mkdocstrings cannot read. The build writes ``objects.inv``, the inventory of
every documented object; a public name (``__all__`` of ``memspan``, of its public subpackages and of
every ``memspan.integrations`` package) missing from it fails, so a new public class needs its entry
under docs/reference/.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import memspan
import memspan.integrations

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: the docs extra is part of [dev] (pip install -e '.[all,dev]')")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about MkDocs 2.0
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-6000:]}"
    return out


def test_site_builds_strictly(site: Path) -> None:
    assert (site / "index.html").exists()
    assert (site / "reference" / "memory" / "index.html").exists()


def inventory(site: Path) -> set[str]:
    """The object names of a Sphinx inventory (version 2): a text header, then zlib-compressed lines."""
    data = (site / "objects.inv").read_bytes()
    body = data.split(b"\n", 4)[4]  # four header lines
    return {line.split(" ", 1)[0] for line in zlib.decompress(body).decode().splitlines() if line.strip()}


def public_modules() -> list[str]:
    """memspan, its public modules that declare ``__all__``, and every integrations package."""
    names = ["memspan"]
    for info in pkgutil.iter_modules(memspan.__path__, "memspan."):
        leaf = info.name.rsplit(".", 1)[-1]
        if not leaf.startswith("_") and leaf not in {"integrations", "cli"}:
            names.append(info.name)
    for info in pkgutil.iter_modules(memspan.integrations.__path__, "memspan.integrations."):
        if info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_"):
            names.append(info.name)
    return [
        n
        for n in names
        if n.startswith("memspan.integrations.") or hasattr(importlib.import_module(n), "__all__")
    ]


def test_the_walk_sees_every_host() -> None:
    hosts = {m.rsplit(".", 1)[-1] for m in public_modules() if m.startswith("memspan.integrations.")}
    assert hosts >= {"adk", "agent_framework", "autogen", "crewai", "langchain", "llamaindex"}
    assert hosts >= {"openai_agents", "pydantic_ai"}


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_has_a_reference_entry(site: Path, module_name: str) -> None:
    documented = inventory(site)
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        if f"{module_name}.{name}" in documented:
            continue
        obj = getattr(module, name)  # an integrations package imports its framework here
        canonical = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', name)}"
        if canonical not in documented:
            missing.append(name)
    assert not missing, f"{module_name}: no entry in docs/reference/ for {missing}"
