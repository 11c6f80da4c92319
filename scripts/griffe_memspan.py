"""Griffe extension for the documentation site (mkdocs.yml loads it; it is not part of the package).

Two things make memspan's source awkward for griffe, which reads the code without importing it:

- ``memspan`` lives in ``core/`` and ``memspan.integrations`` in ``integrations/`` (pyproject's
  ``package-dir``). An installed wheel puts them together, but the editable install that the test
  command makes maps them separately, and griffe, scanning ``core/``, would not find
  ``memspan.integrations``. When the loaded ``memspan`` lacks it, it is loaded from wherever Python
  imports it, under its real parent, so relative imports and cross-references resolve.
- ``AsyncMemory``, ``RemoteMemory`` and ``AsyncRemoteMemory`` have ``Memory``'s methods by design
  (same arguments, same errors) and document them once, on ``Memory``: a method of theirs without a
  docstring shows the summary of ``Memory``'s, so their reference pages are not bare signatures.
- Docstrings use Sphinx roles (``:class:`~memspan.Memory```), which Markdown shows verbatim. They are
  rewritten to code spans (``Memory``) when griffe reads them; the docstrings themselves stay as they are.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const|type):`(~?)([^`]+)`")


def _code_span(match: re.Match[str]) -> str:
    target = match.group(2).strip()
    if match.group(1):  # "~a.b.C" shows as "C", as Sphinx would
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


class MemspanLayout(griffe.Extension):
    """Attach ``memspan.integrations`` to ``memspan`` and turn Sphinx roles into code spans."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ":`" in obj.docstring.value:
            obj.docstring.value = _ROLE.sub(_code_span, obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "memspan":
            return
        _share_memory_docstrings(pkg)
        if "integrations" in pkg.members:
            return
        init = _integrations_init(pkg)
        if init is None:
            return
        # Griffe has no public call for "load this folder as a submodule of that package": the loader's
        # own method does exactly that, with the submodules below it.
        load = getattr(loader, "_load_module", None)
        if load is None:  # a griffe release renamed it: the strict build fails here, not with a blank page
            raise RuntimeError("griffe's GriffeLoader._load_module is gone: update scripts/griffe_memspan.py")
        module = load("integrations", init, parent=pkg)
        pkg.set_member("integrations", module)


def _integrations_init(pkg: griffe.Module) -> Path | None:
    """``integrations/__init__.py`` beside ``core/`` in a checkout (nothing imported), else where Python finds it."""
    if isinstance(pkg.filepath, Path):
        beside = pkg.filepath.resolve().parent.parent / "integrations" / "__init__.py"
        if beside.exists():
            return beside
    spec = importlib.util.find_spec("memspan.integrations")
    return Path(spec.origin) if spec is not None and spec.origin is not None else None


#: classes that mirror ``memspan.Memory``'s methods: (module under memspan, class name)
_TWINS = (("", "AsyncMemory"), ("client", "RemoteMemory"), ("client", "AsyncRemoteMemory"))


def _share_memory_docstrings(pkg: griffe.Module) -> None:
    try:
        memory = pkg["Memory"]
    except (KeyError, griffe.AliasResolutionError):
        return
    for module, name in _TWINS:
        try:
            twin = (pkg[module] if module else pkg)[name]
        except (KeyError, griffe.AliasResolutionError):
            continue
        for method_name, method in twin.members.items():
            source = memory.members.get(method_name)
            if method.is_function and method.docstring is None and source is not None and source.docstring:
                summary = source.docstring.value.split("\n\n", 1)[0]  # the rest may name Memory-only options
                method.docstring = griffe.Docstring(summary, parent=method)
