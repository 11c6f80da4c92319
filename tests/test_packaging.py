"""The distribution ships every package, and importing memspan imports no framework."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def _packages_on_disk() -> set[str]:
    found = set()
    for top, name in (("core", "memspan"), ("integrations", "memspan.integrations")):
        for init in (ROOT / top).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *relative.parts]))
    return found


def test_every_package_on_disk_is_declared_in_pyproject() -> None:
    missing = _packages_on_disk() - _declared_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_every_declared_package_exists() -> None:
    stale = _declared_packages() - _packages_on_disk()
    assert not stale, f"declared but missing on disk: {sorted(stale)}"


def test_wheel_contains_packages_and_model_data(tmp_path: Path) -> None:
    # the PEP 517 backend itself, as pip or uv would call it, without needing either
    build = f"from setuptools import build_meta; build_meta.build_wheel({str(tmp_path)!r})"
    subprocess.run([sys.executable, "-c", build], cwd=ROOT, check=True, capture_output=True)
    import zipfile

    (wheel,) = tmp_path.glob("memspan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in _declared_packages():
        assert f"{package.replace('.', '/')}/__init__.py" in names, package
    assert "memspan/py.typed" in names
    assert "memspan/embedders/data/minilm-tokenizer.json" in names
    assert "memspan/embedders/data/NOTICE" in names


def test_import_memspan_imports_no_framework() -> None:
    code = (
        "import sys, memspan, memspan.integrations, memspan.cli\n"
        "banned = ('langchain', 'langgraph', 'llama_index', 'crewai', 'autogen_core', 'autogen_agentchat',"
        " 'openai', 'anthropic', 'psycopg', 'weaviate', 'voyageai', 'fastapi', 'mcp', 'torch')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(banned))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "", f"import memspan pulled in: {out}"


def test_the_new_host_packages_import_their_framework_only_when_used() -> None:
    code = (
        "import sys, memspan, memspan.integrations.openai_agents, memspan.integrations.adk,"
        " memspan.integrations.agent_framework, memspan.integrations.pydantic_ai\n"
        "banned = ('agents', 'google.adk', 'google.genai', 'agent_framework', 'pydantic_ai')\n"
        "loaded = sorted(m for m in sys.modules if m in banned)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert out == "", f"importing the host packages pulled in: {out}"


def test_installed_extras_are_releases_unless_the_pin_names_a_pre_release() -> None:
    # a resolver that backtracks can land on a dev build (crewai 1.15.28.dev20261022 in [all] once):
    # each extra's requirement that is installed here must be a release, unless its own specifier
    # names a pre-release (opentelemetry-exporter-prometheus has only beta versions)
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement
    from packaging.version import Version

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    checked: set[str] = set()
    dev_builds: set[str] = set()
    for extra in config["project"]["optional-dependencies"].values():
        for line in extra:
            requirement = Requirement(line)
            if requirement.name == "memspan" or any(Version(s.version).is_prerelease for s in requirement.specifier):
                continue
            try:
                installed = Version(version(requirement.name))
            except PackageNotFoundError:
                continue
            checked.add(requirement.name)
            if installed.is_prerelease:
                dev_builds.add(f"{requirement.name}=={installed}")
    assert checked, "no extra is installed: run `uv pip install -e '.[all,dev]'`"
    assert not dev_builds, f"pre-releases installed for released pins (reinstall, or pin in [all]): {sorted(dev_builds)}"
